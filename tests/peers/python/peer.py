#!/usr/bin/python3
"""WebSocket test peer on Debian's python3-websockets (10.4, legacy asyncio API; also 8.1 on Debian 11).

Speaks the line protocol of tests/peers/PROTOCOL.md: JSON commands on stdin,
JSON events on stdout (one a line, flushed at once), diagnostics on stderr.
Run with /usr/bin/python3 so that Debian's websockets is the one imported.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import ssl
import sys
import threading
import urllib.parse

import websockets
import websockets.headers
from websockets.exceptions import ConnectionClosed

DATA_LIMIT = 65536
MAX_MESSAGE = 256 * 1024 * 1024
YIELD_EVERY = 64  # send_many: let the receiver run between frames

_out_lock = threading.Lock()


def log(*args):
    try:
        print("python-peer:", *args, file=sys.stderr, flush=True)
    except Exception:  # stderr gone: nothing more to say
        pass


def hard_exit(code):
    try:
        sys.stderr.flush()
    except Exception:
        pass
    os._exit(code)


def emit(obj):
    """One JSON line on stdout, flushed. A broken stdout ends the peer."""
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"
    data = line.encode("utf-8", "surrogatepass")
    with _out_lock:
        try:
            fd = 1
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        except OSError:
            # Nobody reads our events any more: there is no one to report to.
            hard_exit(1)


def fail(message):
    emit({"event": "error", "message": str(message)})
    hard_exit(1)


def message_event(payload):
    if isinstance(payload, str):
        raw = payload.encode("utf-8", "surrogatepass")
        event = {"event": "message", "type": "text", "length": len(raw),
                 "sha256": hashlib.sha256(raw).hexdigest()}
        if len(raw) <= DATA_LIMIT:
            event["data"] = payload
    else:
        raw = bytes(payload)
        event = {"event": "message", "type": "binary", "length": len(raw),
                 "sha256": hashlib.sha256(raw).hexdigest()}
        if len(raw) <= DATA_LIMIT:
            event["data"] = base64.b64encode(raw).decode("ascii")
    return event


def generated(kind, size):
    if kind == "text":
        unit = "abcdefghijklmnopqrstuvwxyz"
        return (unit * (size // 26 + 1))[:size]
    if kind == "binary":
        unit = bytes(range(251))
        return (unit * (size // 251 + 1))[:size]
    raise ValueError("send_generated: type must be text or binary")


def parse_args(argv):
    p = argparse.ArgumentParser(description="WebSocket test peer (python3-websockets)")
    p.add_argument("--url", required=True)
    p.add_argument("--ca")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--subprotocol", action="append", default=[])
    p.add_argument("--origin")
    p.add_argument("--no-close-on-eof", action="store_true")
    p.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    return p.parse_args(argv)


def is_quit(line):
    if b"quit" not in line:
        return False
    try:
        cmd = json.loads(line.decode("utf-8"))
    except Exception:
        return False
    return isinstance(cmd, dict) and cmd.get("op") == "quit"


def stdin_reader(loop, queue):
    """Blocking reads of stdin on a daemon thread; lines go to the asyncio queue.

    os.read on fd 0 (not sys.stdin) so that no Python-level lock is held
    when the process exits underneath this thread."""
    buf = b""
    try:
        while True:
            chunk = os.read(0, 65536)
            if not chunk:
                break
            buf += chunk
            while True:
                nl = buf.find(b"\n")
                if nl < 0:
                    break
                line, buf = buf[:nl], buf[nl + 1:]
                if is_quit(line):
                    # "exit at once": not queued behind a running send or close.
                    with _out_lock:
                        hard_exit(0)
                loop.call_soon_threadsafe(queue.put_nowait, line)
    except OSError as exc:
        log("stdin:", exc)
    if buf.strip():
        if is_quit(buf):
            with _out_lock:
                hard_exit(0)
        loop.call_soon_threadsafe(queue.put_nowait, buf)
    loop.call_soon_threadsafe(queue.put_nowait, None)


class Peer:
    def __init__(self, args):
        self.args = args
        self.ws = None
        self.closed = asyncio.Event()

    async def connect(self):
        a = self.args
        ssl_ctx = None
        if a.url.startswith("wss://"):
            if a.ca:
                ssl_ctx = ssl.create_default_context(cafile=a.ca)
            else:
                ssl_ctx = ssl.create_default_context()
        headers = []
        for h in a.header:
            if ":" not in h:
                raise ValueError("--header wants K:V, got %r" % h)
            k, v = h.split(":", 1)
            headers.append((k.strip(), v.strip()))
        kwargs = dict(
            extra_headers=headers,
            subprotocols=a.subprotocol or None,
            origin=a.origin,
            compression="deflate" if a.deflate else None,
            max_size=MAX_MESSAGE,
            max_queue=64,
            ping_interval=None,
            ping_timeout=None,
            close_timeout=30,
        )
        # open_timeout exists from websockets 10 on; Debian 11's 8.1 passes unknown keywords to
        # loop.create_connection, which raises TypeError. There wait_for bounds the handshake.
        if int(websockets.__version__.split(".")[0]) >= 10:
            kwargs["open_timeout"] = 30
        if ssl_ctx is not None:
            kwargs["ssl"] = ssl_ctx
        url = a.url
        parsed = urllib.parse.urlsplit(url)
        if parsed.hostname and ":" in parsed.hostname and not hasattr(websockets.headers, "build_host"):
            # Older websockets (8.1 on Debian 11) write an IPv6 literal into Host without brackets
            # ("Host: ::1:8080"), which servers reject with 400. Connect to the literal all the same,
            # through create_connection's host/port, and name the host "localhost" in the request.
            kwargs["host"] = parsed.hostname
            kwargs["port"] = parsed.port or (443 if parsed.scheme == "wss" else 80)
            url = urllib.parse.urlunsplit(parsed._replace(netloc="localhost:%d" % kwargs["port"]))
        self.ws = await asyncio.wait_for(websockets.connect(url, **kwargs), 35)
        emit({"event": "open", "subprotocol": self.ws.subprotocol or "",
              "extensions": self.ws.response_headers.get("Sec-WebSocket-Extensions", "")})

    async def receive_loop(self):
        ws = self.ws
        try:
            while True:
                payload = await ws.recv()
                emit(message_event(payload))
        except ConnectionClosed as exc:
            if exc.__cause__ is not None:  # e.g. a protocol violation by the server
                log("receive: %s (%r)" % (exc, exc.__cause__))
        except Exception as exc:  # unexpected: still wait for the connection to end
            log("receive:", repr(exc))
        await ws.wait_closed()
        code = ws.close_code if ws.close_code is not None else 1006
        emit({"event": "close", "code": code, "reason": ws.close_reason or ""})
        self.closed.set()

    async def send_frames(self, frames_iter):
        count = 0
        try:
            for frame in frames_iter:
                await self.ws.send(frame)
                count += 1
                if count % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
        except ConnectionClosed as exc:
            # The connection ended under us; the close event tells the rest.
            log("send stopped after %d frames: %s" % (count, exc))
            return
        emit({"event": "sent", "count": count})

    def drop(self):
        transport = self.ws.transport
        if transport is not None:
            transport.abort()

    async def command(self, cmd):
        op = cmd.get("op")
        if op == "send":
            if "text" in cmd:
                await self.send_frames([cmd["text"]])
            elif "binary" in cmd:
                await self.send_frames([base64.b64decode(cmd["binary"], validate=True)])
            else:
                raise ValueError("send wants text or binary")
        elif op == "send_many":
            prefix = cmd.get("prefix", "")
            count = int(cmd["count"])
            await self.send_frames(prefix + str(i) for i in range(count))
        elif op == "send_generated":
            await self.send_frames([generated(cmd.get("type"), int(cmd["size"]))])
        elif op == "close":
            code = int(cmd.get("code", 1000))
            reason = cmd.get("reason", "")
            try:
                await self.ws.close(code, reason)
            except ConnectionClosed:
                pass
            await self.closed.wait()
        elif op == "drop":
            self.drop()
            await self.closed.wait()
        elif op == "quit":
            hard_exit(0)
        else:
            raise ValueError("unknown op %r" % (op,))

    async def command_loop(self, queue):
        while True:
            line = await queue.get()
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            try:
                cmd = json.loads(line.decode("utf-8"))
                if not isinstance(cmd, dict):
                    raise ValueError("command is not a JSON object")
            except Exception as exc:
                fail("bad command %r: %s" % (line[:200], exc))
            if self.closed.is_set():
                if cmd.get("op") == "quit":
                    hard_exit(0)
                continue
            try:
                await self.command(cmd)
            except Exception as exc:
                fail("%s failed: %r" % (cmd.get("op"), exc))
        # End of stdin.
        if self.closed.is_set():
            return
        if self.args.no_close_on_eof:
            self.drop()
        else:
            try:
                await self.ws.close(1000, "")
            except ConnectionClosed:
                pass
        await self.closed.wait()


async def main(argv):
    args = parse_args(argv)
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    threading.Thread(target=stdin_reader, args=(loop, queue), daemon=True).start()
    peer = Peer(args)
    try:
        await peer.connect()
    except Exception as exc:
        fail("connect failed: %s: %s" % (type(exc).__name__, exc))
    receiver = asyncio.ensure_future(peer.receive_loop())
    commands = asyncio.ensure_future(peer.command_loop(queue))
    await peer.closed.wait()
    await receiver
    # The close event is out: the peer is done, whatever commands are left.
    commands.cancel()
    hard_exit(0)


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1:]))
    except SystemExit:
        raise
    except BaseException as exc:  # pragma: no cover - last resort
        fail("peer crashed: %r" % (exc,))
