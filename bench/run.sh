#!/usr/bin/env bash
# The benchmark of issues 4, 10, 11 and 14: the add-in, driven by bench/hosts/bench-host as the 1C
# platform drives it (the seed's loop with a finite Receive timeout, a locking memory manager),
# beside a Kestrel NativeAOT echo server and a Node `ws` echo server, every figure from the same
# clients in the same run: ../shared/bench/wsload.c (echo, hold) and, where wsload has no mode,
# bench/tools/wsbench.c (wss, JSON with permessage-deflate, broadcast), bench/tools/startwait.c
# (process start-up), bench/tools/burst.py (memory over a burst), bench/tools/procstat.py (idle
# CPU, memory timelines), bench/tools/soak.py (the long soak).
#
#   bench/run.sh [--quick] [--reps N] [--seconds S] [--servers ours,kestrel,node]
#                [--scenarios LIST] [--zip PACKAGE.zip] [--no-build] [--no-build-addin]
#                [--ours-deflate PROPERTY=VALUE] [--ours-push SETTINGS] [--soak-minutes M] [--no-charts]
#
# Builds everything (./build.sh for the add-in unless --zip/--no-build-addin, wsload, the tools,
# the hosts, kestrel-echo, npm ci for node-echo, python3-matplotlib), runs every scenario N times
# (3) against each server, a fresh server process for every run, the servers interleaved run by
# run, and prints the table (min/median/max, ours/Kestrel). Raw RESULT lines:
# bench/results/raw/<stamp>.txt; the table: bench/results/<stamp>.md (and latest.md); charts and
# timelines: bench/results/<stamp>/.
# Scenarios (default: all but soak): latency msgs bandwidth wss wss16k sizes (= lat100 lat4k
# lat64k tput100 tput4k tput64k) hold maxconns bcast1k bcast10k push startup idle burst compress;
# soak (--soak-minutes, 30; not in the default list).
# Before each run it waits (up to 20 s) for the machine to be quiet (other work under 25% of a
# core); an echo run during which other processes used over 15% of a core is marked disturbed
# and run again (four tries; where every try of a figure was disturbed, the table shows those
# marked †). The load average and the other processes' CPU are kept with every run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/build"
SHARED_DIR="${SHARED_DIR:-$ROOT/../shared}"
[ -f "$SHARED_DIR/bench/wsload.c" ] || SHARED_DIR=/work/shared
PY=/usr/bin/python3  # Debian's, with python3-matplotlib and python3-websockets

REPS=3 SECONDS_ECHO=8 WARMUP=1 HOLD_CONNS=10000 HOLD_SECONDS=10 BC_ROUNDS=7 STARTS=5 IDLE_SECONDS=20
MAXCONN_TRY=10500 HOLD_AFTER=15 BURST_REPS=1 BURST_AFTER=30 SOAK_MINUTES=30 CHARTS=1
SERVERS="ours,kestrel,node"
ALL_SCENARIOS="latency msgs bandwidth wss wss16k sizes hold maxconns bcast1k bcast10k push startup idle burst compress"
SCENARIOS="$ALL_SCENARIOS"
ZIP="" BUILD=1 BUILD_ADDIN=1 OURS_DEFLATE="${OURS_DEFLATE:-Сжатие=true}"
# The add-in's push endpoint (issue 11): PROPERTY=VALUE settings, comma-separated, set before
# Запустить; {PORT} is replaced by a free port and {SECRET} by the secret. The request is
# POST http://127.0.0.1:{PORT}$PUSH_PATH with "$PUSH_HEADER: {SECRET}" and the message as its body.
# (Not "${OURS_PUSH:-...}": the first "}" of {PORT} would end that expansion.)
[ -n "${OURS_PUSH:-}" ] || OURS_PUSH='АдресОтправки=127.0.0.1:{PORT},СекретОтправки={SECRET}'
PUSH_PATH="${PUSH_PATH:-/broadcast}" PUSH_HEADER="${PUSH_HEADER:-X-Push-Secret}" PUSH_SECRET=bench-secret-0123456789
PUSH_CONNS=1000 PUSHES=500
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) REPS=1 SECONDS_ECHO=3 WARMUP=0.5 HOLD_SECONDS=3 BC_ROUNDS=3 STARTS=2 IDLE_SECONDS=5 BURST_AFTER=10 PUSHES=100 HOLD_AFTER=5 ;;
    --reps) REPS="$2"; shift ;;
    --seconds) SECONDS_ECHO="$2"; shift ;;
    --servers) SERVERS="$2"; shift ;;
    --scenarios) SCENARIOS="${2//,/ }"; shift ;;
    --zip) ZIP="$(realpath "$2")"; BUILD_ADDIN=0; shift ;;
    --no-build) BUILD=0; BUILD_ADDIN=0 ;;
    --no-build-addin) BUILD_ADDIN=0 ;;
    --ours-deflate) OURS_DEFLATE="$2"; shift ;;
    --ours-push) OURS_PUSH="$2"; shift ;;
    --push-path) PUSH_PATH="$2"; shift ;;
    --push-header) PUSH_HEADER="$2"; shift ;;
    --soak-minutes) SOAK_MINUTES="$2"; shift ;;
    --burst-reps) BURST_REPS="$2"; shift ;;
    --no-charts) CHARTS=0 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
