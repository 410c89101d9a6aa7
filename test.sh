#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian 12 machine: builds the package (./build.sh),
# installs what the tests need, then runs each stage and prints a summary. Exits non-zero if any
# stage failed. Stages:
#   managed   xunit: ABI layouts against clang's (Itanium, MSVC x64, MSVC x86), the package's manifest
#   engine    xunit: the engine's concurrency pieces in-process (the inbound queue's wake-ups under races)
#   build.ps1 the Windows packaging script under PowerShell 7, with stand-in DLLs
#   windows   the Windows x64 DLL: its imports and exports, and a smoke test under Wine
#   peers     the three test peers against servers we did not write
#   host      the C++ native host loading dist/WebSocket.zip as 1C does: server and client suites
#   windows-host  the same suites against the Windows DLL under Wine, through a host with MSVC x64's
#             layouts (addin-platform.exe); prints every test that did not run there and why
#   browser   headless Chromium: samples/echo.html talks to the demo echo server
#   glibc     the shipped Linux library needs nothing newer than GLIBC_2.17, and only glibc
#   debian11  the same host and library inside a Debian 11 root with OpenSSL 1.1
set -uo pipefail
cd "$(dirname "$0")"
ROOT="$PWD"
source tools/ci/apt.sh

./build.sh || { echo "BUILD FAILED"; exit 1; }

echo "== installing test dependencies"
apt_install g++ clang lld cmake make libgtest-dev googletest nlohmann-json3-dev zlib1g-dev openssl \
  python3 python3-websockets debootstrap ca-certificates chromium nginx \
  llvm wine wine64 gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix libz-mingw-w64-dev || exit 1
# Node: the machine's own (with npm) when present, else Debian's.
command -v node >/dev/null || apt_install nodejs || exit 1
command -v npm >/dev/null || apt_install npm || exit 1
# PowerShell 7 as a .NET tool (from NuGet), to check build.ps1's packaging half on Linux.
[ -x .work/pwsh/pwsh ] || dotnet tool install PowerShell --version 7.6.9 --tool-path .work/pwsh >/dev/null || exit 1
(cd tests/peers/node && npm ci --no-audit --no-fund --loglevel=error) || exit 1
dotnet build tests/peers/dotnet -c Release -o tests/peers/dotnet/bin -nologo -v:q || exit 1

declare -a RESULTS=()
FAILED=0
stage() {
  local name="$1"; shift
  echo
  echo "================ stage: $name"
  local started=$SECONDS
  if "$@"; then
    RESULTS+=("PASS  $name ($((SECONDS - started)) s)")
  else
    RESULTS+=("FAIL  $name ($((SECONDS - started)) s)")
    FAILED=$((FAILED + 1))
  fi
}

run_host_suite() {
  cmake -S tests/native-host -B tests/native-host/build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
  cmake --build tests/native-host/build -j2 &&
  # In CI a missing package or peer program is a failure, never a skip.
  WEBSOCKET_REQUIRE_ADDIN=1 WEBSOCKET_REQUIRE_PEERS=1 \
    ctest --test-dir tests/native-host/build --output-on-failure --timeout 600
}

stage managed dotnet test tests/managed/OneC.NativeApi.Tests -c Release -nologo
stage engine dotnet test tests/managed/WebSocket.Engine.Tests -c Release -nologo
stage build.ps1 bash tests/package/check-build-ps1.sh .work/pwsh/pwsh
stage windows bash tests/package/windows-stage.sh
stage peers bash tests/peers/selftest.sh
stage host run_host_suite
stage windows-host bash tests/native-host/windows/stage.sh
stage browser bash tests/browser/echo-page.sh
stage glibc bash tests/compat/check-package-glibc.sh
stage debian11 bash tests/compat/debian11-stage.sh

echo
echo "================ summary"
printf '%s\n' "${RESULTS[@]}"
PASSED=$(( ${#RESULTS[@]} - FAILED ))
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
