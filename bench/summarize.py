#!/usr/bin/env python3
"""Turns the raw RESULT lines of bench/run.sh into the table of docs/benchmarks.md.

    python3 bench/summarize.py bench/results/raw/STAMP.txt

Per scenario, figure and server: min / median / max over the runs that finished without errors
and were not marked disturbed; the ratio is ours' median over Kestrel's median.
"""
import statistics
import sys
from collections import defaultdict

SERVERS = ["ours", "kestrel", "node"]
NAMES = {"ours": "Ours (add-in + native host)", "kestrel": "Kestrel NativeAOT", "node": "Node ws"}


def server_us_per_msg(r):
    if "server_cpu_pct" not in r or float(r.get("msgs_per_s", 0)) <= 0:
        return None
    return float(r["server_cpu_pct"]) / 100 * 1e6 / float(r["msgs_per_s"])


def kib(r):
    b = float(r.get("bytes_per_conn", -1))
    return b / 1024 if b >= 0 else None


# (scenario, label, how to get the value, unit/format, target: (kind, limit) applied to ours)
ROWS = [
    ("latency", "1 conn × 1 in flight × 32 B: round trip p50", "p50_us", "us", ("ratio<=", 1.5)),
    ("latency", "1 conn × 1 in flight × 32 B: round trip p99", "p99_us", "us", None),
    ("latency", "1 conn × 1 in flight × 32 B: messages/s", "msgs_per_s", "rate", None),
    ("msgs", "64 conns × 4 in flight × 32 B: messages/s", "msgs_per_s", "rate", ("ratio>=", 0.8)),
    ("msgs", "64 × 4 × 32 B: round trip p50", "p50_us", "us", None),
    ("msgs", "64 × 4 × 32 B: server CPU per message", server_us_per_msg, "us", None),
    ("bandwidth", "64 conns × 1 in flight × 16 KiB: messages/s", "msgs_per_s", "rate", ("ratio>=", 0.8)),
    ("bandwidth", "64 × 1 × 16 KiB: MB/s (one way)", "mb_per_s", "f1", None),
    ("bandwidth", "64 × 1 × 16 KiB: server CPU per message", server_us_per_msg, "us", None),
    ("hold", "10,000 idle conns, 10 s: established", "established", "int", None),
    ("hold", "10,000 idle conns: dropped", "dropped", "int", None),
    ("hold", "10,000 idle conns: server RSS per connection (KiB)", kib, "f1", ("abs<=", 8.0)),
    ("bcast1k", "broadcast to 1,000 conns: until the last has it (ms)", "last_ms", "ms", None),
    ("bcast10k", "broadcast to 10,000 conns: until the last has it (ms)", "last_ms", "ms", None),
    ("wss", "wss 64 × 4 × 32 B: messages/s (wsbench)", "msgs_per_s", "rate", None),
    ("wss", "wss 64 × 4 × 32 B: round trip p50", "p50_us", "us", None),
    ("startup", "process start until the port accepts (ms)", "ms", "ms", None),
    ("startup-inproc", "in-process: dlopen + runtime + first object (ms)", "load_object_ms", "ms", ("abs<", 20.0)),
    ("startup-inproc", "in-process: Запустить until the port accepts (ms)", "run_ms", "ms", None),
    ("startup-inproc", "in-process: unzip the package (ms, once per version in 1C)", "unzip_ms", "ms", None),
]


def parse(path):
    runs, header = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                header.append(line)
                continue
            if not line.startswith("RESULT "):
                continue
            kv = {}
            for tok in line.split()[1:]:
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    kv[k] = v
            runs.append(kv)
    return header, runs


def fmt(v, unit):
    if v is None:
        return "–"
    if unit == "rate":
        return f"{v / 1000:.1f}k" if v >= 1000 else f"{v:.0f}"
    if unit == "us":
        return f"{v:.1f} µs" if v < 10000 else f"{v / 1000:.1f} ms"
    if unit == "ms":
        return f"{v:.2f}" if v < 100 else f"{v:.0f}"
    if unit == "int":
        return f"{v:,.0f}"
    return f"{v:.1f}"


