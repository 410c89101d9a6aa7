#!/usr/bin/python3
"""The long soak (issue 14 item 5): bench-host's soak mode under mixed traffic for --minutes.

    soak.py --host bench/build/hosts/bench-host --zip dist/WebSocket.zip --minutes 30 \
            --csv OUT.csv [--log HOST.log] [--cycle S] [--recreate S]

The server: `bench-host soak` (bench/hosts/bench-host.cpp): object A runs the seed loop and calls
Остановить + Запустить on its port every --cycle seconds; object B, on a second thread, is
destroyed during traffic and created again every --recreate seconds. Both use Принять(200) and
the platform-like memory manager.

The clients (Python websockets, one asyncio loop), against both ports:
  ordered    24 clients, each sends text messages numbered per connection (90% 16 B - 1 KiB,
             9% 4 - 64 KiB, 1% 256 KiB - 1 MiB; up to 4 in flight, ~25 a second) and checks every
             echo is the next one sent, byte for byte: a gap is a lost message, a repeat a
             duplicate, anything else a mismatch. A connection that the server closes (Stop,
             an object destroyed) may leave sent messages unechoed: counted as cut_by_close, not
             lost. Each client also closes and reconnects by itself now and then.
  vanishing  4 clients connect, send a few messages and drop the TCP connection without a close.
  stop-read  1 client per port sends 1 MiB messages and never reads the echoes, until the server
             cuts it off (or 40 s pass; then it vanishes too).
Every second the host's VmRSS, threads and open descriptors go to --csv. At the end the clients
close, the host is stopped (SIGTERM) and reports its memory manager. Prints one line:
RESULT mode=soak minutes echoed lost dup mismatch cut_by_close connects vanished stopread_codes
rss_start_mb (median of the second tenth of the run) rss_end_mb (median of the last tenth)
rss_max_mb threads_start/end/max fds_start/end/max heap_live heap_foreign cycles recreations
flat (1 when RSS grew < 32 MiB, threads < 8, descriptors < 16 from the second tenth to the last)
errors (lost + dup + mismatch + heap not balanced + host failures).
"""
import argparse
import asyncio
import collections
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

import websockets

STATS = collections.Counter()
CODES = collections.Counter()
STOP = asyncio.Event


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc(pid):
    rss = threads = -1
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads, len(os.listdir(f"/proc/{pid}/fd"))


def size_of(rng):
    x = rng.random()
    if x < 0.90:
        return rng.randint(16, 1024)
    if x < 0.99:
        return rng.randint(4096, 65536)
    return rng.randint(256 * 1024, 1024 * 1024)


FILL = ("Пример текста из 1С: документ проведён, остаток 12345,67 руб. " * 20000)


async def connect(url):
    return await websockets.connect(url, max_size=None, max_queue=64, ping_interval=None, compression=None,
                                    open_timeout=5, close_timeout=2)


