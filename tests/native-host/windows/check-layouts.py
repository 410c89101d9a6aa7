#!/usr/bin/env python3
"""Checks the Windows host's layouts against clang's MSVC x64 layouts.

check-layouts.py --probe abi-probe.exe [--expect-mismatch] [--clang clang++] [--include DIR] [--wine WINE]

Runs the probe (built by mingw-w64 g++, run under Wine): the vtable slot of every method it calls,
the component's base offsets, tVariant's and AppInfo's offsets. Compiles msvc_layouts.cpp (the same
headers, with real virtual destructors) with clang for x86_64-pc-windows-msvc and reads its
-fdump-vtable-layouts / -fdump-record-layouts. Every probe entry must match; every method of every
interface clang lays out must be in the probe. Exit 0 when they all match; with --expect-mismatch,
exit 0 only when the probe ran and its slots disagree (the negative control: a probe built with
Itanium destructors must be caught).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# The host's platform objects and the interface whose vtable the add-in calls them through.
HOST_CLASSES = {
    "Platform": "IAddInDefBaseEx",
    "MemoryManager": "IMemoryManager",
    "host::PlatformInfo": "IPlatformInfo",
    "host::AttachedInfo": "IAttachedInfo",
    "host::MsgBox": "IMsgBox",
}


def clang_dump(clang, include):
    cmd = [clang, "-target", "x86_64-pc-windows-msvc", "-std=c++17", "-S", "-o", os.devnull, "-I", include,
           "-Xclang", "-fdump-record-layouts", "-Xclang", "-fdump-vtable-layouts",
           os.path.join(HERE, "msvc_layouts.cpp")]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit("clang failed: %s\n%s" % (" ".join(cmd), p.stderr))
    return p.stdout


def vtables(dump):
    """{class: {method: slot}} of each class's table, for a class that has one vfptr ("~" = destructor)."""
    tables = {}
    lines = dump.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^VFTable for ((?:'[^']+')(?: in '[^']+')*) \(\d+ entr(?:y|ies)\)\.", lines[i])
        i += 1
        if not m:
            continue
        chain = re.findall(r"'([^']+)'", m.group(1))
        slots = {}
        index = 0
        while i < len(lines) and lines[i].strip():
            e = re.match(r"^\s*\d+ \| (.*)$", lines[i])
            i += 1
            if not e or e.group(1).rstrip().endswith(" RTTI"):
                continue
            name = re.search(r"::(~?\w+)\(", e.group(1))
            method = name.group(1) if name else e.group(1)
            slots["~" if method.startswith("~") else method] = index
            index += 1
        # The table of the complete class `chain[-1]` for its base `chain[0]`.
        tables.setdefault(chain[-1], {})[chain[0]] = slots
    return tables