def main():
    header, runs = parse(sys.argv[1])
    by = defaultdict(list)
    disturbed = defaultdict(int)
    failed = defaultdict(int)
    loads = defaultdict(list)
    for r in runs:
        key = (r.get("scenario"), r.get("server"))
        if r.get("disturbed") == "1":
            disturbed[key] += 1
            continue
        if r.get("errors", "0") != "0":
            failed[key] += 1
            continue
        by[key].append(r)
        try:
            loads[r.get("server")].append(float(r["loadavg"].split("/")[0]))
        except (KeyError, ValueError):
            pass

    present = [s for s in SERVERS if any(k[1] == s for k in by)]
    for r in runs:  # A/B variants (ours+VAR=VALUE) after the three servers, in order of appearance
        if r.get("server") and r["server"] not in present and any(k[1] == r["server"] for k in by):
            present.append(r["server"])
    out = []
    out.append("| Scenario | " + " | ".join(f"{NAMES.get(s, s)}<br>min / **median** / max" for s in present) + " | Ours ÷ Kestrel | Target (ours) |")
    out.append("|---|" + "---|" * len(present) + "---|---|")
    for scenario, label, getter, unit, target in ROWS:
        meds = {}
        cells = []
        any_value = False
        for s in present:
            vals = []
            for r in by.get((scenario, s), []):
                v = getter(r) if callable(getter) else (float(r[getter]) if getter in r else None)
                if v is not None:
                    vals.append(v)
            if vals:
                any_value = True
                med = statistics.median(vals)
                meds[s] = med
                n = len(vals)
                cells.append(f"{fmt(min(vals), unit)} / **{fmt(med, unit)}** / {fmt(max(vals), unit)}" + (f" (n={n})" if n != 3 else ""))
            else:
                cells.append("–")
        if not any_value:
            continue
        ratio = ""
        if "ours" in meds and "kestrel" in meds and meds["kestrel"]:
            ratio = f"{meds['ours'] / meds['kestrel']:.2f}×"
        tgt = ""
        if target and "ours" in meds:
            kind, limit = target
            if kind == "ratio>=" and "kestrel" in meds:
                ok = meds["ours"] / meds["kestrel"] >= limit
                tgt = f"≥ {limit}× Kestrel: {'met' if ok else '**missed**'}"
            elif kind == "ratio<=" and "kestrel" in meds:
                ok = meds["ours"] / meds["kestrel"] <= limit
                tgt = f"≤ {limit}× Kestrel: {'met' if ok else '**missed**'}"
            elif kind == "abs<=":
                ok = meds["ours"] <= limit
                tgt = f"≤ {limit:g} KiB: {'met' if ok else '**missed**'}"
            elif kind == "abs<":
                ok = meds["ours"] < limit
                tgt = f"< {limit:g} ms: {'met' if ok else '**missed**'}"
        out.append(f"| {label} | " + " | ".join(cells) + f" | {ratio} | {tgt} |")
    print("\n".join(header))
    print()
    print("\n".join(out))
    print()
    notes = []
    for s in present:
        if loads[s]:
            notes.append(f"{s}: load average (1 min) {min(loads[s]):.2f}–{max(loads[s]):.2f} over its runs")
    if disturbed:
        notes.append("runs repeated because other processes used >15% of a core: "
                     + ", ".join(f"{k[0]}/{k[1]} ×{n}" for k, n in sorted(disturbed.items())))
    if failed:
        notes.append("runs with errors (left out): " + ", ".join(f"{k[0]}/{k[1]} ×{n}" for k, n in sorted(failed.items())))
    for n in notes:
        print(f"- {n}")


if __name__ == "__main__":
    main()
