#!/usr/bin/python3
"""What a server process uses, read from /proc: the bench's memory timelines and idle CPU.

    procstat.py sample PID OUT.csv [--interval 0.2]
        One line every INTERVAL seconds until PID ends or this process gets SIGTERM/SIGINT:
        t_s (since start, CLOCK_MONOTONIC), rss_kb (VmRSS), threads, fds, cpu_s (utime+stime),
        mark (the text of the last line written to OUT.csv.marks by a driver, if any).
    procstat.py idle PID SECONDS [--settle S]
        Waits S seconds (2), then measures the CPU the whole process uses over SECONDS and each
        of its threads (from /proc/PID/task/*/stat), and prints one line
        RESULT mode=idle cpu_pct=... threads=... top=NAME:PCT,... errors=0
        (PCT in % of one core).
"""
import os
import signal
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def status(pid):
    rss = threads = -1
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


def cpu_s(path):
    with open(path) as f:
        data = f.read()
    rest = data[data.rindex(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / HZ, data[data.index("(") + 1:data.rindex(")")]


def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def sample(pid, out, interval):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    t0 = time.monotonic()
    marks = out + ".marks"
    with open(out, "w") as f:
        f.write("t_s,rss_kb,threads,fds,cpu_s,mark\n")
        while not stop:
            try:
                rss, threads = status(pid)
                c, _ = cpu_s(f"/proc/{pid}/stat")
                n = fds(pid)
            except (OSError, ValueError):
                break
            mark = ""
            try:
                with open(marks) as m:
                    lines = m.read().strip().splitlines()
                    mark = lines[-1] if lines else ""
            except OSError:
                pass
            f.write(f"{time.monotonic() - t0:.3f},{rss},{threads},{n},{c:.3f},{mark}\n")
            f.flush()
            time.sleep(interval)


def idle(pid, seconds, settle):
    time.sleep(settle)

    def threads():
        out = {}
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                c, name = cpu_s(f"/proc/{pid}/task/{tid}/stat")
                out[tid] = (c, name)
            except OSError:
                pass
        return out

    p0, _ = cpu_s(f"/proc/{pid}/stat")
    t0 = threads()
    w0 = time.monotonic()
    time.sleep(seconds)
    p1, _ = cpu_s(f"/proc/{pid}/stat")
    t1 = threads()
    win = time.monotonic() - w0
    per = []
    for tid, (c, name) in t1.items():
        before = t0.get(tid, (0.0, name))[0]
        per.append(((c - before) * 100 / win, name.replace(" ", "_").replace(",", "_") + ("(loop)" if tid == str(pid) else "")))
    per.sort(reverse=True)
    top = ",".join(f"{n}:{p:.2f}" for p, n in per[:4] if p > 0) or "none"
    # /proc counts in clock ticks (10 ms): over SECONDS the resolution is 1/SECONDS % of a core.
    print(f"RESULT mode=idle seconds={win:.1f} cpu_pct={(p1 - p0) * 100 / win:.3f} threads={len(t1)} "
          f"resolution_pct={100 / HZ / win:.3f} top={top} errors=0", flush=True)


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "sample":
        interval = float(a[a.index("--interval") + 1]) if "--interval" in a else 0.2
        sample(int(a[1]), a[2], interval)
    elif len(a) >= 3 and a[0] == "idle":
        settle = float(a[a.index("--settle") + 1]) if "--settle" in a else 2.0
        idle(int(a[1]), float(a[2]), settle)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
