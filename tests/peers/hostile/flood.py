#!/usr/bin/env python3
"""Hostile WebSocket clients that each send one message that never ends.

    flood.py PORT COUNT SECONDS [FRAGMENT_BYTES]

COUNT connections to ws://127.0.0.1:PORT/ each send a binary frame without FIN, then continuation
frames without FIN, as fast as the server takes them, for at most SECONDS, and stop sending once
the server's close frame arrives (then wait for the server to end the connection). Prints one JSON line per
connection when it ends: {"code": CLOSE_CODE or -1, "end": "fin" | "reset" | "timeout"}, then
{"done": true}. Plain sockets, no WebSocket library: no library would send this.
"""
import json
import os
import select
import socket
import struct
import sys
import threading
import time

HANDSHAKE = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def frame(opcode, payload, fin):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + b"\0\0\0\0" + payload  # a zero mask leaves the payload as it is


def close_code(data):
    i = 0
    while i + 2 <= len(data):
        b0, b1 = data[i], data[i + 1] & 0x7F
        h, n = 2, b1
        if b1 == 126:
            n, h = struct.unpack(">H", data[i + 2:i + 4])[0], 4
        elif b1 == 127:
            n, h = struct.unpack(">Q", data[i + 2:i + 10])[0], 10
        if b0 & 0x0F == 8:
            return struct.unpack(">H", data[i + h:i + h + 2])[0] if n >= 2 and len(data) >= i + h + 2 else -1
        i += h + n
    return -1


def flood(port, seconds, size, results, lock):
    deadline = time.time() + seconds
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(HANDSHAKE)
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    got = head[head.index(b"\r\n\r\n") + 4:]
    pending = frame(2, b"f" * size, False)
    rest = frame(0, b"f" * size, False)
    s.setblocking(False)
    end = "timeout"
    sending = True
    while time.time() < deadline:
        readable, writable, _ = select.select([s], [s] if sending else [], [], 0.2)
        try:
            if readable:
                data = s.recv(65536)
                if not data:
                    end = "fin"
                    break
                got += data
                if close_code(got) != -1:
                    sending = False  # the server refused the message: a client stops there
            if writable and sending:
                sent = s.send(pending)
                pending = pending[sent:] or rest
        except (BlockingIOError, InterruptedError):
            continue
        except BrokenPipeError:
            sending = False  # the server stopped reading: read what it says
        except OSError:
            end = "reset"
            break
    with lock:
        results.append({"code": close_code(got), "end": end})
        print(json.dumps(results[-1]), flush=True)
    s.close()


def main():
    port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 64 * 1024
    results, lock = [], threading.Lock()
    threads = [threading.Thread(target=flood, args=(port, seconds, size, results, lock)) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"done": True}), flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
