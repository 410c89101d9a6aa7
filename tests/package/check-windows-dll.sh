#!/usr/bin/env bash
# Checks that a Windows x64 build of the add-in can load on a clean Windows 10 / Server 2016 and
# that 1C finds what it looks up in it, from its import and export tables (llvm-readobj, Debian
# package llvm):
#   tests/package/check-windows-dll.sh DLL
# - machine x86-64, a DLL;
# - every imported DLL is in ALLOWED_IMPORTS (system DLLs of every Windows since Vista, the ones
#   the NativeAOT runtime links against) or is the Universal CRT (api-ms-win-crt-*-l1-1-0.dll,
#   part of Windows 10 and later): so no vcruntime140.dll, msvcp140.dll, no .NET, no OpenSSL;
# - the named exports are exactly the Native API's five functions plus NativeAOT's
#   DotNetRuntimeDebugHeader, undecorated, and nothing is exported by ordinal only.
# Exits 1 with one 'FAIL DLL: problem' line per problem on stderr (MSBuild turns them into errors). Run after every cross-link (tools/windows/windows-cross.targets)
# and by tests/package/windows-stage.sh.
set -euo pipefail
dll=${1:?usage: check-windows-dll.sh DLL}
[[ -f $dll ]] || { echo "$dll: no such file" >&2; exit 1; }
command -v llvm-readobj >/dev/null || { echo "llvm-readobj not found: apt-get install llvm" >&2; exit 2; }

# Lower case: Windows looks DLL names up case-insensitively.
ALLOWED_IMPORTS="advapi32.dll bcrypt.dll crypt32.dll iphlpapi.dll kernel32.dll mswsock.dll ncrypt.dll
normaliz.dll ntdll.dll ole32.dll oleaut32.dll secur32.dll user32.dll version.dll ws2_32.dll"
EXPORTS="DestroyObject DotNetRuntimeDebugHeader GetAttachType GetClassNames GetClassObject SetPlatformCapabilities"

problems=()
headers=$(llvm-readobj --file-headers "$dll")
grep -q 'Machine: IMAGE_FILE_MACHINE_AMD64' <<<"$headers" || problems+=("not an x86-64 image")
grep -q 'IMAGE_FILE_DLL' <<<"$headers" || problems+=("not a DLL")

imports=$(llvm-readobj --coff-imports "$dll" | sed -n 's/^ *Name: //p' | tr 'A-Z' 'a-z' | sort -u)
for name in $imports; do
  if [[ $name =~ ^api-ms-win-crt-[a-z]+-l1-1-0\.dll$ ]] || [[ " ${ALLOWED_IMPORTS//$'\n'/ } " == *" $name "* ]]; then
    continue
  fi
  problems+=("imports $name, which is not a system DLL of Windows 10 / Server 2016 nor the Universal CRT")
done
[[ -n $imports ]] || problems+=("imports nothing (not a NativeAOT DLL?)")

# Each export is a block: Ordinal, Name, RVA. lld 14 writes one empty entry (ordinal 0, RVA 0,
# no name) below the first ordinal: no code, nothing to look up, tolerated.
exports=$(llvm-readobj --coff-exports "$dll" | awk '
  /^Export \{/ { name = ""; rva = "" }
  /^  Name:/ { sub(/^  Name: ?/, ""); name = $0 }
  /^  RVA:/ { rva = $2 }
  /^\}/ { if (name != "") print name; else if (rva != "0x0") print "(ordinal only, RVA " rva ")" }')
exported=$(sort <<<"$exports" | tr '\n' ' ' | sed 's/ $//')
[[ $exported == "$EXPORTS" ]] || problems+=("exports [$exported], expected exactly [$EXPORTS]")

if ((${#problems[@]})); then
  for problem in "${problems[@]}"; do echo "FAIL $dll: $problem" >&2; done
  exit 1
fi
echo "ok $dll: imports $(tr '\n' ' ' <<<"$imports")"
