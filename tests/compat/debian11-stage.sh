#!/usr/bin/env bash
# The Debian 11 proof: the native host's ws and wss tests against the real package, run
#   1. inside a Debian 11 root (glibc 2.31, OpenSSL 1.1.1, python3-websockets 8.1) entered with
#      chroot (tests/compat/run-in-debian11.sh), and
#   2. on this machine (Debian 12: OpenSSL 3, python3-websockets 10.4),
# with the same test binary and the same WebSocket.zip. In each, the test process's own dynamic
# loader (LD_DEBUG=files) must report that it initialised libssl/libcrypto of the expected major
# version (1.1 in the root, 3 here) and not the other one: a run that silently used another
# OpenSSL fails.
#
#   tests/compat/debian11-stage.sh [--no-host] [--filter GTEST_FILTER]
#
# Needs root (chroot, mounts), clang, cmake, python3, network on the first run (bullseye .debs for
# the test sysroot, debootstrap of the root; both cached under .work/). The package is
# $WEBSOCKET_ADDIN_ZIP or dist/WebSocket.zip (./build.sh); a missing one is an error.
#
# The test binary is tests/native-host's server_test, built by clang against a Debian 11 sysroot
# (tools/sysroot/make-bullseye-sysroot.sh with bullseye's zlib, nlohmann-json, googletest 1.10 added:
# .work/sysroot-bullseye-host) into tests/native-host/build-debian11, so that it runs on both systems.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# ws: the server against the python peer; wss: every certificate form; the errors (busy port,
# unreadable certificate, wrong password) load keys through OpenSSL too.
FILTER=${DEBIAN11_GTEST_FILTER:-'Peers/ServerPeers.*/python:Forms/ServerTls.*_python:Lang/ServerErrors.*'}
run_host=1
while (($#)); do
  case $1 in
    --no-host) run_host=; shift ;;
    --filter) FILTER=$2; shift 2 ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

log() { printf '[debian11-stage] %s\n' "$*" >&2; }
t_start=$SECONDS
zip=${WEBSOCKET_ADDIN_ZIP:-$repo/dist/WebSocket.zip}
[[ -f $zip ]] || { log "no package $zip: run ./build.sh first"; exit 1; }
[[ $(id -u) == 0 ]] || { log "must run as root (chroot)"; exit 1; }
for tool in clang++ cmake python3; do
  command -v "$tool" >/dev/null || { log "$tool missing"; exit 1; }
done

# ---- the test binary, against Debian 11 ---------------------------------------------------------
t0=$SECONDS
sysroot=$(EXTRA_PACKAGES="zlib1g zlib1g-dev nlohmann-json3-dev libgtest-dev libgmock-dev" \
  "$repo/tools/sysroot/make-bullseye-sysroot.sh" "$repo/.work/sysroot-bullseye-host" | tail -n1)
build=$repo/tests/native-host/build-debian11
stage=$repo/.work/debian11-stage
# The host resolves the peers as <WEBSOCKET_REPO_DIR>/tests/peers/...: one absolute path, valid on
# this machine (the staged copy) and in the root (a symlink to the copy made there).
stage_repo=$stage/repo
cmake -S "$repo/tests/native-host" -B "$build" -G "Unix Makefiles" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_SYSROOT="$sysroot" \
  -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY \
  -DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY -DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEBSOCKET_REPO_DIR="$stage_repo" >"$stage.cmake.log" 2>&1 \
  || { tail -n 30 "$stage.cmake.log" >&2; log "cmake configure failed (log: $stage.cmake.log)"; exit 1; }
cmake --build "$build" --target server_test -j"${JOBS:-2}" >>"$stage.cmake.log" 2>&1 \
  || { grep -E 'error|Error' "$stage.cmake.log" | tail -n 30 >&2; log "build failed (log: $stage.cmake.log)"; exit 1; }
"$here/check-glibc-symbols.sh" "$build/server_test" 2.31 | grep -E 'highest|OK|FAIL' >&2
log "test binary ready in $((SECONDS - t0)) s"

rm -rf "$stage"
mkdir -p "$stage_repo/dist" "$stage_repo/tests/peers"
cp "$zip" "$stage_repo/dist/WebSocket.zip"
cp -r "$repo/tests/peers/python" "$repo/tests/peers/PROTOCOL.md" "$stage_repo/tests/peers/"
cp "$build/server_test" "$stage/server_test"

