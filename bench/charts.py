#!/usr/bin/python3
"""The charts of docs/benchmarks.md, made from one run of bench/run.sh (Debian's python3-matplotlib).

    /usr/bin/python3 bench/charts.py bench/results/raw/STAMP.txt bench/results/STAMP/

Writes into the run's folder (where run.sh also left the memory timelines, *.csv):
  bars-*.png      every figure of summarize.py's table, ours beside Kestrel and Node: the bar is
                  the median over the runs, the whisker min..max, the number the median;
  latency.png     round-trip percentiles p50/p90/p99/p99.9 of 1 × 1 × 32 B (and 100 B, 4 KiB,
                  64 KiB), median over runs, whiskers min..max, log scale;
  memory-hold.png RSS over time while 10,000 idle connections are opened, held and closed
                  (the first repetition of each server);
  memory-burst.png RSS over time in the burst scenario, its phases shaded;
  soak.png        RSS, threads and descriptors of the soak's host over time (when a soak ran).
"""
import csv
import glob
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import summarize  # noqa: E402

COLORS = {"ours": "#1f77b4", "ours+TIMEOUT=1000": "#6baed6", "kestrel": "#ff7f0e", "node": "#2ca02c"}
SHORT = {"ours": "ours (Принять 200)", "ours+TIMEOUT=1000": "ours (Принять 1000)", "kestrel": "Kestrel", "node": "Node ws"}

GROUPS = {
    "throughput": ["msgs_per_s", "mb_per_s"],
    "latency-p50": ["p50_us", "p90_us", "p99_us", "p999_us", "probe_p50_us"],
    "cpu": [summarize.server_us_per_msg, summarize.loop_us_per_msg, "host_loop_sleeps_per_msg", "cpu_pct", "server_cpu_pct"],
    "memory": [summarize.kib, "mib", "established", "dropped", summarize.back_s],
    "other": [],
}


def group_of(getter, scenario):
    if scenario in ("startup", "startup-inproc", "bcast1k", "bcast10k", "soak") or scenario.startswith("compress"):
        return "misc"
    for g, keys in GROUPS.items():
        for k in keys:
            if getter is k or (isinstance(getter, str) and getter == k):
                return g
    if callable(getter) and getter.__name__ == "get":  # mib()
        return "memory"
    return "misc"


def values(by, scenario, server, getter):
    out = []
    for r in by.get((scenario, server), []):
        try:
            v = getter(r) if callable(getter) else (float(r[getter]) if getter in r else None)
        except (KeyError, ValueError):
            v = None
        if v is not None:
            out.append(v)
    return out


def load(raw):
    header, runs = summarize.parse(raw)
    by, disturbed = {}, {}
    for r in runs:
        if r.get("errors", "0") != "0":
            continue
        target = disturbed if r.get("disturbed") == "1" else by
        target.setdefault((r.get("scenario"), r.get("server")), []).append(r)
    for key, rs in disturbed.items():  # as summarize.py: only disturbed runs rather than none (marked † there)
        by.setdefault(key, rs)
    servers = [s for s in summarize.SERVERS if any(k[1] == s for k in by)]
    return header, by, servers


