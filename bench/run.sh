#!/usr/bin/env bash
# The benchmark of issue 4: the add-in (driven by the C++ native host running the seed's loop,
# as 1C runs it) beside a Kestrel NativeAOT echo server and a Node `ws` echo server, every figure
# from the same clients: ../shared/bench/wsload.c (echo, hold) and, where wsload has no mode,
# bench/tools/wsbench.c (wss echo, broadcast) and bench/tools/startwait.c (process start-up).
#
#   bench/run.sh [--quick] [--reps N] [--seconds S] [--servers ours,kestrel,node]
#                [--scenarios LIST] [--zip PACKAGE.zip] [--no-build] [--no-build-addin]
#
# Builds everything (./build.sh for the add-in unless --zip/--no-build-addin, wsload, the tools,
# the hosts, kestrel-echo, npm ci for node-echo), runs every scenario N times (3) against each
# server, a fresh server process for every run, the servers interleaved run by run, and prints
# the table (min/median/max, ours/Kestrel). Raw RESULT lines: bench/results/raw/<stamp>.txt;
# the table: bench/results/<stamp>.md and bench/results/latest.md.
# Scenarios: latency msgs bandwidth hold bcast1k bcast10k wss startup (default: all).
# Before each run it waits (up to 20 s) for the machine to be quiet (other work under 25% of a
# core); an echo run during which other processes used over 15% of a core is marked disturbed
# and run again (four tries; a run disturbed every time is left out of the table, which then
# shows n < 3). The load average and the other processes' CPU are kept with every run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/build"
SHARED_DIR="${SHARED_DIR:-$ROOT/../shared}"

REPS=3 SECONDS_ECHO=8 WARMUP=1 HOLD_CONNS=10000 HOLD_SECONDS=10 BC_ROUNDS=7 STARTS=5
SERVERS="ours,kestrel,node"
SCENARIOS="latency msgs bandwidth hold bcast1k bcast10k wss startup"
ZIP="" BUILD=1 BUILD_ADDIN=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) REPS=1 SECONDS_ECHO=3 WARMUP=0.5 HOLD_SECONDS=3 BC_ROUNDS=3 STARTS=2 ;;
    --reps) REPS="$2"; shift ;;
    --seconds) SECONDS_ECHO="$2"; shift ;;
    --servers) SERVERS="$2"; shift ;;
    --scenarios) SCENARIOS="${2//,/ }"; shift ;;
    --zip) ZIP="$(realpath "$2")"; BUILD_ADDIN=0; shift ;;
    --no-build) BUILD=0; BUILD_ADDIN=0 ;;
    --no-build-addin) BUILD_ADDIN=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
ZIP="${ZIP:-$ROOT/dist/WebSocket.zip}"
IFS=, read -r -a SERVER_LIST <<< "$SERVERS"

