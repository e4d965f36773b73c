#!/usr/bin/env python3
"""Clients that ask for huge bodies and never read (a netns-tier test tool, not shipped).

  slow_readers.py HOST PORT CONNECTIONS BYTES HOLD_SECONDS

Opens CONNECTIONS TCP connections with a tiny receive buffer (SO_RCVBUF 2048, set before
connect so the window stays small), sends each "GET /bytes/BYTES", and then reads nothing:
their windows close and the server's send queues fill. After HOLD_SECONDS (bounded), reports
how many were reset by the server (a recv that fails with ECONNRESET) as one JSON object.
"""
import errno
import json
import socket
import sys
import time


def main(argv):
    if len(argv) != 6:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    host, port, conns, nbytes, hold = argv[1], int(argv[2]), int(argv[3]), int(argv[4]), float(argv[5])
    socks = []
    for _ in range(conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        s.settimeout(5)
        s.connect((host, port))
        s.sendall(f"GET /bytes/{nbytes} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        socks.append(s)
    print(f"slow_readers: {conns} connected", file=sys.stderr, flush=True)
    time.sleep(hold)
    reset = 0
    for s in socks:
        # Whatever is buffered is read now; a reset connection reports ECONNRESET once the
        # buffered bytes are gone (bounded: the socket is non-blocking).
        s.setblocking(False)
        try:
            for _ in range(10000):
                if not s.recv(65536):
                    break
        except BlockingIOError:
            pass
        except OSError as e:
            if e.errno == errno.ECONNRESET:
                reset += 1
        s.close()
    print(json.dumps({"connections": conns, "reset": reset}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
