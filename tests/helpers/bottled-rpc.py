#!/usr/bin/env python3
"""A tiny client of bottled's control socket for the tests.

bottled-rpc.py SOCK METHOD [PARAMS-JSON]      print the result (exit 0) or the error (exit 1)
bottled-rpc.py SOCK wait-event TYPE NAME SECS [SINCE]
                                              print events until one of TYPE for NAME (exit 0),
                                              or exit 1 after SECS
bottled-rpc.py SOCK raw LINE                  send LINE as it is and print the reply line
bottled-rpc.py SOCK dump                      print every event bottled still keeps
"""
import json
import socket
import sys
import time


def connect(path, timeout):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(path)
    return sock


def lines(sock):
    buf = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            msg = json.loads(line)
            # events come as notifications {"method": "event", "params": EVENT}
            yield msg["params"] if msg.get("method") == "event" else msg


def main():
    path, method = sys.argv[1], sys.argv[2]
    if method == "raw":
        sock = connect(path, 5)
        sock.sendall(sys.argv[3].encode() + b"\n")
        print(next(lines(sock)))
        return 0
    if method == "dump":
        # every event kept, one JSON line each (the replay comes before the reply)
        sock = connect(path, 10)
        sock.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "events", "params": {"since": 0}}\n')
        for msg in lines(sock):
            if msg.get("id") == 1:
                return 0
            print(json.dumps(msg))
        return 1
    if method == "wait-event":
        kind, name, secs = sys.argv[3], sys.argv[4], float(sys.argv[5])
        since = int(sys.argv[6]) if len(sys.argv) > 6 else 0
        deadline = time.time() + secs
        sock = connect(path, secs)
        sock.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "events",
                                 "params": {"since": since}}).encode() + b"\n")
        try:
            for msg in lines(sock):
                if "seq" in msg:
                    print(json.dumps(msg), flush=True)
                    if msg["type"] == kind and msg["name"] == name:
                        return 0
                sock.settimeout(max(0.01, deadline - time.time()))
        except (socket.timeout, TimeoutError):
            pass
        print("timeout waiting for %s of %s" % (kind, name), file=sys.stderr)
        return 1
    params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    request = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        request["params"] = params
    sock = connect(path, 10)
    sock.sendall(json.dumps(request).encode() + b"\n")
    for msg in lines(sock):
        if msg.get("id") == 1:
            if "error" in msg:
                print(json.dumps(msg["error"]))
                return 1
            print(json.dumps(msg["result"]))
            return 0
    return 1


sys.exit(main())