async def ordered(cid, url, stop):
    rng = random.Random(cid)
    conn_no = 0
    while not stop.is_set():
        try:
            ws = await connect(url)
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
            STATS["connect_refused"] += 1
            await asyncio.sleep(0.2)
            continue
        conn_no += 1
        STATS["connects"] += 1
        pending = collections.deque()  # messages sent, not yet echoed, in order
        window = asyncio.Semaphore(4)
        budget = rng.randint(200, 3000)  # then this client closes and reconnects by itself

        async def sender():
            seq = 0
            while not stop.is_set() and seq < budget:
                await window.acquire()
                n = size_of(rng)
                head = f"{cid}:{conn_no}:{seq}:"
                msg = head + FILL[:max(0, n - len(head))]
                pending.append(msg)
                await ws.send(msg)
                STATS["sent"] += 1
                seq += 1
                await asyncio.sleep(rng.uniform(0.01, 0.07))
            while pending and not stop.is_set():
                await asyncio.sleep(0.05)

        async def receiver():
            async for got in ws:
                if not pending:
                    STATS["dup"] += 1
                    continue
                want = pending[0]
                if got == want:
                    pending.popleft()
                    STATS["echoed"] += 1
                    window.release()
                    continue
                # which one is it?
                try:
                    c, k, s, _ = got.split(":", 3)
                    s, ws_ = int(s), int(pending[0].split(":", 3)[2])
                except (ValueError, IndexError):
                    STATS["mismatch"] += 1
                    continue
                if int(c) != cid or int(k) != conn_no:
                    STATS["mismatch"] += 1
                elif s < ws_:
                    STATS["dup"] += 1
                elif any(m == got for m in pending):
                    while pending and pending[0] != got:
                        pending.popleft()
                        STATS["lost"] += 1
                        window.release()
                    pending.popleft()
                    STATS["echoed"] += 1
                    window.release()
                else:
                    STATS["mismatch"] += 1

        rt = asyncio.ensure_future(receiver())
        try:
            await sender()
            await ws.close()
            CODES["client-close"] += 1
        except websockets.exceptions.ConnectionClosed as e:
            CODES[str(e.rcvd.code if e.rcvd else 1006)] += 1
        except (OSError, asyncio.TimeoutError):
            CODES["reset"] += 1
        try:
            await asyncio.wait_for(rt, 3)
        except websockets.exceptions.ConnectionClosed as e:
            CODES[str(e.rcvd.code if e.rcvd else 1006)] += 1
        except (asyncio.TimeoutError, OSError):
            rt.cancel()
        STATS["cut_by_close"] += len(pending)
        await ws.close()


async def vanishing(cid, urls, stop):
    rng = random.Random(1000 + cid)
    while not stop.is_set():
        try:
            ws = await connect(rng.choice(urls))
            for _ in range(rng.randint(1, 5)):
                await ws.send("x" * rng.randint(10, 5000))
            if rng.random() < 0.5:
                await asyncio.wait_for(ws.recv(), 2)
            ws.transport.abort()  # no close frame, no FIN handshake from the library
            STATS["vanished"] += 1
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
            STATS["vanish_failed"] += 1
        await asyncio.sleep(rng.uniform(0.1, 0.6))


async def stop_reader(url, stop):
    body = "s" * (1024 * 1024)
    while not stop.is_set():
        try:
            ws = await websockets.connect(url, max_size=None, max_queue=1, read_limit=2 ** 16, write_limit=2 ** 16,
                                          ping_interval=None, compression=None, open_timeout=5)
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
            await asyncio.sleep(0.5)
            continue
        STATS["stopread_connects"] += 1
        end = time.monotonic() + 40
        code = "none"
        try:
            while time.monotonic() < end and not stop.is_set():
                await asyncio.wait_for(ws.send(body), max(0.1, end - time.monotonic()))
                STATS["stopread_sent"] += 1
        except websockets.exceptions.ConnectionClosed as e:
            code = str(e.rcvd.code if e.rcvd else 1006)
        except (asyncio.TimeoutError, OSError):
            code = "blocked" if not stop.is_set() else "none"
        if code in ("none", "blocked"):
            try:
                await asyncio.wait_for(ws.wait_closed(), 5)
                code = str(ws.close_code)
            except asyncio.TimeoutError:
                pass
        CODES["stopread:" + code] += 1
        ws.transport.abort()
        await asyncio.sleep(1)


