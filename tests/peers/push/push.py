#!/usr/bin/env python3
"""What another 1C session does with HTTPСоединение, from a process of its own: one request to the
add-in's push endpoint, the answer printed as one JSON line {"status": N, "body": "..."}.

    push.py URL [--method POST] [--secret S | --secret-header S] [--binary HEX] [--body TEXT]
            [--raw-body HEX] [--repeat N]

--binary sends HEX as application/octet-stream; --raw-body sends HEX as text/plain (for bodies that
are not UTF-8); --repeat sends the same request N times and prints one line each.
"""
import argparse
import json
import urllib.error
import urllib.request


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--method", default="POST")
    p.add_argument("--secret")
    p.add_argument("--secret-header")
    p.add_argument("--body", default="")
    p.add_argument("--binary")
    p.add_argument("--raw-body")
    p.add_argument("--repeat", type=int, default=1)
    a = p.parse_args()
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    data = a.body.encode("utf-8")
    if a.binary is not None:
        headers["Content-Type"] = "application/octet-stream"
        data = bytes.fromhex(a.binary)
    if a.raw_body is not None:
        data = bytes.fromhex(a.raw_body)
    if a.secret is not None:
        headers["Authorization"] = "Bearer " + a.secret
    if a.secret_header is not None:
        headers["X-Push-Secret"] = a.secret_header
    for _ in range(a.repeat):
        request = urllib.request.Request(a.url, data=None if a.method == "GET" else data, headers=headers, method=a.method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                print(json.dumps({"status": response.status, "body": response.read().decode("utf-8")}), flush=True)
        except urllib.error.HTTPError as error:
            print(json.dumps({"status": error.code, "body": error.read().decode("utf-8", "replace")}), flush=True)


if __name__ == "__main__":
    main()
