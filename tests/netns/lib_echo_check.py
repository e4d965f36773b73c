#!/usr/bin/env python3
"""The Linux kernel as shunt-echo's client: N TCP connections at once, each sending its own
random bytes and reading them back (byte-exact, with a half-close at the end), then UDP
datagrams echoed one by one. Every socket has a timeout; exits 1 with one line on failure.

Usage: lib_echo_check.py HOST PORT UDP_PORT CONNECTIONS BYTES_PER_CONNECTION
"""
import os
import socket
import sys
import threading
import time


def tcp_echo(host, port, data, results, i):
    try:
        s = socket.create_connection((host, port), timeout=30)
        s.settimeout(60)
        got = bytearray()

        def reader():
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got.extend(chunk)
            except OSError as e:
                results[i] = f"connection {i}: receive failed: {e}"

        t = threading.Thread(target=reader)
        t.start()
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)  # the echo finishes, then closes (EOF for the reader)
        t.join(90)
        s.close()
        if t.is_alive():
            results[i] = f"connection {i}: no EOF within 90 s ({len(got)} of {len(data)} bytes back)"
        elif results[i] is None and bytes(got) != data:
            results[i] = f"connection {i}: {len(got)} bytes back of {len(data)}, not the same bytes"
        elif results[i] is None:
            results[i] = "ok"
    except OSError as e:
        results[i] = f"connection {i}: {e}"


def main():
    host, port, udp_port, conns, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5])
    datas = [os.urandom(size + 97 * i) for i in range(conns)]
    results = [None] * conns
    start = time.monotonic()
    threads = [threading.Thread(target=tcp_echo, args=(host, port, datas[i], results, i))
               for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(150)
    bad = [r for r in results if r != "ok"]
    if bad:
        print(f"FAIL: {len(bad)} of {conns} TCP echo connections: {bad[0]}")
        return 1
    total = sum(len(d) for d in datas)
    secs = time.monotonic() - start
    print(f"tcp: {conns} connections, {total} bytes each way byte-exact in {secs:.2f} s "
          f"({total * 8 / secs / 1e6:.0f} Mbit/s each way)")

    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(2)
    for i in range(50):
        msg = os.urandom(1 + i * 29)  # up to 1422 bytes: one frame each
        u.sendto(msg, (host, udp_port))
        try:
            back, frm = u.recvfrom(65536)
        except socket.timeout:
            print(f"FAIL: udp datagram {i} ({len(msg)} bytes) not echoed within 2 s")
            return 1
        if back != msg or frm != (host, udp_port):
            print(f"FAIL: udp datagram {i}: {len(back)} bytes back from {frm}, not the same")
            return 1
    print("udp: 50 datagrams echoed byte-exact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
