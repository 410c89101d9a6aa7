#!/usr/bin/env bash
# Where the microseconds of one 1 x 1 x 32 B round trip go (issue 10 item 1), for ours and for
# Kestrel's echo: a 9 s wsload run against a fresh server; 2 s into the measured window,
# `perf sched record` of the whole machine for 2 s; then bench/tools/rt-trace.py cuts it into round
# trips and hops; `perf trace -s` gives the syscalls per thread over the next 2 s, and
# `perf record -g` (cpu-clock; symbols of the add-in from build/native/linux-x64/*.so.dbg, added to
# perf's build-id cache) the CPU profile over the 2 s after that.
#   bench/tools/trace-latency.sh [OUTDIR]        (after a bench/run.sh build; needs perf, root)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="$ROOT/bench/build"
OUT="${1:-$B/trace}"
mkdir -p "$OUT"
for dbg in "$ROOT"/build/native/linux-x64/*.so.dbg "$B"/kestrel-echo/*.dbg; do
  [ -f "$dbg" ] && perf buildid-cache --add "$dbg" 2>/dev/null || true
done
port=23000
for kind in ours kestrel; do
  port=$((port + 1))
  if [ "$kind" = ours ]; then
    "$B/hosts/bench-host" echo --zip "$ROOT/dist/WebSocket.zip" 127.0.0.1 "$port" > "$OUT/$kind.url" 2> "$OUT/$kind.host.log" &
  else
    "$B/kestrel-echo/kestrel-echo" --host 127.0.0.1 --port "$port" > "$OUT/$kind.url" 2> "$OUT/$kind.host.log" &
  fi
  P=$!
  sleep 1.5
  "$B/wsload" --mode echo --conns 1 --depth 1 --size 32 --seconds 9 --warmup 1 --server-pid "$P" \
    --url "ws://127.0.0.1:$port/" > "$OUT/$kind.wsload" 2>&1 &
  W=$!
  sleep 3
  C=$(pgrep -n -x wsload)
  perf sched record -o "$OUT/$kind.sched" -- sleep 2 > /dev/null 2>&1
  perf trace -s -p "$P" -o "$OUT/$kind.syscalls" -- sleep 2 > /dev/null 2>&1 || true
  perf record -F 4999 -g -p "$P" -o "$OUT/$kind.perf" -- sleep 2 > /dev/null 2>&1 || true
  for t in /proc/"$P"/task/*; do echo "$(basename "$t") $(cat "$t/comm")"; done > "$OUT/$kind.threads"
  wait "$W" || true
  kill -TERM "$P"; wait "$P" || true
  echo "== $kind: $(grep -oE '(msgs_per_s|p50_us|p90_us|p99_us|server_cpu_pct|other_cpu_pct)=[^ ]*' "$OUT/$kind.wsload" | tr '\n' ' ')"
  perf script -i "$OUT/$kind.sched" -F comm,tid,time,event,trace 2>/dev/null \
    | /usr/bin/python3 "$ROOT/bench/tools/rt-trace.py" "$P" "$C" "$OUT/$kind.threads" | tee "$OUT/$kind.hops.md"
  grep -h HOSTSTATS "$OUT/$kind.host.log" || true
done
