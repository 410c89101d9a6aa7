#!/bin/sh
# Dumps the record and vtable layouts of the Native API types as clang lays them out for
# Windows x86 and x64 (MSVC ABI), for comparison with the C# side's declarations.
#   tools/dump-windows-layouts.sh [x64|x86|linux] > layouts.txt
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-x64}" in
  x64) target=x86_64-pc-windows-msvc; src=$here/tests/abi_windows.cpp ;;
  x86) target=i686-pc-windows-msvc; src=$here/tests/abi_windows.cpp ;;
  linux) target=x86_64-pc-linux-gnu; src=$here/tests/abi_layout_probe.cpp ;;
  *) echo "usage: $0 [x64|x86|linux]" >&2; exit 2 ;;
esac
exec clang++ -target "$target" -std=c++17 -S -o /dev/null -I"$here/include" \
  -Xclang -fdump-record-layouts -Xclang -fdump-vtable-layouts "$src"
