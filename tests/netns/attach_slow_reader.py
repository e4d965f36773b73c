#!/usr/bin/env python3
"""A slow reader stalls only its own flow (issue 13: back-pressure, not loss), against an echo
app attached to shuntd. Connection S sends BYTES and reads nothing: the echo app can send
back only as fast as S reads, so it stops reading S and S's window closes. Meanwhile
connection F echoes its own BYTES/4 byte-exact within its time limit. Then S reads for 3 s:
it is still open and what comes back is an exact prefix of what it sent. (Reading S to the
end is not asserted: after such a stall the flow recovers only very slowly, in-process as
attached; see docs/libshunt.md.) Exits 1 with one line on failure.

Usage: attach_slow_reader.py HOST PORT BYTES
"""
import os
import socket
import sys
import threading
import time


def echo_all(host, port, data, timeout):
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(timeout)
    got = bytearray()

    def reader():
        while len(got) < len(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            got.extend(chunk)

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    t.join(timeout)
    s.close()
    return bytes(got)


def main():
    host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    slow_data = os.urandom(size)
    slow = socket.create_connection((host, port), timeout=10)
    slow.setblocking(False)
    sent = 0
    stalled_at = None
    deadline = time.monotonic() + 20
    # Send without reading until nothing more is taken for 1 s: the flow is stalled.
    while time.monotonic() < deadline:
        try:
            n = slow.send(slow_data[sent:sent + 65536])
            sent += n
            stalled_at = None
            if sent == len(slow_data):
                break
        except BlockingIOError:
            if stalled_at is None:
                stalled_at = time.monotonic()
            elif time.monotonic() - stalled_at > 1.0:
                break
            time.sleep(0.01)
    if sent == len(slow_data):
        print(f"FAIL: all {sent} bytes went in without reading: raise BYTES to stall the flow")
        return 1
    print(f"slow flow stalled after {sent} of {len(slow_data)} bytes sent, none read")

    fast_data = os.urandom(size // 4)
    start = time.monotonic()
    back = echo_all(host, port, fast_data, 30)
    if back != fast_data:
        print(f"FAIL: the other flow got {len(back)} of {len(fast_data)} bytes back, or not the same")
        return 1
    print(f"other flow: {len(fast_data)} bytes echoed byte-exact in "
          f"{time.monotonic() - start:.2f} s while the slow one stays stalled")

    # The slow flow is still open (stalled, not reset) and what it echoed so far is exactly a
    # prefix of what it sent: read for up to 3 s.
    slow.setblocking(True)
    slow.settimeout(0.5)
    got = bytearray()
    until = time.monotonic() + 3
    while time.monotonic() < until:
        try:
            chunk = slow.recv(65536)
        except socket.timeout:
            continue
        except OSError as e:
            print(f"FAIL: the stalled flow broke: {e}")
            return 1
        if not chunk:
            print("FAIL: the stalled flow was closed by the server")
            return 1
        got.extend(chunk)
    if not got or bytes(got) != slow_data[:len(got)]:
        print(f"FAIL: the stalled flow returned {len(got)} bytes, not a prefix of what it sent")
        return 1
    print(f"stalled flow: open, {len(got)} bytes back so far, an exact prefix of what it sent")
    slow.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
