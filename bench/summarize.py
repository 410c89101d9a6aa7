#!/usr/bin/env python3
"""Turns the raw RESULT lines of bench/run.sh into the table of docs/benchmarks.md.

    python3 bench/summarize.py bench/results/raw/STAMP.txt

Per scenario, figure and server: min / median / max over the runs that finished without errors
and were not marked disturbed (where every run was disturbed, those, marked †); the ratio is
ours' median over Kestrel's median.
"""
import statistics
import sys
from collections import defaultdict

SERVERS = ["ours", "ours+TIMEOUT=1000", "kestrel", "node"]
NAMES = {"ours": "Ours (bench-host, Принять(200))", "ours+TIMEOUT=1000": "Ours, Принять(1000)",
         "kestrel": "Kestrel NativeAOT", "node": "Node ws"}


def server_us_per_msg(r):
    if "server_cpu_pct" not in r or float(r.get("msgs_per_s", 0)) <= 0:
        return None
    return float(r["server_cpu_pct"]) / 100 * 1e6 / float(r["msgs_per_s"])


def loop_us_per_msg(r):
    v = r.get("host_loop_cpu_ns_per_msg")
    return float(v) / 1000 if v is not None and float(r.get("host_messages", 0)) > 0 else None


def kib(r):
    b = float(r.get("bytes_per_conn", -1))
    return b / 1024 if b >= 0 else None


def mib(key):
    def get(r):
        v = float(r.get(key, -1))
        return v / 1024 if v >= 0 else None
    return get


def ratio_wire(r):
    w = float(r.get("wire_bytes_per_msg", 0))
    return float(r["payload_bytes_per_msg"]) / w if w > 0 and "payload_bytes_per_msg" in r else None


def back_s(r):
    v = float(r.get("back_s", -1))
    return v if v >= 0 else None


