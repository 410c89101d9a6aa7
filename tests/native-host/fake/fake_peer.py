#!/usr/bin/python3
"""A stand-in that speaks tests/peers/PROTOCOL.md without any WebSocket: for the harness's
own test of the Peer class (spawn, events, timeouts, kill)."""
import hashlib
import json
import sys
import time


def emit(o):
    sys.stdout.write(json.dumps(o) + "\n")
    sys.stdout.flush()


args = sys.argv[1:]
url = args[args.index("--url") + 1] if "--url" in args else ""
if url.startswith("fail:"):
    emit({"event": "error", "message": "cannot connect to " + url})
    sys.exit(1)
if url.startswith("hang:"):
    time.sleep(3600)
emit({"event": "open", "subprotocol": ""})
print("diagnostic on stderr", file=sys.stderr, flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    if op == "send" and "text" in cmd:
        b = cmd["text"].encode()
        emit({"event": "message", "type": "text", "length": len(b), "sha256": hashlib.sha256(b).hexdigest(), "data": cmd["text"]})
        emit({"event": "sent", "count": 1})
    elif op == "send_many":
        emit({"event": "sent", "count": cmd["count"]})
    elif op == "close":
        emit({"event": "close", "code": cmd.get("code", 1000), "reason": cmd.get("reason", "")})
        sys.exit(0)
    elif op == "quit":
        sys.exit(0)
    elif op == "sleep":
        time.sleep(cmd["seconds"])
emit({"event": "close", "code": 1000, "reason": "eof"})
