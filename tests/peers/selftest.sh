#!/usr/bin/env bash
# Proves the three test peers (python, node, dotnet) and the two reference servers
# against WebSocket code we did not write: Debian's python3-websockets and npm ws.
#
#   tests/peers/selftest.sh [--quick] [--peers python,node,dotnet] [--no-build]
#
# Needs: /usr/bin/python3 with python3-websockets, openssl, node + npm, dotnet.
# Builds what is missing (npm ci in tests/peers/node, dotnet build of the .NET peer),
# makes a CA and server certificates in a temp dir, runs selftest.py, prints
# "N passed, N failed" last and exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD=1
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --quick) ARGS+=(--quick) ;;
    --peers) ARGS+=(--peers "$2"); shift ;;
    *) echo "usage: $0 [--quick] [--peers LIST] [--no-build]" >&2; exit 2 ;;
  esac
  shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

fail_setup() { echo "selftest setup: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

[ -x /usr/bin/python3 ] || fail_setup "/usr/bin/python3 missing"
/usr/bin/python3 -c 'import websockets' 2>/dev/null \
  || fail_setup "python3-websockets missing: apt-get install -y python3-websockets"
command -v openssl >/dev/null || fail_setup "openssl missing: apt-get install -y openssl"
command -v node >/dev/null || fail_setup "node missing"
command -v dotnet >/dev/null || fail_setup "dotnet missing"

if [ "$BUILD" = 1 ]; then
  if [ ! -d "$HERE/node/node_modules/ws" ]; then
    (cd "$HERE/node" && npm ci --no-audit --no-fund --loglevel=error) >&2 || fail_setup "npm ci failed"
  fi
  dotnet build "$HERE/dotnet/peer.csproj" -c Release -o "$HERE/dotnet/bin" -nologo -v q >&2 \
    || fail_setup "dotnet build of the .NET peer failed"
fi
[ -f "$HERE/dotnet/bin/peer.dll" ] || fail_setup "tests/peers/dotnet/bin/peer.dll missing"
[ -d "$HERE/node/node_modules/ws" ] || fail_setup "tests/peers/node/node_modules missing (npm ci)"

CERTS="$(mktemp -d "${TMPDIR:-/tmp}/peers-selftest.XXXXXX")"
trap 'rm -rf "$CERTS"' EXIT

(
  cd "$CERTS"
  # A CA, and server certificates it signs: one for 127.0.0.1 + localhost, one for another name.
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -keyout ca.key -out ca.pem \
    -subj "/CN=Test Peers Selftest CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  for name in server wrong; do
    if [ "$name" = server ]; then san="IP:127.0.0.1,DNS:localhost"; else san="DNS:wrong.example"; fi
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$name.key" -out "$name.csr" -subj "/CN=$name"
    printf '%s\n' "subjectAltName=$san" "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
      "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -sha256 \
      -extfile "$name.ext" -out "$name.pem"
  done
  # A self-signed server certificate, the way a quick test would make one (openssl's
  # defaults mark it CA:TRUE), and one that is a leaf only (CA:FALSE).
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -keyout self.key -out self.pem \
    -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -keyout leaf.key -out leaf.pem \
    -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth"
) >/dev/null 2>"$CERTS/openssl.log" || { cat "$CERTS/openssl.log" >&2; fail_setup "openssl failed"; }

/usr/bin/python3 "$HERE/selftest.py" "$CERTS" ${ARGS[@]+"${ARGS[@]}"}
