#!/usr/bin/env python3
"""Writes the 1C package: a ZIP with MANIFEST.XML, INFO.XML and one native library per platform.

Usage: make-package.py OUTPUT.zip VERSION OS:ARCH:PATH_IN_ZIP:FILE [...]
MANIFEST.XML lists exactly the libraries given, so it never names a file the ZIP lacks.
"""
import sys
import zipfile
from xml.sax.saxutils import quoteattr

BUNDLE = "WebSocket"
# Named in INFO.XML (as a comment: the readers of INFO.XML know only progid, name and version).
LICENSE = "License: MIT (the LICENSE file of the source repository)"


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    output, version, entries = argv[1], argv[2], [a.split(":", 3) for a in argv[3:]]
    manifest = ['<?xml version="1.0" encoding="UTF-8"?>',
                f'<bundle xmlns="http://v8.1c.ru/8.2/addin/bundle" name={quoteattr(BUNDLE)}>']
    for os_name, arch, name, _ in entries:
        manifest.append(f'  <component os={quoteattr(os_name)} path={quoteattr(name)} type="native" arch={quoteattr(arch)}/>')
    manifest.append('</bundle>')
    info = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<drivers>',
            f'  <!-- {LICENSE} -->',
            f'  <component progid="AddIn.{BUNDLE}" name="WebSocket server and client" version={quoteattr(version)}/>',
            '</drivers>']
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("MANIFEST.XML", "\n".join(manifest) + "\n")
        package.writestr("INFO.XML", "\n".join(info) + "\n")
        for _, _, name, path in entries:
            package.write(path, name)


if __name__ == "__main__":
    main(sys.argv)