# ---- build -------------------------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
  # shellcheck source=/dev/null
  source "$ROOT/tools/ci/apt.sh"
  apt_install gcc g++ make cmake zlib1g-dev nlohmann-json3-dev libssl-dev openssl python3
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  [ "$BUILD_ADDIN" = 1 ] && "$ROOT/build.sh"
  mkdir -p "$OUT"
  echo "== wsload (from $SHARED_DIR/bench/wsload.c) and the bench tools"
  [ -f "$SHARED_DIR/bench/wsload.c" ] || { echo "run.sh: no $SHARED_DIR/bench/wsload.c (set SHARED_DIR)" >&2; exit 2; }
  gcc -O2 -std=c11 -Wall -Wextra -o "$OUT/wsload" "$SHARED_DIR/bench/wsload.c" -lm
  "$OUT/wsload" --selftest | tail -1
  gcc -O2 -std=c11 -Wall -Wextra -o "$OUT/wsbench" "$BENCH/tools/wsbench.c" -lssl -lcrypto -lm
  gcc -O2 -std=c11 -Wall -Wextra -o "$OUT/startwait" "$BENCH/tools/startwait.c"
  echo "== native hosts (ws-echo-host, bench-host)"
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
[ "$(ulimit -n)" -ge $((HOLD_CONNS + 100)) ] || { echo "run.sh: ulimit -n $(ulimit -n) is too low for $HOLD_CONNS connections" >&2; exit 2; }

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$BENCH/results/raw"
RAW="$BENCH/results/raw/$STAMP.txt"
TABLE="$BENCH/results/$STAMP.md"
LOGDIR="$OUT/logs/$STAMP"
mkdir -p "$LOGDIR"
{
  echo "# bench/run.sh $STAMP reps=$REPS seconds=$SECONDS_ECHO servers=$SERVERS scenarios=$SCENARIOS"
  echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "# zip: $ZIP ($(stat -c %y "$ZIP" | cut -d. -f1)), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' +uncommitted src changes')"
  echo "# dotnet $(dotnet --version), node $(node --version), ws $(node -p "require('$BENCH/reference/node-echo/node_modules/ws/package.json').version")"
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
URL=""
start_server() {  # start_server KIND[+VAR=VALUE...] SHAPE(echo|broadcast|tls)
  local spec=$1 shape=$2 log="$LOGDIR/server-$PORT.log"
  PORT=$((PORT + 1))
  # A server spec may carry environment settings for the server process, for A/B runs of one
  # build (--servers ours,ours+WSX_SWITCH=0,kestrel), or ZIP=PATH for another build of the add-in
  # (--servers ours,ours+ZIP=/tmp/patched/dist/WebSocket.zip,kestrel).
  # (ZIP=PATH there is not an environment setting: that server runs another build of the add-in.)
  # SET=PROPERTY=NUMBER sets a property of ours before Запустить (ours+SET=ТаймаутПинга=0), and
  # ARG=FLAG passes a flag to the server program (kestrel+ARG=--no-ping-timeout).
  local kind=${spec%%+*} envs=() zip="$ZIP" e extra=()
  [ "$kind" = "$spec" ] || IFS=+ read -r -a envs <<< "${spec#*+}"
  for e in "${!envs[@]}"; do
    case "${envs[$e]}" in
      ZIP=*) zip="${envs[$e]#ZIP=}"; unset 'envs[$e]' ;;
      SET=*) extra+=(--set "${envs[$e]#SET=}"); unset 'envs[$e]' ;;
      ARG=*) extra+=("${envs[$e]#ARG=}"); unset 'envs[$e]' ;;
    esac
  done
  local tlsargs=() cmd=()
  case "$kind:$shape" in
    ours:broadcast) cmd=("$OUT/hosts/bench-host" broadcast --zip "$zip" 127.0.0.1 "$PORT") ;;
    ours:tls) cmd=("$OUT/hosts/ws-echo-host" --quiet --zip "$zip" "${extra[@]}" 127.0.0.1 "$PORT" "$CERT" "$KEY") ;;
    ours:*) cmd=("$OUT/hosts/ws-echo-host" --quiet --zip "$zip" "${extra[@]}" 127.0.0.1 "$PORT") ;;
    kestrel:*) [ "$shape" = tls ] && tlsargs=(--cert "$CERT" --key "$KEY")
      cmd=("$OUT/kestrel-echo/kestrel-echo" --host 127.0.0.1 --port "$PORT" "${tlsargs[@]}" "${extra[@]}") ;;
    node:*) [ "$shape" = tls ] && tlsargs=(--cert "$CERT" --key "$KEY")
      cmd=(node "$BENCH/reference/node-echo/server.js" --host 127.0.0.1 --port "$PORT" "${tlsargs[@]}") ;;
  esac
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
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT

record() {  # record SCENARIO SERVER REP TRY RESULT-LINE
  local la; la=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)
  echo "RESULT scenario=$1 server=$2 rep=$3 try=$4 busy_before_pct=$BUSY_BEFORE quiet_wait_s=$QUIET_WAIT loadavg=$la ${5#RESULT }" >> "$RAW"
}

