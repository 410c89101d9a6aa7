#!/usr/bin/env bash
# Where an idle connection's memory goes, by type. Hosts the engine under CoreCLR (heap-probe),
# opens N idle connections with wsload's hold mode, prints the live managed heap per connection,
# then the heap's biggest per-connection types from dotnet-gcdump (installed as a local tool).
#   bench/tools/heap-probe/run.sh [CONNECTIONS]      (10000; needs bench/build/wsload: bench/run.sh builds it)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
OUT="$ROOT/bench/build/heap-probe"
N=${1:-10000}
PORT=21990
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ -x "$ROOT/bench/build/wsload" ] || { echo "heap-probe: build wsload first (bench/run.sh)" >&2; exit 2; }
dotnet publish "$HERE" -c Release -o "$OUT/bin" -nologo -v:q
[ -x "$OUT/tools/dotnet-gcdump" ] || dotnet tool install dotnet-gcdump --tool-path "$OUT/tools" >/dev/null

fifo="$OUT/in.fifo"; rm -f "$fifo"; mkfifo "$fifo"
exec 3<>"$fifo"
"$OUT/bin/HeapProbe" "$PORT" <&3 > "$OUT/probe.out" 2>&1 &
probe=$!
trap 'kill $probe 2>/dev/null || true; rm -f "$fifo"' EXIT
for _ in $(seq 1 100); do grep -q pid= "$OUT/probe.out" 2>/dev/null && break; sleep 0.1; done
"$ROOT/bench/build/wsload" --mode hold --conns "$N" --seconds 30 --url "ws://127.0.0.1:$PORT/" > "$OUT/hold.out" 2>&1 &
hold=$!
# Wait until every connection is open, then measure while they are held.
for _ in $(seq 1 200); do
  echo >&3; sleep 0.1
  last=$(grep RESULT "$OUT/probe.out" | tail -1 || true)
  [[ "$last" == *"connections=$N "* ]] && break
done
echo "$last"
"$OUT/tools/dotnet-gcdump" collect -p "$probe" -o "$OUT/heap.gcdump" >/dev/null
"$OUT/tools/dotnet-gcdump" report "$OUT/heap.gcdump" > "$OUT/heap.txt"
wait "$hold" || true
# The report lists each type's object size and count; types with one object per connection or more
# are what a connection costs.
python3 - "$OUT/heap.txt" "$N" <<'PY'
import re, sys
rows = []
for line in open(sys.argv[1]):
    m = re.match(r'\s*([\d,]+)\s+([\d,]+)\s+(.*)', line)
    if m:
        size, count = int(m.group(1).replace(',', '')), int(m.group(2).replace(',', ''))
        rows.append((size, count, m.group(3).split('  [')[0].strip()))
n = int(sys.argv[2])
per = [(size * count / n, size, count, name) for size, count, name in rows if count >= n * 0.9]
print(f"types with at least one object per connection: {sum(p[0] for p in per):.0f} bytes per connection")
for bytes_per, size, count, name in sorted(per, reverse=True)[:40]:
    print(f"{bytes_per:7.0f} B/conn  {count / n:4.1f} x {size:4d} B  {name[:120]}")
PY
