#!/usr/bin/python3
"""One round trip of 1 x 1 x 32 B, hop by hop, from a `perf sched record` of the whole machine.

    perf script -i sched.data -F comm,tid,time,event,trace | rt-trace.py SERVER_PID CLIENT_PID [THREADS.txt]

(bench/tools/trace-latency.sh records and calls this.) A round trip is cut at each wake-up of the
client (the server's reply arriving). Within it the hops, each the median over all round trips:
  client → socket thread   the client's send wakes the server's epoll thread (.NET Sockets): its
                           scheduling delay
  socket thread → loop     from the epoll thread running until the 1C thread is woken (the pool
                           worker reads, parses, queues the message, signals Receive)
  loop wake-up             the 1C thread's scheduling delay after that signal
  loop → reply             from the 1C thread running until the client is woken (Receive returns,
                           Send, a pool worker writes the frame with sendto); of it, the 1C
                           thread's own run until it waits again
and per round trip: how many times each kind of thread of the server was switched in, how many of
those were the pool's own yields (sched_yield spinning: a switch with prev_state=R), and which
thread woke the client. Prints a Markdown table.
"""
import collections
import re
import statistics
import sys

SW = re.compile(r"prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)")
WK = re.compile(r"comm=(.*) pid=(\d+) prio=")


def main():
    server, client = sys.argv[1], sys.argv[2]
    tids = set()
    names = {}
    if len(sys.argv) > 3:
        for line in open(sys.argv[3]):
            t, n = line.split(" ", 1)
            tids.add(t)
            names[t] = n.strip()
    loop_tid = server
    rts = []
    cur = None
    last_sock_wake = None
    for line in sys.stdin:
        parts = line.split(None, 4)
        if len(parts) < 5:
            continue
        # comm may contain spaces: find the time field (ends with ':')
        m = re.match(r"\s*(.*?)\s+(\d+)\s+([\d.]+):\s+(\S+):\s+(.*)", line)
        if not m:
            continue
        comm, tid, t, ev, tr = m.groups()
        t = float(t) * 1e6  # µs
        if ev == "sched:sched_waking":
            w = WK.search(tr)
            if not w:
                continue
            wcomm, wpid = w.groups()
            if wpid == client:
                if cur is not None:
                    cur["end"] = t
                    cur["waker"] = names.get(tid, comm)
                    rts.append(cur)
                cur = {"start": t, "switches": collections.Counter(), "yields": collections.Counter()}
            elif cur is not None and tid == client and wpid in tids:
                cur.setdefault("sock_wake", t)
            elif cur is not None and wpid == loop_tid:
                cur.setdefault("loop_wake", t)
        elif ev == "sched:sched_switch" and cur is not None:
            s = SW.search(tr)
            if not s:
                continue
            pcomm, ppid, pstate, ncomm, npid = s.groups()
            if npid in tids:
                kind = names.get(npid, ncomm)
                kind = "1C thread (bench-host main)" if npid == loop_tid and kind.startswith("bench-host") else kind
                cur["switches"][kind] += 1
                if "sock_wake" in cur and "sock_run" not in cur and names.get(npid, "").startswith(".NET Sockets"):
                    cur["sock_run"] = t
                if npid == loop_tid and "loop_wake" in cur and "loop_run" not in cur:
                    cur["loop_run"] = t
            if ppid == loop_tid and "loop_run" in cur and "loop_sleep" not in cur and not pstate.startswith("R"):
                cur["loop_sleep"] = t
            if ppid in tids and pstate.startswith("R"):
                cur["yields"][names.get(ppid, pcomm)] += 1
    if not rts:
        sys.exit("no round trips found")

    def med(key_a, key_b):
        v = [r[key_b] - r[key_a] for r in rts if key_a in r and key_b in r and r[key_b] >= r[key_a]]
        return (statistics.median(v), len(v)) if v else (None, 0)

    total = [r["end"] - r["start"] for r in rts]
    n = len(rts)
    print(f"{n} round trips; client wake to client wake: median {statistics.median(total):.1f} µs\n")
    print("| hop | median µs | round trips with it |")
    print("|---|---|---|")
    for label, a, b in (("client's send → socket thread runs (its wake-up)", "sock_wake", "sock_run"),
                        ("socket thread → 1C thread signalled (pool reads, parses, queues)", "sock_run", "loop_wake"),
                        ("1C thread signalled → running (its wake-up)", "loop_wake", "loop_run"),
                        ("1C thread running → client woken (Receive returns, Send, pool sendto)", "loop_run", "end"),
                        ("  of which: 1C thread running → it waits again (Receive returns, Send, next Receive)", "loop_run", "loop_sleep"),
                        ("client woken → client's next send wakes the socket thread", "start", "sock_wake"),
                        ("server side in all: socket thread runs → client woken", "sock_run", "end")):
        v, k = med(a, b)
        print(f"| {label} | {'–' if v is None else f'{v:.1f}'} | {k} ({100 * k / n:.0f}%) |")
    print()
    kinds = collections.Counter()
    ykinds = collections.Counter()
    for r in rts:
        kinds.update(r["switches"])
        ykinds.update(r["yields"])
    wakers = collections.Counter(r.get("waker", "?") for r in rts)
    print("| server thread | switched in per round trip | of which after its own yield (spinning) |")
    print("|---|---|---|")
    for k, v in kinds.most_common():
        print(f"| {k} | {v / n:.2f} | {ykinds.get(k, 0) / n:.2f} |")
    print()
    print("Who woke the client (wrote the reply): " + ", ".join(f"{k} {100 * v / n:.0f}%" for k, v in wakers.most_common()))


if __name__ == "__main__":
    main()