SCENARIOS="${SCENARIOS/sizes/lat100 lat4k lat64k tput100 tput4k tput64k}"
ZIP="${ZIP:-$ROOT/dist/WebSocket.zip}"
IFS=, read -r -a SERVER_LIST <<< "$SERVERS"

# ---- build -------------------------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
  # shellcheck source=/dev/null
  source "$ROOT/tools/ci/apt.sh"
  apt_install gcc g++ make cmake zlib1g-dev nlohmann-json3-dev libssl-dev openssl python3 python3-matplotlib python3-websockets
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  [ "$BUILD_ADDIN" = 1 ] && "$ROOT/build.sh"
  mkdir -p "$OUT"
  echo "== wsload (from $SHARED_DIR/bench/wsload.c) and the bench tools"
  [ -f "$SHARED_DIR/bench/wsload.c" ] || { echo "run.sh: no $SHARED_DIR/bench/wsload.c (set SHARED_DIR)" >&2; exit 2; }
  gcc -O2 -std=c11 -Wall -Wextra -o "$OUT/wsload" "$SHARED_DIR/bench/wsload.c" -lm
  "$OUT/wsload" --selftest | tail -1
  gcc -O2 -std=c11 -Wall -Wextra -o "$OUT/wsbench" "$BENCH/tools/wsbench.c" -lssl -lcrypto -lz -lm
  gcc -O2 -std=c11 -Wall -Wextra -o "$OUT/startwait" "$BENCH/tools/startwait.c"
  echo "== native hosts (bench-host, ws-echo-host)"
  cmake -S "$BENCH/hosts" -B "$OUT/hosts" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$OUT/hosts" -j2 >/dev/null
  echo "== kestrel-echo (NativeAOT)"
  dotnet publish "$BENCH/reference/kestrel-echo" -c Release -o "$OUT/kestrel-echo" -nologo -v:q
  echo "== node-echo (npm ci)"
  (cd "$BENCH/reference/node-echo" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  if [ ! -f "$OUT/certs/cert.pem" ]; then
    mkdir -p "$OUT/certs"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/certs/key.pem" -out "$OUT/certs/cert.pem" -days 365 \
      -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
  fi
fi
[ -f "$ZIP" ] || { echo "run.sh: no package $ZIP" >&2; exit 2; }
CERT="$OUT/certs/cert.pem" KEY="$OUT/certs/key.pem"

# 10,000 connections: each side needs that many descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [[ " $SCENARIOS " == *" hold "* || " $SCENARIOS " == *" bcast10k "* || " $SCENARIOS " == *" maxconns "* ]]; then
  [ "$(ulimit -n)" -ge $((MAXCONN_TRY + 100)) ] || { echo "run.sh: ulimit -n $(ulimit -n) is too low for $MAXCONN_TRY connections" >&2; exit 2; }
fi

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$BENCH/results/raw"
RAW="$BENCH/results/raw/$STAMP.txt"
TABLE="$BENCH/results/$STAMP.md"
RUNDIR="$BENCH/results/$STAMP"   # charts and timelines of this run (committed with the doc that uses them)
LOGDIR="$OUT/logs/$STAMP"
mkdir -p "$LOGDIR" "$RUNDIR"
{
  echo "# bench/run.sh $STAMP reps=$REPS seconds=$SECONDS_ECHO servers=$SERVERS scenarios=$SCENARIOS"
  echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "# zip: $ZIP ($(stat -c %y "$ZIP" | cut -d. -f1)), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' +uncommitted src changes')"
  echo "# dotnet $(dotnet --version), node $(node --version), ws $(node -p "require('$BENCH/reference/node-echo/node_modules/ws/package.json').version")"
  echo "# load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RAW"
echo "== raw results: $RAW"

# ---- helpers -----------------------------------------------------------------------------------
busy_pct() {  # machine CPU busy over 0.5 s, in % of one core
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat); sleep 0.5
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" 'BEGIN{split(a,x," ");split(b,y," ");printf "%.0f", (y[1]-x[1])*100/hz/0.5}'
}
wait_quiet() {  # sets QUIET_WAIT (seconds waited) and BUSY_BEFORE
  local start=$SECONDS
  BUSY_BEFORE=$(busy_pct)
  while [ "$BUSY_BEFORE" -gt 25 ] && [ $((SECONDS - start)) -lt 20 ]; do sleep 1; BUSY_BEFORE=$(busy_pct); done
  QUIET_WAIT=$((SECONDS - start))
}

PORT=21000
SERVER_PID=""
SERVER_LOG=""
URL=""
PUSH_URL=""
start_server() {  # start_server KIND[+SETTING...] SHAPE(echo|broadcast|tls|deflate|push)
  local spec=$1 shape=$2 log="$LOGDIR/server-$PORT.log"
  PORT=$((PORT + 1))
  # A server spec may carry settings after "+": VAR=VALUE is an environment setting of the
  # server process (A/B runs of one build); ZIP=PATH runs another build of the add-in;
  # SET=PROPERTY=VALUE sets a property of ours before Запустить (ours+SET=ТаймаутПинга=0);
  # TIMEOUT=MS is the Таймаут of ours' Принять (200 by default; 0 waits without end);
  # ARG=FLAG passes a flag to the server program (kestrel+ARG=--no-ping-timeout).
  local kind=${spec%%+*} envs=() zip="$ZIP" e extra=() timeout=200
  [ "$kind" = "$spec" ] || IFS=+ read -r -a envs <<< "${spec#*+}"
  for e in "${!envs[@]}"; do
    case "${envs[$e]}" in
      ZIP=*) zip="${envs[$e]#ZIP=}"; unset 'envs[$e]' ;;
      SET=*) extra+=(--set "${envs[$e]#SET=}"); unset 'envs[$e]' ;;
      TIMEOUT=*) timeout="${envs[$e]#TIMEOUT=}"; unset 'envs[$e]' ;;
      ARG=*) extra+=("${envs[$e]#ARG=}"); unset 'envs[$e]' ;;
    esac
  done
  local tlsargs=() cmd=()
  case "$kind:$shape" in
    ours:broadcast) cmd=("$OUT/hosts/bench-host" broadcast --zip "$zip" --timeout "$timeout" "${extra[@]}" 127.0.0.1 "$PORT") ;;
    ours:tls) cmd=("$OUT/hosts/bench-host" echo --zip "$zip" --timeout "$timeout" "${extra[@]}" 127.0.0.1 "$PORT" "$CERT" "$KEY") ;;
    ours:deflate) [ -n "$OURS_DEFLATE" ] || return 3
      cmd=("$OUT/hosts/bench-host" echo --zip "$zip" --timeout "$timeout" --set "$OURS_DEFLATE" "${extra[@]}" 127.0.0.1 "$PORT") ;;
    ours:push) [ -n "$OURS_PUSH" ] || return 3
      local pport=$((PORT + 5000)) kv sets=()
      IFS=, read -r -a sets <<< "$OURS_PUSH"
      for kv in "${sets[@]}"; do kv=${kv//\{PORT\}/$pport}; extra+=(--set "${kv//\{SECRET\}/$PUSH_SECRET}"); done
      PUSH_URL="http://127.0.0.1:$pport$PUSH_PATH"
      cmd=("$OUT/hosts/bench-host" echo --zip "$zip" --timeout "$timeout" "${extra[@]}" 127.0.0.1 "$PORT") ;;
    ours:*) cmd=("$OUT/hosts/bench-host" echo --zip "$zip" --timeout "$timeout" "${extra[@]}" 127.0.0.1 "$PORT") ;;
    kestrel:*) [ "$shape" = tls ] && tlsargs=(--cert "$CERT" --key "$KEY"); [ "$shape" = deflate ] && tlsargs=(--deflate)
      [ "$shape" = push ] && tlsargs=(--push-secret "$PUSH_SECRET") && PUSH_URL="http://127.0.0.1:$PORT/push"
      cmd=("$OUT/kestrel-echo/kestrel-echo" --host 127.0.0.1 --port "$PORT" "${tlsargs[@]}" "${extra[@]}") ;;
    node:*) [ "$shape" = tls ] && tlsargs=(--cert "$CERT" --key "$KEY"); [ "$shape" = deflate ] && tlsargs=(--deflate)
      [ "$shape" = push ] && tlsargs=(--push-secret "$PUSH_SECRET") && PUSH_URL="http://127.0.0.1:$PORT/push"
      cmd=(node "$BENCH/reference/node-echo/server.js" --host 127.0.0.1 --port "$PORT" "${tlsargs[@]}") ;;
  esac
  SERVER_LOG="$log"
  env "${envs[@]}" "${cmd[@]}" > "$log.out" 2> "$log" &
  SERVER_PID=$!
  local i
  for i in $(seq 1 300); do
    URL=$(head -n1 "$log.out" 2>/dev/null || true)
    [[ "$URL" == ws*://* ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "run.sh: $kind did not start: $(tail -3 "$log")" >&2
  return 1
}
HOSTSTATS=""
stop_server() {  # sets HOSTSTATS: what bench-host reported at exit (host_* fields), "" for the others
  HOSTSTATS=""
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 80); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  HOSTSTATS=$(grep -m1 '^HOSTSTATS ' "$SERVER_LOG" 2>/dev/null | cut -d' ' -f2- | sed -E 's/(^| )([a-z_0-9]+)=/\1host_\2=/g' || true)
}
SAMPLER_PID=""
start_sampler() {  # start_sampler CSV: the server's RSS/threads/fds every 0.25 s
  "$PY" "$BENCH/tools/procstat.py" sample "$SERVER_PID" "$1" --interval 0.25 &
  SAMPLER_PID=$!
}
stop_sampler() {
  [ -n "$SAMPLER_PID" ] || return 0
  kill -TERM "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
}
cleanup() { stop_sampler; stop_server; }
trap cleanup EXIT

