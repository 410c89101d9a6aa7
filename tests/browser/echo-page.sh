#!/usr/bin/env bash
# A real browser talks to the add-in: headless Chromium opens samples/echo.html, which connects to
# the demo echo server (the add-in loaded by our native host, the seed's loop), sends Cyrillic and
# emoji text, and must show the echo. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
HOST_BIN=tests/native-host/build/ws-echo-host
[ -x "$HOST_BIN" ] || { echo "missing $HOST_BIN (build tests/native-host first)"; exit 1; }
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT

"$HOST_BIN" 127.0.0.1 0 >"$WORK/server.out" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do grep -q '^ws://' "$WORK/server.out" && break; sleep 0.1; done
URL=$(grep -m1 '^ws://' "$WORK/server.out")
[ -n "$URL" ] || { echo "the demo server did not start:"; cat "$WORK/server.out"; echo "0 passed, 1 failed"; exit 1; }

SAY="Привет из браузера 👋"
PAGE="file://$PWD/samples/echo.html?url=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$URL")&say=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$SAY")"
passed=0; failed=0
DEBUG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Flags: no sandbox as root; no background networking (the machine's network is closed).
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$WORK/profile" --remote-debugging-port="$DEBUG_PORT" "$PAGE" >"$WORK/chromium.err" 2>&1 &
BROWSER=$!
if node tests/browser/wait-for-text.js "$DEBUG_PORT" "← $SAY" 20000; then
  echo "PASS the page received its echo from the add-in"; passed=$((passed + 1))
else
  echo "FAIL no echo in the page"; tail -5 "$WORK/chromium.err"; failed=$((failed + 1))
fi
kill "$BROWSER" 2>/dev/null; wait "$BROWSER" 2>/dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
