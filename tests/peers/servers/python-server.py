#!/usr/bin/python3
"""Reference WebSocket server on Debian's python3-websockets (10.4, legacy asyncio API).

Behaviour is chosen per connection by the request path; see tests/peers/README.md.

    /usr/bin/python3 tests/peers/servers/python-server.py --port 0 [--host 127.0.0.1]
        [--tls-cert CERT.pem --tls-key KEY.pem] [--events] [--exit-on-stdin-eof]

First stdout line: {"event":"listening","port":N}.
"""

import argparse
import asyncio
import http
import json
import os
import ssl
import sys
import threading
from urllib.parse import parse_qs, urlsplit

import websockets
from websockets.exceptions import ConnectionClosed

ROUTES = {"/", "/echo", "/close", "/vanish", "/headers"}


def log(*args):
    try:
        print("python-server:", *args, file=sys.stderr, flush=True)
    except Exception:
        pass


def emit(obj):
    data = (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(1, view):]
    except OSError:
        os._exit(1)


def query(path):
    parts = urlsplit(path)
    q = parse_qs(parts.query, keep_blank_values=True)
    return parts.path, {k: v[0] for k, v in q.items()}


def headers_of(request_headers):
    """Request headers as received: lower-case names, repeated headers joined with ", "."""
    out = {}
    for name, value in request_headers.raw_items():
        name = name.lower()
        out[name] = out[name] + ", " + value if name in out else value
    return out


def refusal(status, text):
    body = text.encode("utf-8")
    return (status, [("Content-Type", "text/plain; charset=utf-8"),
                     ("Content-Length", str(len(body))), ("Connection", "close")], body)


async def process_request(path, request_headers):
    route, q = query(path)
    if route == "/reject":
        try:
            status = http.HTTPStatus(int(q.get("status", "403")))
        except ValueError:
            return refusal(http.HTTPStatus.BAD_REQUEST,
                           "status must be a standard HTTP status code\n")
        if status == http.HTTPStatus.SWITCHING_PROTOCOLS:
            return refusal(http.HTTPStatus.BAD_REQUEST, "status must not be 101\n")
        return refusal(status, "rejected by request\n")
    if route not in ROUTES:
        return refusal(http.HTTPStatus.NOT_FOUND,
                       "no such path; try /echo, /close, /vanish, /reject, /headers\n")
    return None  # go on with the WebSocket handshake


async def echo(ws):
    async for message in ws:
        await ws.send(message)


def make_handler(args):
    async def handler(ws, path):
        route, q = query(path)
        if args.events:
            emit({"event": "connection", "path": path, "subprotocol": ws.subprotocol or ""})
        try:
            if route in ("/", "/echo"):
                await echo(ws)
            elif route == "/close":
                await ws.close(int(q.get("code", "1000")), q.get("reason", ""))
            elif route == "/vanish":
                await ws.recv()
                # Gone without a close frame: drop the TCP connection.
                ws.transport.abort()
            elif route == "/headers":
                await ws.send(json.dumps({"path": path,
                                          "headers": headers_of(ws.request_headers),
                                          "subprotocol": ws.subprotocol or ""},
                                         ensure_ascii=False))
                await echo(ws)
        except ConnectionClosed:
            pass
        except Exception as exc:
            log("connection %s: %r" % (path, exc))
            ws.transport.abort()
        await ws.wait_closed()
        if args.events:
            emit({"event": "closed", "path": path, "code": ws.close_code,
                  "reason": ws.close_reason or ""})
    return handler


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--events", action="store_true")
    p.add_argument("--exit-on-stdin-eof", action="store_true")
    args = p.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")

    ssl_ctx = None
    if args.tls_cert:
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.load_cert_chain(args.tls_cert, args.tls_key)

    server = await websockets.serve(
        make_handler(args), args.host, args.port, ssl=ssl_ctx,
        process_request=process_request,
        max_size=None, max_queue=64, compression=None,
        ping_interval=None, ping_timeout=None, close_timeout=10,
        # websockets only negotiates when it has a list of its own; the selector
        # then accepts whatever the client offers first.
        subprotocols=["*"],
        select_subprotocol=lambda client, server: client[0] if client else None,
    )
    emit({"event": "listening", "port": server.sockets[0].getsockname()[1]})

    if args.exit_on_stdin_eof:
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def watch():
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                pass
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(None))

        threading.Thread(target=watch, daemon=True).start()
        await done
        os._exit(0)
    await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
