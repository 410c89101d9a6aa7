#!/usr/bin/env bash
# The Linux library as it ships: takes WebSocket_x64.so out of the package (dist/WebSocket.zip or
# $WEBSOCKET_ADDIN_ZIP) and runs check-glibc-symbols.sh --addin on it: every version the loader
# will ask for is GLIBC_2.17 or older, every NEEDED library is part of glibc, nothing else.
# Then shows the check can fail: the same rules with GLIBC_2.16 as the floor must refuse it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
zip=${WEBSOCKET_ADDIN_ZIP:-$repo/dist/WebSocket.zip}
[[ -f $zip ]] || { echo "no package $zip: run ./build.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$zip" "$work/WebSocket_x64.so" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.lower() == "websocket_x64.so")
    open(sys.argv[2], "wb").write(z.read(name))
PY
bash "$here/check-glibc-symbols.sh" --addin "$work/WebSocket_x64.so" 2.17
if bash "$here/check-glibc-symbols.sh" --addin "$work/WebSocket_x64.so" 2.16 >/dev/null 2>&1; then
  echo "FAIL: the check accepted GLIBC_2.17 symbols with a 2.16 floor: it cannot fail" >&2
  exit 1
fi
echo "OK: the same check refuses the library with a GLIBC_2.16 floor"