record() {  # record SCENARIO SERVER REP TRY RESULT-LINE
  local la; la=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)
  echo "RESULT scenario=$1 server=$2 rep=$3 try=$4 busy_before_pct=$BUSY_BEFORE quiet_wait_s=$QUIET_WAIT loadavg=$la ${5#RESULT }" >> "$RAW"
}

echo_args() {  # echo_args SCENARIO: wsload/wsbench arguments of an echo scenario
  local w=(--seconds "$SECONDS_ECHO" --warmup "$WARMUP")
  case "$1" in
    latency) echo --conns 1 --depth 1 --size 32 "${w[@]}" ;;
    msgs|wss) echo --conns 64 --depth 4 --size 32 "${w[@]}" ;;
    bandwidth|wss16k) echo --conns 64 --depth 1 --size 16384 "${w[@]}" ;;
    lat100) echo --conns 1 --depth 1 --size 100 "${w[@]}" ;;
    lat4k) echo --conns 1 --depth 1 --size 4096 "${w[@]}" ;;
    lat64k) echo --conns 1 --depth 1 --size 65536 "${w[@]}" ;;
    tput100) echo --conns 64 --depth 1 --size 100 "${w[@]}" ;;
    tput4k) echo --conns 64 --depth 1 --size 4096 "${w[@]}" ;;
    tput64k) echo --conns 64 --depth 1 --size 65536 "${w[@]}" ;;
    compress-off|compress-on) echo --conns 64 --depth 1 --size 16384 --json "${w[@]}" ;;
  esac
}

