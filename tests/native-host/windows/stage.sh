#!/usr/bin/env bash
# The Windows host stage of ./test.sh: the Windows x64 library of dist/WebSocket.zip under Wine,
# driven by addin-platform.exe (the platform, with MSVC x64's vtable layouts: tests/native-host/
# windows) through the host's own server and client suites, built from the same sources as the
# Linux host stage (WEBSOCKET_WINE_HOST selects the backend). Linux peers talk to the server in
# Wine over loopback; the Client in Wine talks to Linux servers.
#   tests/native-host/windows/stage.sh            (after ./build.sh; ./test.sh runs it)
# 1. builds the Windows side (mingw-w64) and, if the host stage has not, the Linux test programs;
# 2. a fresh Wine prefix in .work/wine-host, one persistent wineserver for the whole stage;
# 3. the host's layouts against clang's MSVC x64 dump, and the negative control;
# 4. the harness itself under Wine: host_selftest's Fake tests against the fake add-in's DLL;
# 5. server_test, client_test, hostile_test and samples_test (the 1C samples), minus NOT_UNDER_WINE (each pattern with its reason);
# 6. a summary: per suite passed / failed / skipped, and every test that did not run, with why.
# Exit status 0 only if every step passed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cd "$repo"
source tools/ci/apt.sh
# libgnutls30: Wine's crypt32, bcrypt and schannel dlopen it, and it is only a Recommends of libwine
# (apt_install installs no Recommends).
apt_install wine wine64 libgnutls30 g++-mingw-w64-x86-64-posix libz-mingw-w64-dev nlohmann-json3-dev clang cmake \
  python3 || exit 1

started=$SECONDS
step() { echo; echo "== [$((SECONDS - started)) s] $*"; }
zip="${WEBSOCKET_ADDIN_ZIP:-$repo/dist/WebSocket.zip}"
out="$repo/.work/wine-host"
rm -rf "$out"
mkdir -p "$out"

# What cannot run under Wine 8, and why (docs/wine-tls.md; wine-tls-repro.sh reproduces each). Patterns are
# gtest filters; the tests they match are listed by name in the summary.
declare -a NOT_UNDER_WINE=(
  "Forms/ServerTls.*|Wine 8's schannel has no TLS server (AcceptSecurityContext: SEC_E_UNSUPPORTED_FUNCTION), and before that our server cannot even load a certificate there: a PFX fails in PFXImportCertStore (flags 0x8200, PKCS12_NO_PERSIST_KEY|PKCS12_ALWAYS_CNG_KSP, not supported), a PEM key in BCryptGetProperty(KeyStrength) of an RSA key (not implemented)"
  "*ours_wss*|the same: no TLS server under Wine 8"
  "Servers/ClientTls.*/ours|the same: no TLS server under Wine 8"
  "Lang/ServerErrors.WrongPassword/*|every certificate fails to load under Wine 8, so a refusal of the wrong password would prove nothing"
  "*node_wss*|the client's certificate checks are Wine 8's crypt32, and they are wrong both ways: it refuses 127.0.0.1 (an iPAddress name is never matched: CERT_E_CN_NO_MATCH) and it accepts a chain whose issuer it never found (CERT_TRUST_IS_PARTIAL_CHAIN passes the SSL policy); a pass or a failure here would be Wine's"
  "*python_wss*|the same: Wine 8's certificate checks decide these, not the add-in's"
  "Servers/ClientTls.Trust*|the same: Wine 8's certificate checks decide these (PinTheThumbprint, which is the add-in's own check, runs)"
  "Lang/ClientErrors.Tls*|the same, and a refused certificate ends in SEC_E_UNSUPPORTED_FUNCTION (Wine 8's schannel has no ApplyControlToken alert), not in the add-in's message"
  # Not impossible, only slow: the stage's time budget (about 5 minutes).
  "Peers/ServerPeers.FiftyClientsThousandMessagesEachExactlyOnceInOrder/node|time budget: 50 clients x 1000 messages takes 20-30 s per peer under Wine; the python run of it covers the server in Wine"
  "Peers/ServerPeers.FiftyClientsThousandMessagesEachExactlyOnceInOrder/dotnet|time budget: the same"
  # Measured in the wrong process: these read the resident memory of the test program, where the add-in
  # runs on Linux; under Wine it runs in addin-platform.exe.
  "HostileClients.AFloodOfEndlessFragmentedMessagesStaysWithinTheBudget|it measures the resident memory of the process the add-in runs in, which under Wine is another one; the host stage runs it"
  "Peers/MemoryBack.*|the same: resident memory after a burst, measured in the test program; the host stage runs it"
)

failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

step "the package's Windows library"
if ! python3 - "$zip" <<'PY'
import sys, zipfile, re
z = zipfile.ZipFile(sys.argv[1])
name = next((n for n in z.namelist() if n.lower() == "manifest.xml"), None)
m = z.read(name).decode() if name else ""
ok = re.search(r'os="Windows"[^>]*arch="x86_64"|arch="x86_64"[^>]*os="Windows"', m)
print(("%s: lists a Windows x86_64 library" if ok else "%s: MANIFEST.XML lists no Windows x86_64 library (./build.sh makes it)") % sys.argv[1])
sys.exit(0 if ok else 1)
PY
then
  exit 1
fi

step "building the Windows side (mingw-w64) and the Linux test programs"
cmake -S tests/native-host/windows -B tests/native-host/build-windows -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE="$here/mingw-w64-x86_64.cmake" >/dev/null &&
  cmake --build tests/native-host/build-windows -j2 || exit 1
