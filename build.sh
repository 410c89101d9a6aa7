#!/usr/bin/env bash
# Builds the 1C package dist/WebSocket.zip: the NativeAOT library for Linux x86_64 (linked against
# Debian 11's glibc so it loads on older 1C servers), MANIFEST.XML and INFO.XML. Only builds;
# installs what the build needs first. Windows libraries come from build.ps1 on Windows.
set -euo pipefail
cd "$(dirname "$0")"
source tools/ci/apt.sh

# clang links NativeAOT output; lld is its fast linker; python3 writes the ZIP.
apt_install clang lld python3 binutils

VERSION="$(cat VERSION)"
echo "== publishing the native library (NativeAOT, linux-x64)"
dotnet publish src/WebSocket.Native -c Release -r linux-x64 -o build/native/linux-x64 -p:Version="$VERSION" -nologo -v:q

mkdir -p dist
rm -f dist/WebSocket.zip
python3 tools/package/make-package.py dist/WebSocket.zip "$VERSION" \
  "Linux:x86_64:WebSocket_x64.so:build/native/linux-x64/WebSocketAddIn.so"
echo "== dist/WebSocket.zip"
python3 -m zipfile -l dist/WebSocket.zip
