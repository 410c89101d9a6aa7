#!/usr/bin/env bash
# Builds the 1C package dist/WebSocket.zip from one set of sources: the NativeAOT library for
# Linux x86_64 (linked against Debian 11's glibc so it loads on older 1C servers, tools/sysroot)
# and the one for Windows x64 (cross-linked here with lld-link and the Windows SDK's import
# libraries from NuGet, tools/windows), MANIFEST.XML and INFO.XML. Only builds; installs what the
# build needs first. The 32-bit Windows library cannot be built here (docs/windows-build.md).
set -euo pipefail
cd "$(dirname "$0")"
source tools/ci/apt.sh

# clang links the Linux library and compiles tools/windows/dllcrt.c; lld is the linker of both
# (ld.lld, lld-link); llvm brings llvm-dlltool and llvm-readobj (the Windows DLL's checks);
# python3 writes the ZIP.
apt_install clang lld llvm python3 binutils

VERSION="$(cat VERSION)"
echo "== publishing the native library (NativeAOT, linux-x64)"
dotnet publish src/WebSocket.Native -c Release -r linux-x64 -o build/native/linux-x64 -p:Version="$VERSION" -nologo -v:q
# One after the other: both runs restore into the same obj/project.assets.json.
echo "== publishing the native library (NativeAOT, win-x64, cross-linked)"
dotnet publish src/WebSocket.Native -c Release -r win-x64 -o build/native/win-x64 -p:Version="$VERSION" -nologo -v:q

# The names in the ZIP are fixed (docs/windows-build.md): 1C finds them through MANIFEST.XML,
# but hosts and scripts take them out of the package by name.
mkdir -p dist
rm -f dist/WebSocket.zip
python3 tools/package/make-package.py dist/WebSocket.zip "$VERSION" \
  "Windows:x86_64:WebSocket_x64.dll:build/native/win-x64/WebSocketAddIn.dll" \
  "Linux:x86_64:WebSocket_x64.so:build/native/linux-x64/WebSocketAddIn.so"
echo "== dist/WebSocket.zip"
python3 -m zipfile -l dist/WebSocket.zip