# ---- the run, the same in both places ---------------------------------------------------------------
# run_tests EXPECTED_OPENSSL_MAJOR (1.1 or 3), in the current directory, server_test next to it.
# shellcheck disable=SC2016
run_tests='
set -u
want=$1; filter=$2
case $want in 1.1) other=3 ;; *) other=1.1 ;; esac
rm -f /tmp/ld-debug.* gtest.out
LD_DEBUG=files LD_DEBUG_OUTPUT=/tmp/ld-debug ./server_test --gtest_filter="$filter" --gtest_color=no > >(tee gtest.out) 2>&1 &
pid=$!
# Never hang the stage: a process still alive 20 s after its summary, or after the time budget,
# is reported and killed (glibc 2.31 e.g. blocks exit() in pthread_cond_destroy while a thread waits).
deadline=$((SECONDS + ${STAGE_TIMEOUT:-1200}))
summary_at=
hung=
alive() { [ -e /proc/$pid ] && ! grep -q "^State:.*Z" /proc/$pid/status 2>/dev/null; }
while alive; do
  if [ -z "$summary_at" ] && grep -q "^\[==========\] .* ran\." gtest.out 2>/dev/null; then summary_at=$SECONDS; fi
  if [ -n "$summary_at" ] && [ $((SECONDS - summary_at)) -ge 20 ]; then hung="still running 20 s after its summary (hangs in exit)"; break; fi
  if [ $SECONDS -ge $deadline ]; then hung="still running after ${STAGE_TIMEOUT:-1200} s"; break; fi
  sleep 0.5
done
fail=0
if [ -n "$hung" ]; then
  echo "FAIL: server_test $hung; its threads:"
  for t in /proc/$pid/task/*; do echo "  $(cat $t/comm 2>/dev/null) in $(cat $t/wchan 2>/dev/null)"; done
  kill -9 $pid
  fail=1
fi
wait $pid
rc=$?
sleep 0.2  # tee flushes
ran=$(sed -n "s/^\[==========\] \([0-9]*\) tests\{0,1\} from .* ran\..*/\1/p" gtest.out)
skipped=$(sed -n "s/^\[  SKIPPED \] \([0-9]*\) tests\{0,1\}, listed below:/\1/p" gtest.out)
[ -n "$ran" ] && [ "$ran" -gt 0 ] || { echo "FAIL: no test ran (filter $filter)"; fail=1; }
[ -z "$skipped" ] || { echo "FAIL: $skipped test(s) skipped: every one must run here"; fail=1; }
trace=/tmp/ld-debug.$pid
echo "--- OpenSSL as loaded by the test process (pid $pid), from its dynamic loader:"
grep -E "file=lib(ssl|crypto)\.so\.[0-9.]+ \[0\];  dynamically loaded by|calling init: .*/lib(ssl|crypto)\.so" "$trace" | sed "s/^ *[0-9]*:\t*/  /" | sort -u
for lib in libssl libcrypto; do
  grep -qE "calling init: .*/$lib\.so\.$want\$" "$trace" || { echo "FAIL: the test process did not load $lib.so.$want"; fail=1; }
  if grep -qE "calling init: .*/$lib\.so\.$other\$" "$trace"; then echo "FAIL: the test process loaded $lib.so.$other"; fail=1; fi
done
rm -f /tmp/ld-debug.*
[ $rc -eq 0 ] || echo "FAIL: server_test exited $rc"
[ $rc -eq 0 ] && [ $fail -eq 0 ] && echo "OK: $ran tests, OpenSSL $want"
[ $rc -eq 0 ] && [ $fail -eq 0 ]
'
printf '%s' "$run_tests" >"$stage/run-tests.sh"

status=0
t0=$SECONDS
log "== in Debian 11 (chroot): $FILTER"
# run-in-debian11.sh copies into /work of the root; the symlink gives the staged repo its host path.
set +e
"$here/run-in-debian11.sh" --copy "$stage_repo" --copy "$stage/server_test" --copy "$stage/run-tests.sh" \
  --env WEBSOCKET_REQUIRE_ADDIN=1 --env WEBSOCKET_REQUIRE_PEERS=1 -- \
  "mkdir -p '$(dirname "$stage_repo")' && ln -sfn /work/repo '$stage_repo' && python3 -c 'import websockets, ssl; print(\"python3-websockets\", websockets.__version__, \"/\", ssl.OPENSSL_VERSION)' && bash run-tests.sh 1.1 '$FILTER'; rc=\$?; rm -f '$stage_repo'; exit \$rc"
rc=$?
set -e
((rc == 0)) || status=1
log "Debian 11: exit $rc, $((SECONDS - t0)) s"

if [[ -n $run_host ]]; then
  t0=$SECONDS
  log "== on this machine: $FILTER"
  set +e
  (cd "$stage" && /usr/bin/python3 -c 'import websockets, ssl; print("python3-websockets", websockets.__version__, "/", ssl.OPENSSL_VERSION)' &&
    WEBSOCKET_REQUIRE_ADDIN=1 WEBSOCKET_REQUIRE_PEERS=1 bash run-tests.sh 3 "$FILTER")
  rc=$?
  set -e
  ((rc == 0)) || status=1
  log "this machine: exit $rc, $((SECONDS - t0)) s"
fi

log "stage $( ((status == 0)) && echo passed || echo FAILED ) in $((SECONDS - t_start)) s"
exit $status