run_one() {  # run_one SCENARIO SERVER REP
  local sc=$1 sv=$2 rep=$3 try line out tag=${2//[^A-Za-z0-9_=.+-]/_}
  for try in 1 2 3 4; do
    wait_quiet
    out="$LOGDIR/$sc-$tag-$rep-$try.log"
    line=""
    case "$sc" in
      latency|msgs|bandwidth|lat100|lat4k|lat64k|tput100|tput4k|tput64k)
        start_server "$sv" echo || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        # shellcheck disable=SC2046
        line=$("$OUT/wsload" --mode echo $(echo_args "$sc") --server-pid "$SERVER_PID" --url "$URL" 2> "$out" | grep '^RESULT' || true) ;;
      hold|maxconns)
        start_server "$sv" echo || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        local n=$HOLD_CONNS; [ "$sc" = maxconns ] && n=$MAXCONN_TRY
        start_sampler "$RUNDIR/$sc-$tag-$rep.csv"
        sleep 1
        line=$("$OUT/wsload" --mode hold --conns "$n" --seconds "$HOLD_SECONDS" --server-pid "$SERVER_PID" --url "$URL" 2> "$out" | grep '^RESULT' || true)
        sleep "$HOLD_AFTER"  # the timeline goes on after the clients have gone: is the memory given back?
        stop_sampler
        # hold: wsload exits 1 when not every connection was established; maxconns expects that
        [ "$sc" = maxconns ] && line="${line/ errors=/ attempted=$n errors=}" ;;
      wss|wss16k)
        start_server "$sv" tls || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        # shellcheck disable=SC2046
        line=$("$OUT/wsbench" --mode echo $(echo_args "$sc") --server-pid "$SERVER_PID" --url "$URL" 2> "$out" | grep '^RESULT' || true) ;;
      compress-off|compress-on)
        local shape=echo rc=0; [ "$sc" = compress-on ] && shape=deflate
        start_server "$sv" "$shape" || rc=$?
        if [ "$rc" = 3 ]; then echo "   $sc $sv: skipped (no --ours-deflate PROPERTY=VALUE: the add-in's switch for permessage-deflate)"; return; fi
        [ "$rc" = 0 ] || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        local dfl=(); [ "$sc" = compress-on ] && dfl=(--deflate)
        # shellcheck disable=SC2046
        line=$("$OUT/wsbench" --mode echo $(echo_args "$sc") "${dfl[@]}" --server-pid "$SERVER_PID" --url "$URL" 2> "$out" | grep '^RESULT' || true)
        if [ "$sc" = compress-on ] && [ -n "$line" ] && ! grep -q ' negotiated=1' <<< "$line"; then line="${line/ errors=0/ errors=1} not_negotiated=1"; fi ;;
      push)
        local rc=0
        start_server "$sv" push || rc=$?
        if [ "$rc" = 3 ]; then echo "   push $sv: skipped (no --ours-push SETTINGS: the add-in's push endpoint properties)"; return; fi
        [ "$rc" = 0 ] || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        line=$("$OUT/wsbench" --mode push --conns "$PUSH_CONNS" --pushes "$PUSHES" --size 64 --push-url "$PUSH_URL" \
                 --push-header "$PUSH_HEADER: $PUSH_SECRET" --server-pid "$SERVER_PID" --url "$URL" 2> "$out" | grep '^RESULT' || true) ;;
      bcast1k|bcast10k)
        local n=1000; [ "$sc" = bcast10k ] && n=10000
        start_server "$sv" broadcast || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        line=$("$OUT/wsbench" --mode broadcast --conns "$n" --rounds "$BC_ROUNDS" --size 64 \
                 --server-pid "$SERVER_PID" --url "$URL" 2> "$out" | grep '^RESULT' || true) ;;
      idle)
        start_server "$sv" echo || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        line=$("$PY" "$BENCH/tools/procstat.py" idle "$SERVER_PID" "$IDLE_SECONDS" --settle 2 2> "$out" | grep '^RESULT' || true)
        record idle "$sv" "$rep" "$try" "${line:-RESULT errors=1 no_result=1}"
        # the same with 1,000 idle connections held (pings, timers), CPU over the hold window
        line=$("$OUT/wsload" --mode hold --conns 1000 --seconds "$IDLE_SECONDS" --server-pid "$SERVER_PID" --url "$URL" 2>> "$out" | grep '^RESULT' || true)
        stop_server
        record idle1k "$sv" "$rep" "$try" "${line:-RESULT errors=1 no_result=1} $HOSTSTATS"
        echo "   idle $sv rep $rep: $(grep -o 'server_cpu_pct=[^ ]*' <<< "$line") with 1,000 connections"
        return ;;
      burst)
        start_server "$sv" echo || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        line=$("$PY" "$BENCH/tools/burst.py" --pid "$SERVER_PID" --url "$URL" --wsload "$OUT/wsload" \
                 --flood "$ROOT/tests/peers/hostile/flood.py" --csv "$RUNDIR/burst-$tag-$rep.csv" --after "$BURST_AFTER" 2> "$out" | grep '^RESULT' || true) ;;
      startup)
        local k cmd
        for k in $(seq 1 "$STARTS"); do
          PORT=$((PORT + 1))
          case "${sv%%+*}" in
            ours) cmd=("$OUT/hosts/bench-host" echo --zip "$ZIP" 127.0.0.1 "$PORT") ;;
            kestrel) cmd=("$OUT/kestrel-echo/kestrel-echo" --host 127.0.0.1 --port "$PORT") ;;
            node) cmd=(node "$BENCH/reference/node-echo/server.js" --host 127.0.0.1 --port "$PORT") ;;
          esac
          line=$("$OUT/startwait" --port "$PORT" -- "${cmd[@]}" 2>> "$out" | grep '^RESULT' || true)
          record startup "$sv" "$rep" "$k" "${line:-RESULT errors=1}"
          if [ "${sv%%+*}" = ours ]; then
            line=$("$OUT/hosts/bench-host" startup --zip "$ZIP" 2>> "$out" | grep '^RESULT' || true)
            record startup-inproc "$sv" "$rep" "$k" "${line:-RESULT errors=1}"
          fi
        done
        echo "   startup $sv rep $rep: $(grep -o ' ms=[^ ]*' <<< "$line" || grep -o 'load_object_ms=[^ ]*' <<< "$line")"
        return ;;
    esac
    stop_server
    [ -n "$line" ] || line="RESULT errors=1 no_result=1"
    line="$line $HOSTSTATS"
    # Throughput and latency suffer when other processes take CPU; memory (hold, burst) does not.
    local other=""
    # other_cpu_pct is the machine's busy CPU less the server's and the client's; it includes the
    # kernel's softirq work for loopback TCP (large with 16 KiB and 64 KiB messages), which the
    # run itself causes: that part (softirq_cpu_pct) is not counted as other processes.
    if [[ "$sc" != hold && "$sc" != maxconns && "$sc" != burst ]]; then
      other=$(grep -o 'other_cpu_pct=[-0-9.]*' <<< "$line" | head -1 | cut -d= -f2 || true)
      local irq; irq=$(grep -o 'softirq_cpu_pct=[-0-9.]*' <<< "$line" | head -1 | cut -d= -f2 || true)
      [ -n "$other" ] && [ -n "$irq" ] && other=$(awk -v o="$other" -v i="$irq" 'BEGIN{printf "%.1f", o - i}')
    fi
    if [ -n "$other" ] && awk -v o="$other" 'BEGIN{exit !(o > 15)}'; then
      record "$sc" "$sv" "$rep" "$try" "$line disturbed=1"
      echo "   $sc $sv rep $rep: other processes used ${other}% of a core during the run: $([ "$try" -lt 4 ] && echo again || echo 'left out')"
      [ "$try" -lt 4 ] && sleep 5
      continue
    fi
    record "$sc" "$sv" "$rep" "$try" "$line"
    echo "   $sc $sv rep $rep: $(grep -oE ' (msgs_per_s|p50_us|p99_us|bytes_per_conn|established|dropped|last_ms|cpu_pct|server_cpu_pct|rss_before_kb|peak_kb|after_kb|back_s|wire_bytes_per_msg|host_loop_cpu_ns_per_msg|pushes_per_s|deliveries_per_s|errors)=[^ ]*' <<< "$line" | tr '\n' ' ')"
    return
  done
}

