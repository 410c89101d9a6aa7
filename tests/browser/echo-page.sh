#!/usr/bin/env bash
# A real browser talks to the add-in: headless Chromium opens samples/echo.html, which connects to
# the demo echo server (the add-in loaded by our native host, the seed's loop), sends Cyrillic and
# emoji text, and must show the echo: directly, then through nginx run with
# samples/nginx/websocket.conf (ws, and wss ended at nginx with a certificate made here).
# Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
HOST_BIN=tests/native-host/build/ws-echo-host
[ -x "$HOST_BIN" ] || { echo "missing $HOST_BIN (build tests/native-host first)"; exit 1; }
WORK=$(mktemp -d)
chmod 755 "$WORK"  # nginx's workers (nobody, when run as root) read below it
SERVER="" NGINX=""
trap 'kill $SERVER $NGINX 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

"$HOST_BIN" 127.0.0.1 0 >"$WORK/server.out" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do grep -q '^ws://' "$WORK/server.out" && break; sleep 0.1; done
URL=$(grep -m1 '^ws://' "$WORK/server.out")
[ -n "$URL" ] || { echo "the demo server did not start:"; cat "$WORK/server.out"; echo "0 passed, 1 failed"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
quote() { python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$1"; }
SAY="Привет из браузера 👋"
passed=0; failed=0

# try_page LABEL URL [CHROMIUM FLAGS...]: the page connects to URL and must show its echo (and,
# with EXPECT set, that text too: what the page logs on open, e.g. the agreed extension).
try_page() {
  local label=$1 url=$2; shift 2
  local page="file://$PWD/samples/echo.html?url=$(quote "$url")&say=$(quote "$SAY")"
  local debug_port; debug_port=$(free_port)
  rm -rf "$WORK/profile"
  # Flags: no sandbox as root; no background networking (the machine's network is closed).
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync "$@" \
    --user-data-dir="$WORK/profile" --remote-debugging-port="$debug_port" "$page" >"$WORK/chromium.err" 2>&1 &
  local browser=$!
  if node tests/browser/wait-for-text.js "$debug_port" "← $SAY" 20000 &&
     { [ -z "${EXPECT:-}" ] || node tests/browser/wait-for-text.js "$debug_port" "$EXPECT" 5000; }; then
    echo "PASS $label: the page received its echo from the add-in"; passed=$((passed + 1))
  else
    echo "FAIL $label: no echo in the page"; tail -5 "$WORK/chromium.err"; failed=$((failed + 1))
  fi
  kill "$browser" 2>/dev/null; wait "$browser" 2>/dev/null
}

try_page "direct" "$URL"

# permessage-deflate: Chromium offers it on every connection; with Сжатие the demo agrees.
"$HOST_BIN" --set Сжатие=true 127.0.0.1 0 >"$WORK/deflate.out" 2>&1 &
DEFLATE=$!
for _ in $(seq 1 100); do grep -q '^ws://' "$WORK/deflate.out" && break; sleep 0.1; done
EXPECT="open permessage-deflate" try_page "direct, permessage-deflate" "$(grep -m1 '^ws://' "$WORK/deflate.out")"
kill "$DEFLATE" 2>/dev/null

# ---- through nginx, with the sample configuration --------------------------------------------------
UPSTREAM_PORT=${URL##*:}; UPSTREAM_PORT=${UPSTREAM_PORT%%/*}
PLAIN=$(free_port); TLS=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/ws.key" -out "$WORK/ws.pem" >/dev/null 2>&1
python3 - "$WORK" "$UPSTREAM_PORT" "$PLAIN" "$TLS" <<'PY'
import sys
work, upstream, plain, tls = sys.argv[1:]
site = open("samples/nginx/websocket.conf").read()
for old, new in [("server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream};"), ("listen 80;", f"listen 127.0.0.1:{plain};"),
                 ("listen 443 ssl;", f"listen 127.0.0.1:{tls} ssl;"), ("/etc/nginx/tls/ws.example.ru.pem", f"{work}/ws.pem"),
                 ("/etc/nginx/tls/ws.example.ru.key", f"{work}/ws.key")]:
    assert old in site, f"samples/nginx/websocket.conf no longer contains {old!r}"
    site = site.replace(old, new)
open(f"{work}/site.conf", "w").write(site)
open(f"{work}/nginx.conf", "w").write(f"""daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log info;
events {{ worker_connections 64; }}
http {{
  access_log {work}/access.log;
  client_body_temp_path {work}/t1; proxy_temp_path {work}/t2; fastcgi_temp_path {work}/t3;
  uwsgi_temp_path {work}/t4; scgi_temp_path {work}/t5;
  include {work}/site.conf;
}}
""")
PY
/usr/sbin/nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/error.log" &
NGINX=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$TLS") 2>/dev/null && break; sleep 0.1; done
try_page "through nginx (ws)" "ws://127.0.0.1:$PLAIN/ws/"
# The page's own certificate check is not the subject here: the browser is told to accept it.
try_page "through nginx (wss ended at nginx)" "wss://127.0.0.1:$TLS/ws/" --ignore-certificate-errors
[ "$failed" -eq 0 ] || { echo "nginx's log:"; tail -20 "$WORK/error.log"; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
