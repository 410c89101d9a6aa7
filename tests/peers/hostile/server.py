#!/usr/bin/env python3
"""A WebSocket server that misbehaves on purpose, for the client's tests. Plain sockets: no
WebSocket library would answer like this.

    server.py [--cert CERT --key KEY]

Prints {"port": N} first, then one JSON line per event: {"request": PATH, "headers": {...}} for
every request it reads, {"close": CODE} when a client's close frame arrives, {"ended": PATH} when a
connection ends. What it does depends on the request path:

    /redirect?to=URL        301 with Location: URL (and nothing else)
    /ext?value=EXTENSION    a valid 101 that also agrees to EXTENSION (never offered by the client)
    /declare?length=N       a valid 101, then a binary frame header declaring N payload bytes, then
                            16 of them, then nothing (the connection is held open for 60 s)
    /silent                 a valid 101, then it never reads again (its receive buffer is small)
    /record                 a valid 101, then it reads and reports close frames
"""
import base64
import hashlib
import json
import socket
import ssl
import struct
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
lock = threading.Lock()


def say(event):
    with lock:
        print(json.dumps(event), flush=True)


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None, None
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return head[0].split(" ")[1], headers


def upgraded(headers, extra=""):
    return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_key(headers.get('sec-websocket-key', ''))}\r\n{extra}\r\n").encode()


def report_closes(conn):
    data = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
        while len(data) >= 2:
            n = data[1] & 0x7F
            h = 2 + (2 if n == 126 else 8 if n == 127 else 0) + (4 if data[1] & 0x80 else 0)
            if n == 126 and len(data) >= 4:
                n = struct.unpack(">H", data[2:4])[0]
            elif n == 127 and len(data) >= 10:
                n = struct.unpack(">Q", data[2:10])[0]
            if len(data) < h + n:
                break
            payload = data[h:h + n]
            if data[1] & 0x80:
                mask = data[h - 4:h]
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if data[0] & 0x0F == 8:
                say({"close": struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005})
            data = data[h + n:]


def serve(conn):
    path = "?"
    try:
        path, headers = read_request(conn)
        if path is None:
            return
        say({"request": path, "headers": headers})
        url = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/redirect":
            conn.sendall(f"HTTP/1.1 301 Moved Permanently\r\nLocation: {query['to']}\r\nContent-Length: 0\r\n\r\n".encode())
            time.sleep(1)
        elif url.path == "/ext":
            conn.sendall(upgraded(headers, f"Sec-WebSocket-Extensions: {query['value']}\r\n"))
            report_closes(conn)
        elif url.path == "/declare":
            length = int(query["length"])
            conn.sendall(upgraded(headers) + bytes([0x82, 127]) + struct.pack(">Q", length) + b"x" * 16)
            conn.settimeout(60)
            report_closes(conn)
        elif url.path == "/silent":
            conn.sendall(upgraded(headers))
            time.sleep(60)
        else:
            conn.sendall(upgraded(headers))
            report_closes(conn)
    except (OSError, ssl.SSLError):
        pass
    finally:
        say({"ended": path})
        try:
            conn.close()
        except OSError:
            pass


def main():
    args = sys.argv[1:]
    context = None
    if "--cert" in args:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args[args.index("--cert") + 1], args[args.index("--key") + 1])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Small buffers, so that /silent fills up soon.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    say({"port": listener.getsockname()[1]})
    while True:
        conn, _ = listener.accept()
        if context is not None:
            try:
                conn = context.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                conn.close()
                continue
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
