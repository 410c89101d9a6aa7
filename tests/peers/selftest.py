#!/usr/bin/python3
"""Drives the three test peers and the two reference servers against each other.

Run through tests/peers/selftest.sh, which builds what is needed and makes the
certificates. Usage: selftest.py CERTDIR [--peers python,node,dotnet] [--quick]
Prints PASS/FAIL lines and, last, "N passed, N failed"; exits 1 on any failure.
"""

import argparse
import base64
import hashlib
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"

PEERS = {
    "python": [PY, os.path.join(HERE, "python", "peer.py")],
    "node": ["node", os.path.join(HERE, "node", "peer.js")],
    "dotnet": ["dotnet", os.path.join(HERE, "dotnet", "bin", "peer.dll")],
}
SERVERS = {
    "echo_server.py": [PY, os.path.join(HERE, "python", "echo_server.py")],
    "node-server.js": ["node", os.path.join(HERE, "servers", "node-server.js")],
    "python-server.py": [PY, os.path.join(HERE, "servers", "python-server.py")],
}

TIMEOUT = 60.0
BIG = 10 * 1024 * 1024
TEXT = "Привет, мир! Ёлка 🎄 emoji 👩‍💻 \"quotes\" \\ tab\t"

passed = 0
failed = 0
failures = []


class CheckFailed(Exception):
    pass


def ok(name):
    global passed
    passed += 1
    print("PASS " + name, flush=True)


def bad(name, detail):
    global failed
    failed += 1
    failures.append(name)
    print("FAIL %s: %s" % (name, detail), flush=True)