run_one() {  # run_one SCENARIO SERVER REP
  local sc=$1 sv=$2 rep=$3 try line out args
  for try in 1 2 3 4; do
    wait_quiet
    out="$LOGDIR/$sc-${sv//[^A-Za-z0-9_=.+-]/_}-$rep-$try.log"
    line=""
    case "$sc" in
      latency|msgs|bandwidth|hold)
        start_server "$sv" echo || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        case "$sc" in
          latency) args=(--mode echo --conns 1 --depth 1 --size 32 --seconds "$SECONDS_ECHO" --warmup "$WARMUP") ;;
          msgs) args=(--mode echo --conns 64 --depth 4 --size 32 --seconds "$SECONDS_ECHO" --warmup "$WARMUP") ;;
          bandwidth) args=(--mode echo --conns 64 --depth 1 --size 16384 --seconds "$SECONDS_ECHO" --warmup "$WARMUP") ;;
          hold) args=(--mode hold --conns "$HOLD_CONNS" --seconds "$HOLD_SECONDS") ;;
        esac
        line=$("$OUT/wsload" "${args[@]}" --server-pid "$SERVER_PID" --url "$URL" 2> "$out" | grep '^RESULT' || true) ;;
      wss)
        start_server "$sv" tls || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        line=$("$OUT/wsbench" --mode echo --conns 64 --depth 4 --size 32 --seconds "$SECONDS_ECHO" --warmup "$WARMUP" \
                 --server-pid "$SERVER_PID" --url "$URL" 2> "$out" | grep '^RESULT' || true) ;;
      bcast1k|bcast10k)
        local n=1000; [ "$sc" = bcast10k ] && n=10000
        start_server "$sv" broadcast || { record "$sc" "$sv" "$rep" "$try" "RESULT errors=1 failed_to_start=1"; return; }
        line=$("$OUT/wsbench" --mode broadcast --conns "$n" --rounds "$BC_ROUNDS" --size 64 \
                 --server-pid "$SERVER_PID" --url "$URL" 2> "$out" | grep '^RESULT' || true) ;;
      startup)
        local k cmd
        for k in $(seq 1 "$STARTS"); do
          PORT=$((PORT + 1))
          case "${sv%%+*}" in
            ours) cmd=("$OUT/hosts/ws-echo-host" --quiet --zip "$ZIP" 127.0.0.1 "$PORT") ;;
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
    # Throughput and latency suffer when other processes take CPU; memory (hold) does not.
    local other=""
    [ "$sc" = hold ] || other=$(grep -o 'other_cpu_pct=[-0-9.]*' <<< "$line" | cut -d= -f2 || true)
    if [ -n "$other" ] && awk -v o="$other" 'BEGIN{exit !(o > 15)}'; then
      record "$sc" "$sv" "$rep" "$try" "$line disturbed=1"
      echo "   $sc $sv rep $rep: other processes used ${other}% of a core during the run: $([ "$try" -lt 4 ] && echo again || echo 'left out')"
      [ "$try" -lt 4 ] && sleep 5
      continue
    fi
    record "$sc" "$sv" "$rep" "$try" "$line"
    echo "   $sc $sv rep $rep: $(grep -oE '(msgs_per_s|p50_us|p99_us|bytes_per_conn|established|dropped|last_ms|ms|errors)=[^ ]*' <<< "$line" | tr '\n' ' ')"
    return
  done
}

# ---- run -----------------------------------------------------------------------------------------
T0=$SECONDS
for sc in $SCENARIOS; do
  echo "== $sc"
  for rep in $(seq 1 "$REPS"); do
    # Interleaved, and the order rotated each repetition, so slow drifts in the machine's load
    # do not land on one server.
    n=${#SERVER_LIST[@]}
    for j in $(seq 0 $((n - 1))); do
      sv=${SERVER_LIST[$(( (j + rep - 1) % n ))]}
      run_one "$sc" "$sv" "$rep"
    done
  done
done
echo "== done in $((SECONDS - T0)) s"
python3 "$BENCH/summarize.py" "$RAW" | tee "$TABLE"
cp "$TABLE" "$BENCH/results/latest.md"
echo "== table: $TABLE (and bench/results/latest.md); raw: $RAW"