def records(dump):
    """{record: {"size": n, "members": {name: offset}, "bases": {base: offset}}}."""
    out = {}
    blocks = dump.split("*** Dumping AST Record Layout")
    for b in blocks[1:]:
        lines = [l for l in b.split("\n") if "|" in l]
        if not lines:
            continue
        head = re.match(r"^\s*0 \| (?:class|struct|union) (.+?)(?: \(empty\))?$", lines[0])
        size = re.search(r"\[sizeof=(\d+)", b)
        if not head or not size:
            continue
        members, bases = {}, {}
        for l in lines[1:]:
            m = re.match(r"^\s*(\d+) \|(\s*)(.*)$", l)
            if not m:
                continue
            off, depth, text = int(m.group(1)), (len(m.group(2)) - 1) // 2, m.group(3).strip()
            base = re.match(r"^(?:class|struct) (\w+) \((?:primary )?base\)$", text)
            if base and depth == 1:
                bases[base.group(1)] = off
                continue
            if text.startswith("("):
                continue
            name = re.search(r"([A-Za-z_]\w*)$", text)
            if name and "(anonymous" not in text:
                members.setdefault(name.group(1), off)
        out.setdefault(head.group(1), {"size": int(size.group(1)), "members": members, "bases": bases})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", required=True)
    ap.add_argument("--expect-mismatch", action="store_true")
    ap.add_argument("--clang", default="clang++")
    ap.add_argument("--include", default=os.path.join(HERE, "..", "include"))
    ap.add_argument("--wine", default="wine")
    a = ap.parse_args()

    env = dict(os.environ)
    env.setdefault("WINEDEBUG", "-all")
    # Files, not pipes: a Wine service started by this program may keep a pipe open long after it.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        rc = subprocess.run([a.wine, a.probe], stdout=out, stderr=err, env=env, timeout=120).returncode
        out.seek(0)
        err.seek(0)
        if rc != 0:
            sys.exit("the probe failed under Wine (exit %d):\n%s" % (rc, err.read()))
        probe = json.loads(out.read())
    dump = clang_dump(a.clang, a.include)
    tables, recs = vtables(dump), records(dump)

    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append("%s: mingw %s, MSVC x64 (clang) %s" % (what, got, want))

    # Scalars: clang's records `struct SizeOf_<type> { <type> v; }`.
    for k, v in probe["sizes"].items():
        rec = recs.get("SizeOf_" + k)
        if rec is None:
            problems.append("clang dumped no SizeOf_%s" % k)
        else:
            expect("sizeof(%s)" % k, v, rec["size"])

    # Records.
    for name, fields in probe["records"].items():
        rec = recs.get(name)
        if rec is None:
            problems.append("clang dumped no record %s" % name)
            continue
        for field, off in fields.items():
            if field == "size":
                expect("sizeof(%s)" % name, off, rec["size"])
            elif field in rec["bases"]:
                expect("%s: base %s at" % (name, field), off, rec["bases"][field])
            elif field in rec["members"]:
                expect("%s::%s at" % (name, field), off, rec["members"][field])
            else:
                problems.append("%s: clang has no member or base %s" % (name, field))

    # Vtables: each probe entry against the interface's own table (the host's classes against the
    # interface the add-in calls them through); every method clang lists must be probed.
    probed = {}
    for e in probe["slots"]:
        iface = HOST_CLASSES.get(e["class"], e["class"])
        own = tables.get(iface, {})
        table = own.get(iface) or (own.get("IAddInDefBase") if iface == "IAddInDefBaseEx" else None)
        if table is None:
            problems.append("clang laid out no vtable of its own for %s" % iface)
            continue
        if e["method"] not in table:
            problems.append("%s::%s: not in clang's vtable of %s" % (e["class"], e["method"], iface))
            continue
        expect("slot of %s::%s" % (e["class"], e["method"]), e["slot"], table[e["method"]])
        probed.setdefault(iface, set()).add(e["method"])
    for iface in ["IInitDoneBase", "ILanguageExtenderBase", "LocaleBase", "UserLanguageBase", "IAddInDefBase",
                  "IMemoryManager", "IMsgBox", "IPlatformInfo", "IAttachedInfo"]:
        for method in tables.get(iface, {}).get(iface, {}):
            if method not in probed.get(iface, set()):
                problems.append("%s::%s: in clang's vtable, not probed (slot %d)" % (iface, method, tables[iface][iface][method]))

    count = len(probe["slots"])
    if a.expect_mismatch:
        if problems:
            print("as expected, %d disagreements with MSVC x64, e.g.:\n  %s" % (len(problems), "\n  ".join(problems[:5])))
            return 0
        print("the probe built with ADDIN_DESTRUCTOR_PLACEHOLDER=%d matched MSVC x64: the check cannot tell" % probe["placeholder"])
        return 1
    if problems:
        print("%d disagreements with MSVC x64:\n  %s" % (len(problems), "\n  ".join(problems)))
        return 1
    print("mingw-w64 layouts = MSVC x64 (clang): %d vtable slots, %d records, sizes %s" %
          (count, len(probe["records"]), probe["sizes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
