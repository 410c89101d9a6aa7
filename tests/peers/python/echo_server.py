#!/usr/bin/python3
"""Plain WebSocket echo server on Debian's python3-websockets (10.4).

A server we did not write, to prove the test peers (tests/peers/selftest.sh) and
to serve as a reference. Every message is echoed back as it came (text as text,
binary as binary), on any path; a close frame is answered with the same code and
reason (websockets does that by itself).

    /usr/bin/python3 tests/peers/python/echo_server.py --port 0 [--tls-cert C --tls-key K] [--events]

First line on stdout: {"event":"listening","port":N}. With --events it then prints
{"event":"connection","path":P,"subprotocol":S} and
{"event":"closed","path":P,"code":N,"reason":R} for each connection (code as received
from the client, 1006 when no close frame came). Read stdout if you ask for --events.
With --exit-on-stdin-eof it stops when its stdin closes.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
import threading

import websockets
from websockets.exceptions import ConnectionClosed


def emit(obj):
    try:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        os._exit(1)


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--events", action="store_true")
    p.add_argument("--exit-on-stdin-eof", action="store_true")
    args = p.parse_args()

    ssl_ctx = None
    if args.tls_cert:
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.load_cert_chain(args.tls_cert, args.tls_key)

    async def handler(ws, path):
        if args.events:
            emit({"event": "connection", "path": path, "subprotocol": ws.subprotocol or ""})
        try:
            async for message in ws:
                await ws.send(message)
        except ConnectionClosed:
            pass
        await ws.wait_closed()
        if args.events:
            emit({"event": "closed", "path": path, "code": ws.close_code,
                  "reason": ws.close_reason or ""})

    server = await websockets.serve(
        handler, args.host, args.port, ssl=ssl_ctx,
        max_size=None, max_queue=64, compression=None,
        ping_interval=None, ping_timeout=None, close_timeout=10,
        # Accept whatever subprotocol the client offers first.
        subprotocols=["*"], select_subprotocol=lambda client, server: client[0] if client else None,
    )
    port = server.sockets[0].getsockname()[1]
    emit({"event": "listening", "port": port})

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