cmake -S tests/native-host -B tests/native-host/build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
  cmake --build tests/native-host/build -j2 --target host_selftest server_test client_test hostile_test samples_test || exit 1

step "a fresh Wine prefix"
export WINEPREFIX="$out/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
timeout 300 wineboot --init >/dev/null 2>&1 || { echo "wineboot --init failed"; exit 1; }
# One persistent server for the stage: no start-up per program, and none of its descriptors
# inherited from a test's pipes.
wineserver -w  # let wineboot's server finish its writes (a kill here makes the next program redo the update)
wineserver -p </dev/null >/dev/null 2>&1
trap 'wineserver -k 2>/dev/null' EXIT
# The first program of the server starts Wine's own (services.exe, winedevice.exe, ...), which
# inherit its standard handles and keep them open: let that be a program whose output nobody reads.
timeout 120 /usr/lib/wine/wine64 cmd.exe /c exit </dev/null >/dev/null 2>&1
echo "$WINEPREFIX ($(wine --version 2>/dev/null))"

step "layouts: mingw-w64's against clang's MSVC x64, and the negative control"
ctest --test-dir tests/native-host/build-windows --output-on-failure -V 2>&1 |
  grep -E "mingw-w64 layouts|as expected|disagreements|matched MSVC|tests passed|Failed|Error" || true
ctest --test-dir tests/native-host/build-windows >/dev/null 2>&1 || fail "the layout checks (ctest --test-dir tests/native-host/build-windows -V)"

export WEBSOCKET_WINE_HOST="$repo/tests/native-host/build-windows/addin-platform.exe"
export WEBSOCKET_REQUIRE_ADDIN=1 WEBSOCKET_REQUIRE_PEERS=1

step "the harness under Wine: host_selftest's Fake tests against the fake add-in's DLL"
WEBSOCKET_FAKE_ZIP="$repo/tests/native-host/build-windows/fake-windows.zip" \
  timeout 300 tests/native-host/build/host_selftest --gtest_filter='Fake.*' --gtest_brief=1 \
  --gtest_output="xml:$out/host_selftest.xml" >"$out/host_selftest.log" 2>&1 || fail "host_selftest under Wine ($out/host_selftest.log)"
tail -3 "$out/host_selftest.log"

negative=""
for entry in "${NOT_UNDER_WINE[@]}"; do negative+="${negative:+:}${entry%%|*}"; done
for suite in server_test client_test hostile_test samples_test; do
  step "$suite under Wine"
  # A crash of the Windows host fails the test in flight; the next one starts a new host.
  timeout 900 "tests/native-host/build/$suite" --gtest_filter="-$negative" --gtest_brief=1 \
    --gtest_output="xml:$out/$suite.xml" >"$out/$suite.log" 2>&1 || fail "$suite under Wine ($out/$suite.log)"
  grep -E "^\[  (PASSED|FAILED|SKIPPED) \]|tests? ran" "$out/$suite.log" | tail -40
done

step "summary"
python3 - "$out" "$repo/tests/native-host/build" "${NOT_UNDER_WINE[@]}" <<'PY'
import os, subprocess, sys
import xml.etree.ElementTree as ET
out, build, patterns = sys.argv[1], sys.argv[2], sys.argv[3:]
print("%-16s %7s %7s %7s %8s" % ("suite (Wine)", "passed", "failed", "skipped", "time"))
for suite in ["host_selftest", "server_test", "client_test", "hostile_test", "samples_test"]:
    path = os.path.join(out, suite + ".xml")
    if not os.path.exists(path):
        print("%-16s  did not finish (no %s)" % (suite, path))
        continue
    root = ET.parse(path).getroot()
    cases = root.iter("testcase")
    passed = failed = skipped = 0
    lines = []
    for c in cases:
        name = "%s.%s" % (c.get("classname"), c.get("name"))
        if c.find("failure") is not None:
            failed += 1
            lines.append("  FAILED   %s: %s" % (name, c.find("failure").get("message", "").split("\n")[0][:200]))
        elif c.get("result") == "skipped" or c.find("skipped") is not None:
            skipped += 1
            s = c.find("skipped")
            lines.append("  SKIPPED  %s: %s" % (name, (s.get("message", "") if s is not None else "").strip().split("\n")[-1][:200]))
        else:
            passed += 1
    print("%-16s %7d %7d %7d %7.0fs" % (suite, passed, failed, skipped, float(root.get("time", "0"))))
    for l in lines:
        print(l)
print()
print("Not run under Wine (filtered out, with the reason):")
count = 0
seen = set()
for entry in patterns:
    pattern, reason = entry.split("|", 1)
    names = []
    for suite in ["server_test", "client_test", "hostile_test", "samples_test"]:
        p = subprocess.run([os.path.join(build, suite), "--gtest_list_tests", "--gtest_filter=" + pattern],
                           stdout=subprocess.PIPE, text=True)
        group = ""
        for line in p.stdout.splitlines():
            if not line.startswith(" "):
                group = line.strip()
            else:
                name = group + line.strip().split("  #")[0]
                if name not in seen:
                    seen.add(name)
                    names.append(name)
    count += len(names)
    print("  %s (%d): %s" % (pattern, len(names), reason))
    for n in names:
        print("      " + n)
print("%d tests not run under Wine" % count)
PY

echo
echo "windows-host stage: $((SECONDS - started)) s, $failed step(s) failed"
[ "$failed" -eq 0 ]
