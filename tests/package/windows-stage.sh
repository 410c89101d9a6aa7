#!/usr/bin/env bash
# The Windows x64 DLL of dist/WebSocket.zip, checked on Linux:
#   tests/package/windows-stage.sh [ZIP]        (default dist/WebSocket.zip)
# 1. check-windows-dll.sh must catch what it is there to catch: stand-in DLLs linked here with
#    clang + lld-link, one as it should be, then one importing vcruntime140.dll, one with an
#    extra export, one missing an export, one for x86 (each must be refused, with the reason);
# 2. the package's DLL passes check-windows-dll.sh (imports and exports);
# 3. smoke test under Wine (private prefix in .work/wine-smoke): wine-smoke.exe (mingw-w64)
#    loads the DLL with LoadLibraryW, GetClassNames is "Server|Client", GetClassObject("Server")
#    creates an object, DestroyObject releases it, and the process ends cleanly; the same
#    program must fail on a stand-in DLL whose exports answer wrongly.
# Needs clang lld llvm wine wine64 gcc-mingw-w64-x86-64-posix (./test.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
zip=$(realpath "${1:-$repo/dist/WebSocket.zip}")
[[ -f $zip ]] || { echo "$zip missing: run ./build.sh" >&2; exit 1; }
check="$here/check-windows-dll.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== check-windows-dll.sh refuses what it must"
cat >"$work/stub.c" <<'C'
typedef unsigned short wchar16;
#ifdef NO_IMPORT
#define GetTickCount() 1
#else
__declspec(dllimport) unsigned long __stdcall GetTickCount(void);
#endif
#ifdef VCRUNTIME
__declspec(dllimport) void* __stdcall __std_type_info_name(void*, void*);
#endif
static const wchar16 names[] = { 'N', 'o', 'n', 'e', 0 };
long GetClassObject(const wchar16* name, void** component) { return name && component && GetTickCount() == 0; }
long DestroyObject(void** component) { return component ? 0 : -1; }
const wchar16* GetClassNames(void) { return names; }
int SetPlatformCapabilities(int capabilities) { return capabilities; }
int GetAttachType(void) {
#ifdef VCRUNTIME
  return __std_type_info_name(0, 0) != 0;
#else
  return 3;
#endif
}
int Extra(void) { return 0; }
int DotNetRuntimeDebugHeader;
C
printf 'LIBRARY kernel32.dll\nEXPORTS\n  GetTickCount\n' >"$work/kernel32.def"
printf 'LIBRARY vcruntime140.dll\nEXPORTS\n  __std_type_info_name\n' >"$work/vcruntime140.def"
llvm-dlltool -m i386:x86-64 -d "$work/kernel32.def" -l "$work/kernel32-x64.lib"
llvm-dlltool -m i386:x86-64 -d "$work/vcruntime140.def" -l "$work/vcruntime140.lib"
api=(/export:GetClassObject /export:DestroyObject /export:GetClassNames /export:SetPlatformCapabilities /export:GetAttachType /export:DotNetRuntimeDebugHeader,DATA)
stub() { # stub NAME TRIPLE MACHINE [clang -D...] -- [lld-link args]
  local name=$1 triple=$2 machine=$3; shift 3
  local defines=()
  while [[ $1 != -- ]]; do defines+=("$1"); shift; done
  shift
  clang -target "$triple" -O1 "${defines[@]}" -c "$work/stub.c" -o "$work/$name.obj"
  lld-link /dll /noentry /nodefaultlib "/machine:$machine" "/out:$work/$name.dll" "$work/$name.obj" "$@" >/dev/null
}
stub good x86_64-pc-windows-msvc x64 -- "${api[@]}" "$work/kernel32-x64.lib"
stub vcruntime x86_64-pc-windows-msvc x64 -DVCRUNTIME -- "${api[@]}" "$work/kernel32-x64.lib" "$work/vcruntime140.lib"
stub extra x86_64-pc-windows-msvc x64 -- "${api[@]}" /export:Extra "$work/kernel32-x64.lib"
stub missing x86_64-pc-windows-msvc x64 -- "${api[@]/\/export:GetAttachType/}" "$work/kernel32-x64.lib"
stub x86 i686-pc-windows-msvc x86 -DNO_IMPORT -- "${api[@]}"
bash "$check" "$work/good.dll" >/dev/null || { echo "FAIL: check-windows-dll.sh refused a correct stand-in DLL" >&2; exit 1; }
refused() { # refused DLL PATTERN: the check must fail on DLL, saying PATTERN
  if bash "$check" "$work/$1.dll" >"$work/out" 2>&1; then echo "FAIL: check-windows-dll.sh accepted $1.dll" >&2; exit 1; fi
  grep -q -- "$2" "$work/out" || { echo "FAIL: $1.dll refused for another reason:" >&2; cat "$work/out" >&2; exit 1; }
  echo "refused: $1.dll ($2)"
}
refused vcruntime "imports vcruntime140.dll"
refused extra "exports \[.*Extra.*\], expected exactly"
refused missing "exports \[DestroyObject DotNetRuntimeDebugHeader GetClassNames GetClassObject SetPlatformCapabilities\]"
refused x86 "not an x86-64 image"

echo "== the package's Windows x64 DLL"
python3 - "$zip" "$work/WebSocket_x64.dll" <<'PY'
import sys, zipfile, xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
m = ET.fromstring(z.read("MANIFEST.XML"))
c = [c for c in m if c.get("os") == "Windows" and c.get("arch") == "x86_64"]
if not c:
    sys.exit(f"{sys.argv[1]}: MANIFEST.XML lists no Windows x86_64 library")
open(sys.argv[2], "wb").write(z.read(c[0].get("path")))
PY
bash "$check" "$work/WebSocket_x64.dll"

echo "== smoke test under Wine"
smoke="$repo/.work/wine-smoke"
mkdir -p "$smoke"
x86_64-w64-mingw32-gcc -municode -O1 -Wall -Wextra -Werror "$here/wine-smoke.c" -o "$work/wine-smoke.exe"
export WINEPREFIX="$smoke/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [[ ! -f $WINEPREFIX/system.reg ]]; then
  echo "(a new Wine prefix in $WINEPREFIX)"
  timeout 300 wineboot --init >/dev/null 2>&1
fi
timeout 120 wine "$work/wine-smoke.exe" "$(winepath -w "$work/WebSocket_x64.dll")"
# And it must be able to fail: the stand-in's GetClassNames says "None", its GetClassObject creates nothing.
if timeout 120 wine "$work/wine-smoke.exe" "$(winepath -w "$work/good.dll")" >"$work/out" 2>&1; then
  echo "FAIL: wine-smoke.exe accepted a stand-in DLL:" >&2; cat "$work/out" >&2; exit 1
fi
grep -q 'FAIL GetClassNames is "Server|Client"' "$work/out" || { echo "FAIL: wine-smoke.exe on the stand-in:" >&2; cat "$work/out" >&2; exit 1; }
echo "refused by the smoke test: a stand-in DLL"
wineserver -w
echo "OK"