async def clients(urls, seconds):
    stop = asyncio.Event()
    tasks = [asyncio.ensure_future(ordered(i, urls[i % 2], stop)) for i in range(24)]
    tasks += [asyncio.ensure_future(vanishing(i, urls, stop)) for i in range(4)]
    tasks += [asyncio.ensure_future(stop_reader(u, stop)) for u in urls]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait(tasks, timeout=15)
    for t in tasks:
        t.cancel()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--zip", required=True)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("--cycle", type=float)
    ap.add_argument("--recreate", type=float)
    a = ap.parse_args()
    seconds = a.minutes * 60
    cycle = a.cycle or max(20.0, seconds / 15)
    recreate = a.recreate or max(25.0, seconds / 12)
    pa, pb = free_port(), free_port()
    log = open(a.log, "w")
    host = subprocess.Popen([a.host, "soak", "--zip", a.zip, "--cycle", str(cycle), "--recreate", str(recreate),
                             "127.0.0.1", str(pa), str(pb)], stdout=subprocess.PIPE, stderr=log, text=True)
    line = host.stdout.readline()
    if not line.startswith("ws://"):
        print("RESULT mode=soak errors=1 host_failed_to_start=1", flush=True)
        sys.exit(2)
    urls = line.split()
    time.sleep(0.5)

    samples = []
    done = threading.Event()
    t0 = time.monotonic()

    def sampler():
        with open(a.csv, "w") as f:
            f.write("t_s,rss_kb,threads,fds\n")
            while not done.is_set():
                try:
                    rss, th, fd = proc(host.pid)
                except OSError:
                    break
                t = time.monotonic() - t0
                samples.append((t, rss, th, fd))
                f.write(f"{t:.1f},{rss},{th},{fd}\n")
                f.flush()
                done.wait(1.0)

    st = threading.Thread(target=sampler, daemon=True)
    st.start()
    asyncio.run(clients(urls, seconds))
    time.sleep(3)  # the server notices the last closes
    done.set()
    st.join()
    host.send_signal(signal.SIGTERM)
    try:
        host.wait(timeout=30)
    except subprocess.TimeoutExpired:
        host.kill()
    log.close()
    stats = {}
    with open(a.log) as f:
        for l in f:
            if l.startswith("HOSTSTATS "):
                stats = dict(t.split("=", 1) for t in l.split()[1:] if "=" in t)

    def med(lo, hi, k):
        v = [s[k] for s in samples if lo <= s[0] / seconds < hi] or [samples[-1][k]]
        return statistics.median(v)

    rs, re_ = med(0.1, 0.2, 1), med(0.9, 2.0, 1)
    ts, te = med(0.1, 0.2, 2), med(0.9, 2.0, 2)
    fs, fe = med(0.1, 0.2, 3), med(0.9, 2.0, 3)
    flat = int(re_ - rs < 32 * 1024 and te - ts < 8 and fe - fs < 16)
    heap_live = int(stats.get("heap_live", -1))
    errors = (STATS["lost"] + STATS["dup"] + STATS["mismatch"] + (heap_live != 0) + int(stats.get("heap_foreign", 1))
              + int(stats.get("cycle_failures", 1)) + (host.returncode != 0))
    codes = ",".join(f"{k}x{v}" for k, v in sorted(CODES.items()))
    print(f"RESULT mode=soak minutes={a.minutes:g} cycle_s={cycle:.0f} recreate_s={recreate:.0f} echoed={STATS['echoed']} "
          f"sent={STATS['sent']} lost={STATS['lost']} dup={STATS['dup']} mismatch={STATS['mismatch']} "
          f"cut_by_close={STATS['cut_by_close']} connects={STATS['connects']} connect_refused={STATS['connect_refused']} "
          f"vanished={STATS['vanished']} stopread_mib={STATS['stopread_sent']} close_codes={codes or 'none'} "
          f"rss_start_mb={rs / 1024:.1f} rss_end_mb={re_ / 1024:.1f} rss_max_mb={max(s[1] for s in samples) / 1024:.1f} "
          f"threads_start={ts:.0f} threads_end={te:.0f} threads_max={max(s[2] for s in samples)} "
          f"fds_start={fs:.0f} fds_end={fe:.0f} fds_max={max(s[3] for s in samples)} flat={flat} "
          f"heap_live={heap_live} heap_foreign={stats.get('heap_foreign', '?')} cycles={stats.get('cycles', '?')} "
          f"cycle_failures={stats.get('cycle_failures', '?')} recreations={stats.get('recreations', '?')} "
          f"recreate_failures={stats.get('recreate_failures', '?')} host_rc={host.returncode} errors={errors}", flush=True)


if __name__ == "__main__":
    main()