def check(cond, detail):
    if not cond:
        raise CheckFailed(detail)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def generated(kind, size):
    if kind == "text":
        return (b"abcdefghijklmnopqrstuvwxyz" * (size // 26 + 1))[:size]
    return (bytes(range(251)) * (size // 251 + 1))[:size]


class Proc:
    """A child speaking JSON lines on stdout; stderr kept for diagnostics."""

    def __init__(self, name, argv):
        self.name = name
        self.events = queue.Queue()
        self.stderr_lines = []
        self.stdout_junk = []
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        threading.Thread(target=self._out, daemon=True).start()
        threading.Thread(target=self._err, daemon=True).start()

    def _out(self):
        for raw in self.p.stdout:
            try:
                ev = json.loads(raw.decode("utf-8"))
                if not isinstance(ev, dict):
                    raise ValueError("not an object")
            except Exception:
                self.stdout_junk.append(raw)
                ev = {"event": "__junk__", "raw": raw[:200].decode("utf-8", "replace")}
            self.events.put(ev)
        self.events.put(None)

    def _err(self):
        for raw in self.p.stderr:
            self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip())

    def send(self, obj):
        try:
            self.p.stdin.write((json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8"))
            self.p.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def close_stdin(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass

    def next(self, timeout=TIMEOUT):
        try:
            ev = self.events.get(timeout=timeout)
        except queue.Empty:
            raise CheckFailed("%s: no event within %.0fs%s" % (self.name, timeout, self.tail()))
        if ev is None:
            self.events.put(None)  # stays at end of stream
            raise CheckFailed("%s: stdout ended (exit %s)%s" % (self.name, self.p.poll(), self.tail()))
        if ev.get("event") == "__junk__":
            raise CheckFailed("%s: non-JSON line on stdout: %r" % (self.name, ev["raw"]))
        return ev

    def expect(self, kind, timeout=TIMEOUT, skip=()):
        """Next event, which must be of `kind` (events whose kind is in `skip` are passed over)."""
        while True:
            ev = self.next(timeout)
            if ev.get("event") in skip:
                continue
            check(ev.get("event") == kind, "%s: expected %s, got %s%s" % (
                self.name, kind, json.dumps(ev, ensure_ascii=False)[:300], self.tail()))
            return ev

    def wait_exit(self, timeout=TIMEOUT):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise CheckFailed("%s: did not exit within %.0fs" % (self.name, timeout))

    def tail(self):
        if not self.stderr_lines:
            return ""
        return " [stderr: %s]" % " | ".join(self.stderr_lines[-3:])

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            try:
                f.close()
            except Exception:
                pass


class Server(Proc):
    def __init__(self, kind, tls=None):
        argv = SERVERS[kind] + ["--port", "0", "--events"]
        if tls:
            argv += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        super().__init__(kind + (" (tls)" if tls else ""), argv)
        ev = self.expect("listening", timeout=30)
        self.port = ev["port"]
        self.pending = []

    def server_event(self, kind, path, timeout=TIMEOUT):
        """The next `kind` event for `path` (other events are kept for later)."""
        for i, ev in enumerate(self.pending):
            if ev.get("event") == kind and ev.get("path") == path:
                return self.pending.pop(i)
        deadline = time.time() + timeout
        while True:
            ev = self.next(max(0.1, deadline - time.time()))
            if ev.get("event") == kind and ev.get("path") == path:
                return ev
            self.pending.append(ev)


_uniq = [0]


def uniq(route):
    """A request path no other connection of this run uses (servers route by path only)."""
    _uniq[0] += 1
    return "%s?n=%d" % (route, _uniq[0])


def peer(kind, url, *extra):
    return Proc("%s-peer" % kind, PEERS[kind] + ["--url", url] + list(extra))


def run(name, fn, *a):
    try:
        fn(*a)
        ok(name)
    except CheckFailed as e:
        bad(name, e)
    except Exception as e:  # a bug in the test itself counts as a failure too
        bad(name, "%s: %s" % (type(e).__name__, e))


# --- checks on one open peer -------------------------------------------------------------

def expect_message(p, typ, payload, what, ev=None):
    if ev is None:
        ev = p.expect("message")
    check(ev.get("type") == typ, "%s: type %r, wanted %r" % (what, ev.get("type"), typ))
    check(ev.get("length") == len(payload), "%s: length %r, wanted %d" % (what, ev.get("length"), len(payload)))
    check(ev.get("sha256") == sha(payload), "%s: sha256 differs" % what)
    if len(payload) <= 65536:
        check("data" in ev, "%s: no data" % what)
        got = ev["data"].encode("utf-8") if typ == "text" else base64.b64decode(ev["data"])
        check(got == payload, "%s: data differs: %r" % (what, ev["data"][:80]))
    else:
        check("data" not in ev, "%s: data present for a message over 64 KiB" % what)
    return ev


def expect_sent(p, count, what, ev=None):
    if ev is None:
        ev = p.expect("sent")
    check(ev.get("count") == count, "%s: sent count %r, wanted %d" % (what, ev.get("count"), count))


def expect_echo(p, typ, payload, what):
    """The sent event and the echoed message, in either order (they race)."""
    seen = set()
    while seen != {"sent", "message"}:
        ev = p.next()
        kind = ev.get("event")
        check(kind in ("sent", "message") and kind not in seen,
              "%s: unexpected %s" % (what, json.dumps(ev, ensure_ascii=False)[:300]))
        seen.add(kind)
        if kind == "sent":
            expect_sent(p, 1, what, ev)
        else:
            expect_message(p, typ, payload, what, ev)


def t_text(p):
    p.send({"op": "send", "text": TEXT})
    expect_echo(p, "text", TEXT.encode("utf-8"), "text")


def t_binary(p):
    blob = bytes(range(256)) + bytes(reversed(range(256)))
    p.send({"op": "send", "binary": base64.b64encode(blob).decode()})
    expect_echo(p, "binary", blob, "binary")


def t_generated(p, kind):
    p.send({"op": "send_generated", "type": kind, "size": BIG})
    expect_echo(p, kind, generated(kind, BIG), "generated %s 10 MiB" % kind)


def t_send_many(p, count=1000, prefix="c7:", need_overlap=False):
    p.send({"op": "send_many", "prefix": prefix, "count": count})
    got = []
    sent_at = None
    while len(got) < count or sent_at is None:
        ev = p.next()
        if ev.get("event") == "sent":
            check(sent_at is None, "two sent events")
            check(ev.get("count") == count, "sent count %r, wanted %d" % (ev.get("count"), count))
            sent_at = len(got)
        elif ev.get("event") == "message":
            check(ev.get("type") == "text", "send_many echo is %r" % ev.get("type"))
            got.append(ev.get("data"))
        else:
            raise CheckFailed("unexpected event during send_many: %s" % ev)
    want = [prefix + str(i) for i in range(count)]
    if got != want:
        first = next(i for i in range(count) if got[i] != want[i])
        raise CheckFailed("order broken at %d: %r, wanted %r" % (first, got[first], want[first]))
    if need_overlap:
        check(sent_at > 0, "no message reported before send_many finished "
                           "(receiving does not run while sending)")


def t_close(p, srv, path, code, reason):
    p.send({"op": "close", "code": code, "reason": reason})
    ev = p.expect("close")
    check(ev.get("code") == code and ev.get("reason") == reason,
          "close event %s, wanted %d %r" % (ev, code, reason))
    rc = p.wait_exit()
    check(rc == 0, "exit code %s after close, wanted 0" % rc)
    if srv is not None:
        sev = srv.server_event("closed", path)
        check(sev.get("code") == code and sev.get("reason") == reason,
              "server saw %s, wanted %d %r" % (sev, code, reason))


def open_peer(kind, url, *extra):
    p = peer(kind, url, *extra)
    try:
        p.expect("open", timeout=30)
    except Exception:
        p.kill()
        raise
    return p


def expect_connect_error(kind, url, pattern, *extra):
    p = peer(kind, url, *extra)
    try:
        ev = p.expect("error", timeout=30)
        check(re.search(pattern, ev.get("message", ""), re.I),
              "error message %r does not match /%s/" % (ev.get("message"), pattern))
        rc = p.wait_exit()
        check(rc == 1, "exit code %s, wanted 1" % rc)
    finally:
        p.kill()


# --- scenarios ----------------------------------------------------------------------------

def echo_suite(kind, srv, scheme, host, args_extra, quick, label):
    """One connection through all the data checks, then a close with code and reason."""
    path = "/suite-%s-%s" % (kind, scheme)
    url = "%s://%s:%d%s" % (scheme, host, srv.port, path)
    p = None
    try:
        p = open_peer(kind, url, *args_extra)
        srv.server_event("connection", path)
    except Exception as e:
        bad("%s: connect" % label, e)
        if p:
            p.kill()
        return
    ok("%s: connect" % label)
    try:
        steps = [("text with Cyrillic and emoji", t_text, ()),
                 ("binary round trip", t_binary, ()),
                 ("send_many 1000 in order", t_send_many, ())]
        if not quick:
            steps += [("10 MiB text, sha256", t_generated, ("text",)),
                      ("10 MiB binary, sha256", t_generated, ("binary",))]
        for name, fn, a in steps:
            try:
                fn(p, *a)
                ok("%s: %s" % (label, name))
            except CheckFailed as e:
                bad("%s: %s" % (label, name), e)
                return
        run("%s: close 4001 'bye' reported both ways" % label, t_close, p, srv, path, 4001, "bye")
    finally:
        p.kill()


def t_concurrent(kind, srv):
    path = "/concurrent-" + kind
    p = open_peer(kind, "ws://127.0.0.1:%d%s" % (srv.port, path))
    try:
        t_send_many(p, count=20000, prefix="k", need_overlap=True)
        t_close(p, srv, path, 1000, "")
    finally:
        p.kill()


def t_eof(kind, srv, no_close):
    path = "/eof-%s-%s" % (kind, "drop" if no_close else "close")
    extra = ["--no-close-on-eof"] if no_close else []
    p = open_peer(kind, "ws://127.0.0.1:%d%s" % (srv.port, path), *extra)
    try:
        p.send({"op": "send", "text": "last words"})
        expect_echo(p, "text", b"last words", "echo")
        p.close_stdin()
        ev = p.expect("close")
        want = 1006 if no_close else 1000
        check(ev.get("code") == want, "peer close event %s, wanted %d" % (ev, want))
        rc = p.wait_exit()
        check(rc == 0, "exit code %s, wanted 0" % rc)
        sev = srv.server_event("closed", path)
        check(sev.get("code") == want, "server saw %s, wanted %d" % (sev, want))
    finally:
        p.kill()


def t_drop(kind, srv):
    path = "/drop-" + kind
    p = open_peer(kind, "ws://127.0.0.1:%d%s" % (srv.port, path))
    try:
        p.send({"op": "drop"})
        ev = p.expect("close")
        check(ev.get("code") == 1006 and ev.get("reason") == "", "close event %s, wanted 1006" % ev)
        rc = p.wait_exit()
        check(rc == 0, "exit code %s, wanted 0" % rc)
        sev = srv.server_event("closed", path)
        check(sev.get("code") == 1006, "server saw %s, wanted 1006 (no close frame)" % sev)
    finally:
        p.kill()


def t_quit(kind, srv):
    """quit is obeyed at once, even behind a send_many that would take minutes."""
    path = "/quit-" + kind
    p = open_peer(kind, "ws://127.0.0.1:%d%s" % (srv.port, path))
    try:
        p.send({"op": "send_many", "prefix": "q", "count": 50000000})
        p.expect("message")  # the flood is under way
        t0 = time.time()
        p.send({"op": "quit"})
        rc = p.wait_exit(timeout=10)
        check(rc == 0, "exit code %s, wanted 0" % rc)
        check(time.time() - t0 < 5, "quit took %.1fs" % (time.time() - t0))
        sev = srv.server_event("closed", path)
        check(sev.get("code") == 1006, "server saw %s, wanted 1006" % sev)
    finally:
        p.kill()


def t_broken_stdout(kind, srv):
    """A peer whose stdout reader went away exits by itself (does not run on or hang)."""
    argv = PEERS[kind] + ["--url", "ws://127.0.0.1:%d%s" % (srv.port, uniq("/epipe"))]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        first = json.loads(p.stdout.readline().decode("utf-8"))
        check(first.get("event") == "open", "first event %s" % first)
        p.stdout.close()
        p.stdin.write(b'{"op":"send_many","prefix":"e","count":200000}\n')
        p.stdin.flush()
        try:
            rc = p.wait(20)
        except subprocess.TimeoutExpired:
            raise CheckFailed("still running 20 s after its stdout was closed")
        check(rc != 0, "exit code 0 after losing stdout")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for f in (p.stdin, p.stdout):
            try:
                f.close()
            except Exception:
                pass


def t_tls_short(kind, srv, host, ca, route="/tls"):
    path = uniq(route)
    p = open_peer(kind, "wss://%s:%d%s" % (host, srv.port, path), "--ca", ca)
    try:
        t_text(p)
        t_close(p, srv, path, 1000, "done")
    finally:
        p.kill()


def t_server_close(kind, srv):
    path = "/close?code=4000&reason=bye&" + uniq("")[1:]
    p = peer(kind, "ws://127.0.0.1:%d%s" % (srv.port, path))
    try:
        p.expect("open", timeout=30)
        ev = p.expect("close")
        check(ev.get("code") == 4000 and ev.get("reason") == "bye", "close event %s, wanted 4000 'bye'" % ev)
        rc = p.wait_exit()
        check(rc == 0, "exit code %s, wanted 0" % rc)
        sev = srv.server_event("closed", path)
        check(sev.get("code") == 4000, "server saw %s, wanted the close answered with 4000" % sev)
    finally:
        p.kill()


def t_vanish(kind, srv):
    p = open_peer(kind, "ws://127.0.0.1:%d/vanish" % srv.port)
    try:
        p.send({"op": "send", "text": "anyone there?"})
        ev = p.expect("close", skip=("sent",))
        check(ev.get("code") == 1006 and ev.get("reason") == "", "close event %s, wanted 1006" % ev)
        rc = p.wait_exit()
        check(rc == 0, "exit code %s, wanted 0" % rc)
    finally:
        p.kill()


def t_headers(kind, srv):
    p = open_peer(kind, "ws://127.0.0.1:%d/headers?x=1" % srv.port,
                  "--header", "X-Test-Header: abc:def", "--header", "X-Other:2",
                  "--subprotocol", "chat.v1", "--subprotocol", "other",
                  "--origin", "http://origin.test")
    try:
        ev = p.expect("message")
        info = json.loads(ev["data"])
        h = info["headers"]
        check(info.get("path") == "/headers?x=1", "path %r" % info.get("path"))
        check(h.get("x-test-header") == "abc:def", "x-test-header %r" % h.get("x-test-header"))
        check(h.get("x-other") == "2", "x-other %r" % h.get("x-other"))
        check(h.get("origin") == "http://origin.test", "origin %r" % h.get("origin"))
        check("chat.v1" in h.get("sec-websocket-protocol", ""), "sec-websocket-protocol %r"
              % h.get("sec-websocket-protocol"))
        check(info.get("subprotocol") == "chat.v1", "server negotiated %r" % info.get("subprotocol"))
        check(h.get("upgrade", "").lower() == "websocket", "upgrade %r" % h.get("upgrade"))
        t_close(p, None, None, 1000, "")
    finally:
        p.kill()


def t_headers_open_subprotocol(kind, srv):
    p = peer(kind, "ws://127.0.0.1:%d%s" % (srv.port, uniq("/echo")), "--subprotocol", "chat.v1")
    try:
        ev = p.expect("open", timeout=30)
        check(ev.get("subprotocol") == "chat.v1", "open event %s, wanted subprotocol chat.v1" % ev)
        t_close(p, None, None, 1000, "")
    finally:
        p.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("certdir")
    ap.add_argument("--peers", default="python,node,dotnet")
    ap.add_argument("--quick", action="store_true", help="skip the 10 MiB messages")
    a = ap.parse_args()
    kinds = [k for k in a.peers.split(",") if k]
    c = lambda n: os.path.join(a.certdir, n)
    ca = c("ca.pem")

    servers = []

    def start(kind, tls=None):
        s = Server(kind, tls)
        servers.append(s)
        return s

    try:
        echo = start("echo_server.py")
        echo_tls = start("echo_server.py", (c("server.pem"), c("server.key")))
        wrong = start("echo_server.py", (c("wrong.pem"), c("wrong.key")))
        selfsigned = start("echo_server.py", (c("self.pem"), c("self.key")))
        leaf = start("echo_server.py", (c("leaf.pem"), c("leaf.key")))
        print("servers up: echo %d, echo tls %d, wrong-name tls %d, self-signed tls %d, %d" % (
            echo.port, echo_tls.port, wrong.port, selfsigned.port, leaf.port), flush=True)

        for k in kinds:
            L = "%s peer / echo_server.py" % k
            echo_suite(k, echo, "ws", "127.0.0.1", [], a.quick, L + " ws")
            echo_suite(k, echo_tls, "wss", "localhost", ["--ca", ca], a.quick, L + " wss://localhost --ca")
            run(L + " wss://127.0.0.1 --ca (IP SAN)", t_tls_short, k, echo_tls, "127.0.0.1", ca)
            run(L + " wss without --ca fails on our CA", expect_connect_error, k,
                "wss://127.0.0.1:%d/x" % echo_tls.port, r"cert")
            run(L + " wss --ca, wrong host name fails", expect_connect_error, k,
                "wss://127.0.0.1:%d/x" % wrong.port, r"cert|host|match|name", "--ca", ca)
            run(L + " self-signed server cert as --ca", t_tls_short, k, selfsigned, "localhost", c("self.pem"))
            run(L + " self-signed server cert without --ca fails", expect_connect_error, k,
                "wss://localhost:%d/x" % selfsigned.port, r"cert")
            run(L + " self-signed CA:FALSE server cert as --ca", t_tls_short, k, leaf, "127.0.0.1", c("leaf.pem"))
            run(L + " receives while sending (send_many 20000)", t_concurrent, k, echo)
            run(L + " stdin EOF: close 1000", t_eof, k, echo, False)
            run(L + " stdin EOF --no-close-on-eof: no close frame", t_eof, k, echo, True)
            run(L + " drop: no close frame, 1006", t_drop, k, echo)
            run(L + " quit exits at once", t_quit, k, echo)
            run(L + " stdout closed: the peer exits", t_broken_stdout, k, echo)
            run(L + " connection refused: error, exit 1", expect_connect_error, k,
                "ws://127.0.0.1:1/x", r".")

        for skind in ("node-server.js", "python-server.py"):
            s = start(skind)
            stls = start(skind, (c("server.pem"), c("server.key")))
            print("%s up: ws %d, wss %d" % (skind, s.port, stls.port), flush=True)
            for k in kinds:
                L = "%s peer / %s" % (k, skind)
                ok_echo = True
                p = None
                try:
                    path = uniq("/echo")
                    p = open_peer(k, "ws://127.0.0.1:%d%s" % (s.port, path))
                    t_text(p)
                    t_binary(p)
                    if not a.quick:
                        t_generated(p, "binary")
                    t_send_many(p, count=200, prefix="s:")
                    t_close(p, s, path, 4002, "done")
                except CheckFailed as e:
                    ok_echo = False
                    bad(L + " /echo", e)
                finally:
                    if p:
                        p.kill()
                if ok_echo:
                    ok(L + " /echo")
                run(L + " /echo over wss --ca", t_tls_short, k, stls, "localhost", ca, "/echo")
                run(L + " /close?code=4000&reason=bye", t_server_close, k, s)
                run(L + " /vanish: 1006 after the first message", t_vanish, k, s)
                run(L + " /reject?status=403", expect_connect_error, k,
                    "ws://127.0.0.1:%d/reject?status=403" % s.port, r"403")
                run(L + " unknown path: 404", expect_connect_error, k,
                    "ws://127.0.0.1:%d/nope" % s.port, r"404")
                run(L + " /headers: headers, origin, subprotocol", t_headers, k, s)
                run(L + " subprotocol in the open event", t_headers_open_subprotocol, k, s)
    finally:
        for s in servers:
            s.kill()

    if failures:
        print("failed: " + "; ".join(failures), flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
