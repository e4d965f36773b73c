#!/usr/bin/env python3
"""The kernel's end of netns.tcp_shutdown: a connection that the shunt side must reset when it
is stopped.

  reset_check.py connect IP PORT READY    connect, echo "hi" round trip (shuntd's echo)
  reset_check.py accept IP PORT READY     listen, accept, read "hi" (from shunt-nc)

Then it writes READY and waits up to 20 s: exit 0 when the connection is reset (RST), 1 with
one line otherwise (closed cleanly, timed out, or data).
"""
import socket
import sys


def main(argv):
    if len(argv) != 5 or argv[1] not in ("connect", "accept"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    mode, ip, port, ready = argv[1], argv[2], int(argv[3]), argv[4]
    if mode == "connect":
        conn = socket.create_connection((ip, port), timeout=20)
        conn.sendall(b"hi")
    else:
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((ip, port))
        srv.listen(1)
        srv.settimeout(20)
        with open(ready + ".listening", "w"):
            pass
        conn, _ = srv.accept()
    conn.settimeout(20)
    got = b""
    while len(got) < 2:
        data = conn.recv(2 - len(got))
        if not data:
            print(f"closed before 'hi' came (got {got!r})")
            return 1
        got += data
    if got != b"hi":
        print(f"expected 'hi', got {got!r}")
        return 1
    with open(ready, "w"):
        pass
    try:
        data = conn.recv(100)
    except ConnectionResetError:
        print("reset_check: the connection was reset")
        return 0
    except socket.timeout:
        print("no RST within 20 s: the peer vanished without telling")
        return 1
    print(f"expected an RST, got {'a clean close' if not data else repr(data)}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