def bars(by, servers, outdir, stamp):
    groups = {}
    for scenario, label, getter, unit, target in summarize.ROWS:
        series = {s: values(by, scenario, s, getter) for s in servers}
        if not any(series.values()):
            continue
        groups.setdefault(group_of(getter, scenario), []).append((label, unit, series))
    made = []
    for g, rows in groups.items():
        cols = 3
        nrows = (len(rows) + cols - 1) // cols
        fig, axes = plt.subplots(nrows, cols, figsize=(5.2 * cols, 2.9 * nrows), squeeze=False)
        for ax in axes.flat[len(rows):]:
            ax.axis("off")
        for ax, (label, unit, series) in zip(axes.flat, rows):
            names = [s for s in servers if series[s]]
            meds = [statistics.median(series[s]) for s in names]
            lo = [m - min(series[s]) for m, s in zip(meds, names)]
            hi = [max(series[s]) - m for m, s in zip(meds, names)]
            x = range(len(names))
            ax.bar(x, meds, yerr=[lo, hi], capsize=4, color=[COLORS.get(s, "#888") for s in names])
            ax.set_xticks(list(x))
            ax.set_xticklabels([SHORT.get(s, s) for s in names], fontsize=7)
            ax.set_title(label, fontsize=8)
            ax.tick_params(axis="y", labelsize=7)
            for xi, m in zip(x, meds):
                ax.annotate(summarize.fmt(m, unit), (xi, m), ha="center", va="bottom", fontsize=7,
                            xytext=(0, 2), textcoords="offset points")
            ax.margins(y=0.18)
        fig.suptitle(f"bench/run.sh {stamp}: median of the runs, whiskers min..max", fontsize=9)
        fig.tight_layout()
        path = os.path.join(outdir, f"bars-{g}.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        made.append(path)
    return made


def percentiles(by, servers, outdir, stamp):
    scen = [(s, t) for s, t in (("latency", "32 B"), ("lat100", "100 B"), ("lat4k", "4 KiB"), ("lat64k", "64 KiB"))
            if any(by.get((s, v)) for v in servers)]
    if not scen:
        return []
    keys = [("p50_us", "p50"), ("p90_us", "p90"), ("p99_us", "p99"), ("p999_us", "p99.9")]
    fig, axes = plt.subplots(1, len(scen), figsize=(4.6 * len(scen), 3.6), squeeze=False)
    for ax, (sc, title) in zip(axes.flat, scen):
        names = [s for s in servers if by.get((sc, s))]
        w = 0.8 / max(1, len(names))
        for i, s in enumerate(names):
            meds, lo, hi = [], [], []
            for k, _ in keys:
                v = values(by, sc, s, k)
                m = statistics.median(v) if v else 0
                meds.append(m)
                lo.append(m - min(v) if v else 0)
                hi.append(max(v) - m if v else 0)
            xs = [j + (i - (len(names) - 1) / 2) * w for j in range(len(keys))]
            ax.bar(xs, meds, w, yerr=[lo, hi], capsize=2, color=COLORS.get(s, "#888"), label=SHORT.get(s, s))
        ax.set_yscale("log")
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([n for _, n in keys])
        ax.set_ylabel("round trip, µs")
        ax.set_title(f"1 conn × 1 in flight × {title}", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"Round-trip percentiles, bench/run.sh {stamp} (median of runs, whiskers min..max)", fontsize=9)
    fig.tight_layout()
    path = os.path.join(outdir, "latency.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return [path]


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def server_of(path, prefix):
    name = os.path.basename(path)[len(prefix) + 1:-4]
    return name.rsplit("-", 1)[0]


def timelines(outdir, stamp):
    made = []
    hold = sorted(glob.glob(os.path.join(outdir, "hold-*-1.csv")))
    if hold:
        fig, ax = plt.subplots(figsize=(8, 3.8))
        for p in hold:
            s = server_of(p, "hold")
            rows = read_csv(p)
            ax.plot([float(r["t_s"]) for r in rows], [int(r["rss_kb"]) / 1024 for r in rows], label=SHORT.get(s, s),
                    color=COLORS.get(s))
        ax.set_xlabel("seconds since the server started (wsload opens 10,000 connections at ~1 s, holds, closes)")
        ax.set_ylabel("RSS, MiB")
        ax.set_title(f"Memory while 10,000 idle connections are opened, held and closed ({stamp})", fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = os.path.join(outdir, "memory-hold.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        made.append(path)
    burst = sorted(glob.glob(os.path.join(outdir, "burst-*-1.csv")))
    if burst:
        fig, axes = plt.subplots(len(burst), 1, figsize=(8, 2.6 * len(burst)), squeeze=False, sharex=True)
        shade = {"flood": "#fdd", "big": "#ddf", "after": "#dfd"}
        for ax, p in zip(axes.flat, burst):
            s = server_of(p, "burst")
            rows = read_csv(p)
            t = [float(r["t_s"]) for r in rows]
            ax.plot(t, [int(r["rss_kb"]) / 1024 for r in rows], color=COLORS.get(s), label=SHORT.get(s, s))
            start = 0
            for i in range(1, len(rows) + 1):
                if i == len(rows) or rows[i]["phase"] != rows[start]["phase"]:
                    ph = rows[start]["phase"]
                    if ph in shade:
                        ax.axvspan(t[start], t[i - 1], color=shade[ph], zorder=0)
                        ax.text(t[start], 0.92, ph, fontsize=7, transform=ax.get_xaxis_transform())
                    start = i
            base = sorted(int(r["rss_kb"]) for r in rows if r["phase"] == "baseline")
            if base:
                b = base[len(base) // 2] / 1024
                ax.axhline(b + 32, color="#999", ls="--", lw=0.8)
                ax.text(t[-1], b + 32, " before + 32 MiB", fontsize=7, va="bottom", ha="right")
            ax.set_ylabel("RSS, MiB")
            ax.legend(fontsize=8, loc="upper left")
        axes.flat[-1].set_xlabel("seconds: baseline | flood (50 endless fragmented messages) | big (8 × 4 × 16 MiB echoes) | after (idle)")
        fig.suptitle(f"Memory over a burst ({stamp})", fontsize=9)
        fig.tight_layout()
        path = os.path.join(outdir, "memory-burst.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        made.append(path)
    soak = os.path.join(outdir, "soak.csv")
    if os.path.exists(soak):
        rows = read_csv(soak)
        if rows:
            t = [float(r["t_s"]) / 60 for r in rows]
            fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True)
            for ax, key, lab in zip(axes, ("rss_kb", "threads", "fds"), ("RSS, MiB", "threads", "descriptors")):
                ax.plot(t, [int(r[key]) / (1024 if key == "rss_kb" else 1) for r in rows])
                ax.set_ylabel(lab)
                ax.set_ylim(bottom=0)
            axes[-1].set_xlabel("minutes")
            fig.suptitle(f"Soak: the host process over time ({stamp})", fontsize=9)
            fig.tight_layout()
            path = os.path.join(outdir, "soak.png")
            fig.savefig(path, dpi=90)
            plt.close(fig)
            made.append(path)
    return made


def main():
    raw, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    stamp = os.path.basename(raw).split(".")[0]
    _, by, servers = load(raw)
    made = bars(by, servers, outdir, stamp) + percentiles(by, servers, outdir, stamp) + timelines(outdir, stamp)
    for p in made:
        print(p)


if __name__ == "__main__":
    main()
