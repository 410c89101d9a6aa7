#!/usr/bin/env python3
"""The echo benchmark against the Windows build under Wine, beside the Linux build (issue 13).

    bench/tools/wine-echo.py [--reps N] [--seconds S] [--zip dist/WebSocket.zip]

For each repetition, interleaved: the Linux library in bench-host (`echo`, the seed's loop with
Принять(200)), then the Windows DLL in tests/native-host/build-windows/addin-platform.exe under
Wine (the same loop, run inside that process by its `echoLoop` request: MSVC x64 layouts, the
platform's memory manager), each loaded from the same ZIP and measured by the same
`wsload --mode echo --conns 64 --depth 4 --size 32`. Prints the RESULT lines and the median ratio.
Wine adds its own cost (its ntdll, its sockets over Linux's): the ratio is for information, not a
target. Needs bench/run.sh to have built bench/build (wsload, bench-host) and the windows-host
stage (tests/native-host/windows/stage.sh) to have built addin-platform.exe.
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VT_I4, VT_PWSTR = 3, 22


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def wsload(port, seconds):
    out = subprocess.run([f"{REPO}/bench/build/wsload", "--mode", "echo", "--conns", "64", "--depth", "4", "--size", "32",
                          "--seconds", str(seconds), "--warmup", "2", "--url", f"ws://127.0.0.1:{port}/"],
                         capture_output=True, text=True, timeout=seconds + 120)
    line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT")), "")
    if not line:
        raise RuntimeError("wsload printed no RESULT: " + out.stderr[-2000:])
    return line


def msgs_per_s(line):
    m = re.search(r"msgs_per_s=([0-9.]+)", line)
    return float(m.group(1)) if m else 0.0


def linux_run(zip_path, seconds):
    port = free_port()
    host = subprocess.Popen([f"{REPO}/bench/build/hosts/bench-host", "echo", "--zip", zip_path, "--timeout", "200",
                             "127.0.0.1", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        if not wait_port(port):
            raise RuntimeError("bench-host did not listen")
        return wsload(port, seconds)
    finally:
        host.send_signal(signal.SIGTERM)
        host.wait(timeout=30)


class WineHost:
    """addin-platform.exe: one JSON request per line on stdin, replies (with the request's id) on stdout."""

    def __init__(self, exe, prefix):
        env = dict(os.environ, WINEPREFIX=prefix, WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=")
        wine = "/usr/lib/wine/wine64" if os.access("/usr/lib/wine/wine64", os.X_OK) else "wine"
        self.proc = subprocess.Popen([wine, exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, text=True, bufsize=1)
        self.next_id = 0
        self.replies = {}
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                reply = json.loads(line)
            except ValueError:
                continue
            with self.cv:
                self.replies[reply.get("id")] = reply
                self.cv.notify_all()

    def send(self, op, **args):
        self.next_id += 1
        args.update(id=self.next_id, op=op)
        self.proc.stdin.write(json.dumps(args) + "\n")
        self.proc.stdin.flush()
        return self.next_id

    def wait(self, rid, seconds=120):
        with self.cv:
            if not self.cv.wait_for(lambda: rid in self.replies, timeout=seconds):
                raise RuntimeError(f"no reply to request {rid}")
            reply = self.replies.pop(rid)
        if "error" in reply:
            raise RuntimeError(f"request {rid}: {reply['error']}")
        return reply

    def request(self, op, **args):
        return self.wait(self.send(op, **args))

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait(timeout=60)


def dos_path(path):
    return "Z:" + os.path.abspath(path).replace("/", "\\")


def wine_run(zip_path, exe, prefix, seconds):
    host = WineHost(exe, prefix)
    try:
        host.request("load", zip=dos_path(zip_path))
        obj = host.request("create", options={"className": "Server"})["obj"]
        port = free_port()
        run = host.request("call", obj=obj, name="Запустить", args=[{"vt": VT_PWSTR, "s": "127.0.0.1"}, {"vt": VT_I4, "i": port}])
        if not (run["result"]["ok"] and run["result"]["ret"].get("b")):
            raise RuntimeError(f"Запустить under Wine: {run}")
        loop = host.send("echoLoop", obj=obj, timeout=200)
        if not wait_port(port):
            raise RuntimeError("the add-in under Wine did not listen")
        line = wsload(port, seconds)
        host.request("echoStop")
        echoed = host.wait(loop)["echoed"]
        host.request("call", obj=obj, name="Остановить", args=[])
        host.request("destroy", obj=obj)
        return f"{line} host_echoed={echoed}"
    finally:
        host.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--zip", default=f"{REPO}/dist/WebSocket.zip")
    ap.add_argument("--exe", default=f"{REPO}/tests/native-host/build-windows/addin-platform.exe")
    a = ap.parse_args()
    prefix = tempfile.mkdtemp(prefix="wine-echo-")
    env = dict(os.environ, WINEPREFIX=prefix, WINEDEBUG="-all")
    subprocess.run(["wineboot", "--init"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    subprocess.run(["wineserver", "-w"], env=env, timeout=120)
    linux, wine = [], []
    for rep in range(1, a.reps + 1):
        line = linux_run(a.zip, a.seconds)
        linux.append(msgs_per_s(line))
        print(f"linux rep {rep}: {line}", flush=True)
        line = wine_run(a.zip, a.exe, prefix, a.seconds)
        wine.append(msgs_per_s(line))
        print(f"wine  rep {rep}: {line}", flush=True)
    subprocess.run(["wineserver", "-k"], env=env)
    lm, wm = statistics.median(linux), statistics.median(wine)
    print(f"64 x 4 x 32 B, msgs/s median of {a.reps}: Linux {lm:.0f} (min {min(linux):.0f}, max {max(linux):.0f}); "
          f"Windows DLL under Wine {wm:.0f} (min {min(wine):.0f}, max {max(wine):.0f}); Wine / Linux = {wm / lm:.2f}")


if __name__ == "__main__":
    sys.exit(main())
