#!/usr/bin/env bash
# Checks build.ps1's packaging on Linux (its NativeAOT publish needs Windows and is not run):
#   tests/package/check-build-ps1.sh [PWSH]
# Links two stand-in Windows DLLs with the Native API's exports (clang + lld-link), runs
# `build.ps1 -SkipBuild` on them with a copy of dist/WebSocket.zip as the package to replace, then
#   1. MANIFEST.XML and INFO.XML must be byte-identical to what tools/package/make-package.py writes
#      for the same libraries,
#   2. the Linux library must have been carried over from the old package, byte for byte,
#   3. the result must pass the managed package test (PackageTests, WEBSOCKET_ADDIN_ZIP=result),
#   4. with only the x86 DLL built (`-Runtime win-x86` on build.sh's package), the package's Windows
#      x64 and Linux libraries must be kept, byte for byte,
#   5. build.ps1 must refuse a DLL of the wrong machine and one with decorated x86 export names.
# PWSH defaults to pwsh on PATH. Without one: `dotnet tool install PowerShell --tool-path DIR`.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
pwsh=${1:-$(command -v pwsh || true)}
[[ -n $pwsh && -x $pwsh ]] || { echo "no pwsh (PowerShell 7): pass its path, or dotnet tool install PowerShell --tool-path DIR" >&2; exit 2; }
[[ -f $repo/dist/WebSocket.zip ]] || { echo "dist/WebSocket.zip missing: run ./build.sh" >&2; exit 1; }

# Windows PowerShell 5.1 reads a BOM-less script in the ANSI code page: non-ASCII bytes could even
# turn into quote characters there.
if LC_ALL=C grep -n '[^[:print:][:space:]]' "$repo/build.ps1"; then echo "FAIL: build.ps1 must be ASCII" >&2; exit 1; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/stub.c" <<'C'
typedef unsigned short wchar16;
long GetClassObject(const wchar16* name, void** component) { return name && component ? 0 : 1; }
long DestroyObject(void** component) { return component ? 0 : -1; }
const wchar16* GetClassNames(void) { return 0; }
int SetPlatformCapabilities(int capabilities) { return capabilities; }
int GetAttachType(void) { return 3; }
C
exports=(/export:GetClassObject /export:DestroyObject /export:GetClassNames /export:SetPlatformCapabilities /export:GetAttachType)
link() { # link TRIPLE MACHINE OUT [extra lld-link args]
  local triple=$1 machine=$2 out=$3; shift 3
  clang -target "$triple" -O1 -c "$work/stub.c" -o "$work/stub-$machine.obj"
  mkdir -p "$(dirname "$out")"
  lld-link /dll /noentry /nodefaultlib "/machine:$machine" "/out:$out" "$work/stub-$machine.obj" "$@"
}
link x86_64-pc-windows-msvc x64 "$work/build/win-x64/WebSocketAddIn.dll" "${exports[@]}"
link i686-pc-windows-msvc x86 "$work/build/win-x86/WebSocketAddIn.dll" "${exports[@]}"
cp "$repo/dist/WebSocket.zip" "$work/WebSocket.zip"
python3 - "$repo/dist/WebSocket.zip" "$work/old.so" <<'PY'
import sys, zipfile, xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
m = ET.fromstring(z.read("MANIFEST.XML"))
c = next(c for c in m if c.get("os") == "Linux")
open(sys.argv[2], "wb").write(z.read(c.get("path")))
PY

echo "== build.ps1 -SkipBuild (Linux library taken from the old package)"
"$pwsh" -NoProfile -NonInteractive -File "$repo/build.ps1" -SkipBuild -BuildDir "$work/build" -Output "$work/WebSocket.zip"

python3 "$repo/tools/package/make-package.py" "$work/reference.zip" "$(cat "$repo/VERSION")" \
  "Windows:i386:WebSocket_x86.dll:$work/build/win-x86/WebSocketAddIn.dll" \
  "Windows:x86_64:WebSocket_x64.dll:$work/build/win-x64/WebSocketAddIn.dll" \
  "Linux:x86_64:WebSocket_x64.so:$work/old.so"
