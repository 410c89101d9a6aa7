#!/usr/bin/python3
"""Builds test packages for the harness self-test.

make_zip.py package OUT.zip SO_FILE [stored|deflated] [linux|windows]   a package like dist/WebSocket.zip
                                                       (windows: SO_FILE is the DLL)
make_zip.py samples OUT.zip                             odd ZIPs for the reader's own test
"""
import sys
import zipfile

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<bundle xmlns="http://v8.1c.ru/8.2/addin/bundle" name="WebSocket">
  <component os="Windows" path="WebSocket_x86.dll" type="native" arch="i386"/>
  <component os="Windows" path="WebSocket_x64.dll" type="native" arch="x86_64"/>
  <component os="Linux"   path="WebSocket_x64.so"  type="native" arch="x86_64"/>
</bundle>
"""


def package(out, so, mode, system="linux"):
    method = zipfile.ZIP_STORED if mode == "stored" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w") as z:
        # Names differ in case from the manifest on purpose: the platform matches them ignoring case.
        z.writestr("manifest.xml", MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("WebSocket_x86.dll", b"MZ not really", compress_type=zipfile.ZIP_STORED)
        if system == "windows":
            z.write(so, "websocket_X64.DLL", compress_type=method)
        else:
            z.write(so, "websocket_X64.so", compress_type=method)


def samples(out):
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("stored.txt", "stored content\n", compress_type=zipfile.ZIP_STORED)
        z.writestr("deflated.txt", ("deflated content " * 1000), compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("empty.txt", "", compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("empty-stored.txt", "", compress_type=zipfile.ZIP_STORED)
        z.writestr("dir/Юникод.txt", "привет".encode(), compress_type=zipfile.ZIP_DEFLATED)
        big = bytes(i % 251 for i in range(3 * 1024 * 1024))
        z.writestr("big.bin", big, compress_type=zipfile.ZIP_DEFLATED)
        with z.open("zip64.bin", "w", force_zip64=True) as f:
            f.write(b"zip64 entry " * 100)
        z.comment = b"a comment at the end"


if __name__ == "__main__":
    if sys.argv[1] == "package":
        package(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "deflated",
                sys.argv[5] if len(sys.argv) > 5 else "linux")
    else:
        samples(sys.argv[2])