# (scenario, label, how to get the value, unit/format, target: (kind, limit) applied to ours)
ROWS = [
    ("latency", "1 conn × 1 in flight × 32 B: round trip p50", "p50_us", "us", ("ratio<=", 1.5)),
    ("latency", "1 × 1 × 32 B: round trip p90", "p90_us", "us", None),
    ("latency", "1 × 1 × 32 B: round trip p99", "p99_us", "us", ("ratio<=", 1.5)),
    ("latency", "1 × 1 × 32 B: round trip p99.9", "p999_us", "us", None),
    ("latency", "1 × 1 × 32 B: messages/s", "msgs_per_s", "rate", None),
    ("latency", "1 × 1 × 32 B: 1C thread CPU per message", loop_us_per_msg, "us", None),
    ("latency", "1 × 1 × 32 B: 1C thread sleeps per message", "host_loop_sleeps_per_msg", "f2", None),
    ("msgs", "64 conns × 4 in flight × 32 B: messages/s", "msgs_per_s", "rate", ("ratio>=", 0.9)),
    ("msgs", "64 × 4 × 32 B: round trip p50", "p50_us", "us", None),
    ("msgs", "64 × 4 × 32 B: server CPU per message", server_us_per_msg, "us", None),
    ("msgs", "64 × 4 × 32 B: 1C thread CPU per message", loop_us_per_msg, "us", None),
    ("bandwidth", "64 conns × 1 in flight × 16 KiB: messages/s", "msgs_per_s", "rate", ("ratio>=", 0.9)),
    ("bandwidth", "64 × 1 × 16 KiB: MB/s (one way)", "mb_per_s", "f1", None),
    ("bandwidth", "64 × 1 × 16 KiB: server CPU per message", server_us_per_msg, "us", None),
    ("bandwidth", "64 × 1 × 16 KiB: 1C thread CPU per message", loop_us_per_msg, "us", None),
    ("wss", "wss 64 × 4 × 32 B: messages/s", "msgs_per_s", "rate", ("ratio>=", 0.8)),
    ("wss", "wss 64 × 4 × 32 B: round trip p50", "p50_us", "us", ("ratio<=", 1.5)),
    ("wss16k", "wss 64 × 1 × 16 KiB: messages/s", "msgs_per_s", "rate", ("ratio>=", 0.8)),
    ("wss16k", "wss 64 × 1 × 16 KiB: round trip p50", "p50_us", "us", ("ratio<=", 1.5)),
    ("lat100", "100 B, 1 × 1: round trip p50", "p50_us", "us", None),
    ("lat100", "100 B, 1 × 1: round trip p99", "p99_us", "us", None),
    ("lat100", "100 B, 1 × 1: 1C thread CPU per message", loop_us_per_msg, "us", None),
    ("tput100", "100 B, 64 × 1: messages/s", "msgs_per_s", "rate", None),
    ("tput100", "100 B, 64 × 1: 1C thread CPU per message", loop_us_per_msg, "us", None),
    ("lat4k", "4 KiB, 1 × 1: round trip p50", "p50_us", "us", None),
    ("lat4k", "4 KiB, 1 × 1: round trip p99", "p99_us", "us", None),
    ("lat4k", "4 KiB, 1 × 1: 1C thread CPU per message", loop_us_per_msg, "us", None),
    ("tput4k", "4 KiB, 64 × 1: messages/s", "msgs_per_s", "rate", None),
    ("tput4k", "4 KiB, 64 × 1: 1C thread CPU per message", loop_us_per_msg, "us", None),
    ("lat64k", "64 KiB, 1 × 1: round trip p50", "p50_us", "us", None),
    ("lat64k", "64 KiB, 1 × 1: round trip p99", "p99_us", "us", None),
    ("lat64k", "64 KiB, 1 × 1: 1C thread CPU per message", loop_us_per_msg, "us", None),
    ("tput64k", "64 KiB, 64 × 1: messages/s", "msgs_per_s", "rate", None),
    ("tput64k", "64 KiB, 64 × 1: 1C thread CPU per message", loop_us_per_msg, "us", None),
    ("compress-off", "16 KiB JSON, 64 × 1, no compression: messages/s", "msgs_per_s", "rate", None),
    ("compress-off", "16 KiB JSON, no compression: bytes on the wire per echo", "wire_bytes_per_msg", "int", None),
    ("compress-on", "16 KiB JSON, 64 × 1, permessage-deflate: messages/s", "msgs_per_s", "rate", None),
    ("compress-on", "16 KiB JSON, permessage-deflate: bytes on the wire per echo", "wire_bytes_per_msg", "int", None),
    ("compress-on", "16 KiB JSON, permessage-deflate: payload ÷ wire", ratio_wire, "f1", None),
    ("hold", "10,000 idle conns, 10 s: established", "established", "int", None),
    ("hold", "10,000 idle conns: dropped", "dropped", "int", None),
    ("hold", "10,000 idle conns: server RSS per connection (KiB)", kib, "f1", ("ratio<=", 1.0)),
    ("maxconns", "defaults, 10,500 tried: connections held", "established", "int", None),
    ("maxconns", "defaults, 10,500 tried: server RSS with them (MiB)", mib("rss_end_kb"), "f1", None),
    ("bcast1k", "broadcast to 1,000 conns: until the last has it (ms)", "last_ms", "ms", None),
    ("bcast10k", "broadcast to 10,000 conns: until the last has it (ms)", "last_ms", "ms", ("ratio<=", 1.0)),
    ("push", "push: POSTs/s from another process, each to 1,000 connections", "pushes_per_s", "rate", None),
    ("push", "push: messages delivered/s", "deliveries_per_s", "rate", None),
    ("idle", "idle, no connections: CPU (% of a core)", "cpu_pct", "f2", ("abs<", 1.0, "%")),
    ("idle1k", "idle, 1,000 connections held: CPU (% of a core)", "server_cpu_pct", "f2", ("abs<", 1.0, "%")),
    ("burst", "burst: RSS before (MiB)", mib("rss_before_kb"), "f1", None),
    ("burst", "burst: RSS peak (MiB)", mib("peak_kb"), "f1", None),
    ("burst", "burst: RSS after the idle wait (30 s; 10 s with --quick) (MiB)", mib("after_kb"), "f1", None),
    ("burst", "burst: seconds until within 32 MiB of before", back_s, "f1", None),
    ("burst", "burst: a 1 × 1 × 32 B client during the flood, p50", "probe_p50_us", "us", None),
    ("startup", "process start until the port accepts (ms)", "ms", "ms", None),
    ("startup-inproc", "in-process: dlopen + runtime + first object (ms)", "load_object_ms", "ms", ("abs<", 20.0, " ms")),
    ("startup-inproc", "in-process: Запустить until the port accepts (ms)", "run_ms", "ms", None),
    ("startup-inproc", "in-process: unzip the package (ms, once per version in 1C)", "unzip_ms", "ms", None),
    ("soak", "soak: messages checked", "echoed", "int", None),
    ("soak", "soak: lost / duplicated / out of order", lambda r: float(r.get("lost", 0)) + float(r.get("dup", 0)) + float(r.get("reorder", 0)), "int", None),
    ("soak", "soak: RSS first → last tenth (MiB)", lambda r: float(r["rss_end_mb"]) - float(r["rss_start_mb"]) if "rss_end_mb" in r else None, "f1", None),
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
    if unit == "f2":
        return f"{v:.2f}"
    return f"{v:.1f}"


def main():
    header, runs = parse(sys.argv[1])
    by = defaultdict(list)
    disturbed = defaultdict(int)
    failed = defaultdict(int)
    loads = defaultdict(list)
    dist_runs = defaultdict(list)
    for r in runs:
        key = (r.get("scenario"), r.get("server"))
        if r.get("disturbed") == "1":
            disturbed[key] += 1
            if r.get("errors", "0") == "0":
                dist_runs[key].append(r)
            continue
        if r.get("errors", "0") != "0":
            failed[key] += 1
            continue
        by[key].append(r)
        try:
            loads[r.get("server")].append(float(r["loadavg"].split("/")[0]))
        except (KeyError, ValueError):
            pass

    # A figure with no undisturbed run at all shows its disturbed runs, marked †, rather than nothing.
    fallback = set()
    for key, rs in dist_runs.items():
        if key not in by:
            by[key] = rs
            fallback.add(key)
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
                try:
                    v = getter(r) if callable(getter) else (float(r[getter]) if getter in r else None)
                except (KeyError, ValueError):
                    v = None
                if v is not None:
                    vals.append(v)
            if vals:
                any_value = True
                med = statistics.median(vals)
                meds[s] = med
                n = len(vals)
                cells.append(f"{fmt(min(vals), unit)} / **{fmt(med, unit)}** / {fmt(max(vals), unit)}" + (f" (n={n})" if n != 3 else "")
                             + (" †" if (scenario, s) in fallback else ""))
            else:
                cells.append("–")
        if not any_value:
            continue
        ratio = ""
        if "kestrel" in meds and meds["kestrel"]:
            parts = [(s, meds[s] / meds["kestrel"]) for s in present if s.startswith("ours") and s in meds]
            ratio = " / ".join(f"{q:.2f}×" + ("" if s == "ours" else f" ({s[5:]})") for s, q in parts)
        tgt = ""
        if target and "ours" in meds:
            kind, limit = target[0], target[1]
            if kind == "ratio>=" and "kestrel" in meds:
                ok = meds["ours"] / meds["kestrel"] >= limit
                tgt = f"≥ {limit}× Kestrel: {'met' if ok else '**missed**'}"
            elif kind == "ratio<=" and "kestrel" in meds:
                ok = meds["ours"] / meds["kestrel"] <= limit
                tgt = f"≤ {limit}× Kestrel: {'met' if ok else '**missed**'}"
            elif kind == "abs<=":
                ok = meds["ours"] <= limit
                tgt = f"≤ {limit:g}{target[2] if len(target) > 2 else ''}: {'met' if ok else '**missed**'}"
            elif kind == "abs<":
                ok = meds["ours"] < limit
                tgt = f"< {limit:g}{target[2] if len(target) > 2 else ''}: {'met' if ok else '**missed**'}"
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
    if fallback:
        notes.append("† only disturbed runs (other processes used >15% of a core during each): shown for want of others: "
                     + ", ".join(f"{k[0]}/{k[1]}" for k in sorted(fallback)))
    if failed:
        notes.append("runs with errors (left out): " + ", ".join(f"{k[0]}/{k[1]} ×{n}" for k, n in sorted(failed.items())))
    for n in notes:
        print(f"- {n}")


if __name__ == "__main__":
    main()