python3 - "$work/WebSocket.zip" "$work/reference.zip" <<'PY'
import sys, zipfile
ps, py = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2])
assert ps.namelist() == py.namelist(), (ps.namelist(), py.namelist())
for name in py.namelist():
    assert ps.read(name) == py.read(name), f"{name} differs:\n{ps.read(name)!r}\n{py.read(name)!r}"
    assert ps.getinfo(name).compress_type == zipfile.ZIP_DEFLATED, name
print("identical to make-package.py:", ", ".join(py.namelist()))
PY

echo "== the managed package test on the result"
WEBSOCKET_ADDIN_ZIP="$work/WebSocket.zip" dotnet test "$repo/tests/managed/OneC.NativeApi.Tests" -nologo -v:q \
  --filter "FullyQualifiedName~OneC.NativeApi.Tests.PackageTests" 2>&1 | tail -n 3

echo "== build.ps1 with only win-x86 built: the package's Windows x64 and Linux libraries are kept"
mkdir -p "$work/x86only/win-x86"
cp "$work/build/win-x86/WebSocketAddIn.dll" "$work/x86only/win-x86/"
cp "$repo/dist/WebSocket.zip" "$work/third.zip"
"$pwsh" -NoProfile -NonInteractive -File "$repo/build.ps1" -SkipBuild -BuildDir "$work/x86only" -Output "$work/third.zip" >/dev/null
python3 - "$repo/dist/WebSocket.zip" "$work/third.zip" "$work/x86only/win-x86/WebSocketAddIn.dll" <<'PY'
import sys, zipfile, xml.etree.ElementTree as ET
def libraries(path):
    z = zipfile.ZipFile(path)
    return {(c.get("os"), c.get("arch")): z.read(c.get("path")) for c in ET.fromstring(z.read("MANIFEST.XML"))}
old, new = libraries(sys.argv[1]), libraries(sys.argv[2])
assert ("Windows", "x86_64") in old, "dist/WebSocket.zip has no Windows x86_64 library: build.sh builds one"
assert sorted(new) == [("Linux", "x86_64"), ("Windows", "i386"), ("Windows", "x86_64")], sorted(new)
assert new["Windows", "i386"] == open(sys.argv[3], "rb").read(), "the x86 DLL is not the one built"
for kept in [("Windows", "x86_64"), ("Linux", "x86_64")]:
    assert new[kept] == old[kept], f"{kept} was not carried over byte for byte"
print("kept: Windows x86_64, Linux x86_64; added: Windows i386")
PY

echo "== build.ps1 -LinuxLibrary, and refusals"
"$pwsh" -NoProfile -NonInteractive -File "$repo/build.ps1" -SkipBuild -BuildDir "$work/build" -Output "$work/second.zip" -LinuxLibrary "$work/old.so" >/dev/null
cmp <(unzip -p "$work/second.zip" MANIFEST.XML) <(unzip -p "$work/reference.zip" MANIFEST.XML)
expect_failure() { # expect_failure WHAT PATTERN
  if "$pwsh" -NoProfile -NonInteractive -Command "try { & '$repo/build.ps1' -SkipBuild -BuildDir '$work/build' -Output '$work/bad.zip' } catch { Write-Output \$_.Exception.Message; exit 1 }" >"$work/out" 2>&1; then
    echo "FAIL: build.ps1 accepted $1" >&2; exit 1
  fi
  grep -q "$2" "$work/out" || { echo "FAIL: $1: unexpected message:" >&2; cat "$work/out" >&2; exit 1; }
  echo "refused: $1"
}
mv "$work/build/win-x86/WebSocketAddIn.dll" "$work/x86.dll"
cp "$work/build/win-x64/WebSocketAddIn.dll" "$work/build/win-x86/WebSocketAddIn.dll"
expect_failure "an x64 DLL as win-x86" "machine 0x8664, expected 0x14c"
# stdcall-style decorated names, as an x86 DLL exported without a .def file would have.
link i686-pc-windows-msvc x86 "$work/build/win-x86/WebSocketAddIn.dll" /export:_GetClassObject@8=GetClassObject \
  /export:DestroyObject /export:GetClassNames /export:SetPlatformCapabilities /export:GetAttachType
expect_failure "decorated x86 export names" "_GetClassObject@8"
echo "OK"
