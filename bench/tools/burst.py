#!/usr/bin/python3
"""The burst scenario of bench/run.sh (issue 14 item 4): resident memory of a running echo server
before, during and after a burst, sampled every --interval seconds (0.2).

    burst.py --pid PID --url ws://127.0.0.1:PORT/ --wsload PATH --flood PATH/flood.py --csv OUT.csv
             [--baseline 5] [--flood-clients 50] [--flood-seconds 8] [--big-clients 8]
             [--big-size 16777216] [--big-each 4] [--after 30]

Phases (the CSV's `phase` column):
  baseline  nothing connected, --baseline seconds;
  flood     --flood-clients clients each send one fragmented message that never ends
            (tests/peers/hostile/flood.py) for --flood-seconds; meanwhile one wsload client does
            1 x 1 x 32 B round trips, so the table shows whether others are still served;
  big       --big-clients clients each echo --big-each texts of --big-size bytes, one at a time
            (wsload --count, checked byte for byte);
  after     everything gone, --after seconds of an idle server.
Prints one line: RESULT mode=burst rss_before_kb (median of the baseline) peak_kb (and in which
phase) after_kb (the last sample, --after s after the last client went) back_s (seconds after the
end until RSS was within 32 MiB of before and stayed there; -1 never) flood_codes (close codes the
flood clients got) probe_p50_us/probe_p99_us/probe_errors big_errors errors.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import threading
import time

WITHIN_KB = 32 * 1024


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def kv(line):
    return dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--wsload", required=True)
    ap.add_argument("--flood", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--baseline", type=float, default=5)
    ap.add_argument("--flood-clients", type=int, default=50)
    ap.add_argument("--flood-seconds", type=float, default=8)
    ap.add_argument("--big-clients", type=int, default=8)
    ap.add_argument("--big-size", type=int, default=16 * 1024 * 1024)
    ap.add_argument("--big-each", type=int, default=4)
    ap.add_argument("--after", type=float, default=30)
    a = ap.parse_args()
    port = a.url.rstrip("/").rsplit(":", 1)[1]

    phase = ["baseline"]
    samples = []  # (t, rss_kb, phase)
    stop = threading.Event()
    t0 = time.monotonic()

    def sampler():
        with open(a.csv, "w") as f:
            f.write("t_s,rss_kb,phase\n")
            while not stop.is_set():
                try:
                    r = rss_kb(a.pid)
                except OSError:
                    break
                t = time.monotonic() - t0
                samples.append((t, r, phase[0]))
                f.write(f"{t:.3f},{r},{phase[0]}\n")
                f.flush()
                stop.wait(a.interval)

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    errors = 0
    time.sleep(a.baseline)

    phase[0] = "flood"
    flood = subprocess.Popen(["/usr/bin/python3", a.flood, port, str(a.flood_clients), str(a.flood_seconds)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(0.5)
    probe = subprocess.run([a.wsload, "--mode", "echo", "--conns", "1", "--depth", "1", "--size", "32",
                            "--seconds", str(max(1.0, a.flood_seconds - 2)), "--warmup", "0", "--url", a.url],
                           capture_output=True, text=True)
    out, _ = flood.communicate(timeout=a.flood_seconds + 60)
    codes = collections.Counter()
    for line in out.splitlines():
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if "code" in j:
            codes[f"{j['code']}/{j['end']}"] += 1
    pr = next((kv(l) for l in probe.stdout.splitlines() if l.startswith("RESULT")), {})
    probe_errors = int(pr.get("errors", "1"))

    time.sleep(1)
    phase[0] = "big"
    big = subprocess.run([a.wsload, "--mode", "echo", "--conns", str(a.big_clients), "--depth", "1",
                          "--size", str(a.big_size), "--count", str(a.big_clients * a.big_each), "--seconds", "300",
                          "--warmup", "0", "--drain-timeout", "60", "--url", a.url], capture_output=True, text=True)
    br = next((kv(l) for l in big.stdout.splitlines() if l.startswith("RESULT")), {})
    big_errors = int(br.get("errors", "1"))
    if big_errors:
        sys.stderr.write(big.stderr[-2000:])
    end = time.monotonic() - t0
    phase[0] = "after"
    time.sleep(a.after)
    stop.set()
    th.join()

    before = sorted(r for t, r, p in samples if p == "baseline")
    before_kb = before[len(before) // 2] if before else -1
    peak = max(samples, key=lambda s: s[1])
    after = [(t, r) for t, r, p in samples if p == "after"]
    back = -1.0
    for i, (t, r) in enumerate(after):
        if all(rr <= before_kb + WITHIN_KB for _, rr in after[i:]):
            back = t - end
            break
    errors += big_errors
    print(f"RESULT mode=burst rss_before_kb={before_kb} peak_kb={peak[1]} peak_phase={peak[2]} "
          f"after_kb={after[-1][1] if after else -1} after_s={a.after:.0f} back_s={back:.1f} "
          f"flood_clients={a.flood_clients} flood_codes={','.join(f'{k}x{v}' for k, v in sorted(codes.items())) or 'none'} "
          f"probe_msgs_per_s={pr.get('msgs_per_s', 0)} probe_p50_us={pr.get('p50_us', -1)} probe_p99_us={pr.get('p99_us', -1)} "
          f"probe_errors={probe_errors} big_msgs={br.get('msgs', 0)} big_errors={big_errors} errors={errors}", flush=True)


if __name__ == "__main__":
    main()