servers_for() {  # the servers of a scenario: latency also runs ours with Таймаут 1000 and 0
  local sc=$1 s out=()
  for s in "${SERVER_LIST[@]}"; do
    out+=("$s")
    if [ "$s" = ours ] && [ "$sc" = latency ]; then out+=("ours+TIMEOUT=1000"); fi
  done
  echo "${out[@]}"
}

# ---- run -----------------------------------------------------------------------------------------
T0=$SECONDS s1=""
for sc in $SCENARIOS; do
  echo "== $sc"
  if [ "$sc" = soak ]; then
    wait_quiet
    line=$("$PY" "$BENCH/tools/soak.py" --host "$OUT/hosts/bench-host" --zip "$ZIP" --minutes "$SOAK_MINUTES" \
             --csv "$RUNDIR/soak.csv" --log "$LOGDIR/soak.log" 2> "$LOGDIR/soak.err" | grep '^RESULT' || true)
    record soak ours 1 1 "${line:-RESULT errors=1 no_result=1}"
    echo "   soak: $line"
    continue
  fi
  reps=$REPS
  [ "$sc" = burst ] && reps=$BURST_REPS
  scs=("$sc"); [ "$sc" = compress ] && scs=(compress-off compress-on)
  for rep in $(seq 1 "$reps"); do
    for s1 in "${scs[@]}"; do
      # Interleaved, and the order rotated each repetition, so slow drifts in the machine's load
      # do not land on one server.
      read -r -a list <<< "$(servers_for "$sc")"
      n=${#list[@]}
      for j in $(seq 0 $((n - 1))); do
        run_one "$s1" "${list[$(( (j + rep - 1) % n ))]}" "$rep"
      done
    done
  done
done
echo "== done in $((SECONDS - T0)) s"
"$PY" "$BENCH/summarize.py" "$RAW" | tee "$TABLE"
cp "$TABLE" "$BENCH/results/latest.md"
if [ "$CHARTS" = 1 ]; then
  "$PY" "$BENCH/charts.py" "$RAW" "$RUNDIR" && echo "== charts: $RUNDIR"
fi
echo "== table: $TABLE (and bench/results/latest.md); raw: $RAW"
