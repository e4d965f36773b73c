#!/usr/bin/env python3
"""A slow reader stalls only its own flow (back-pressure, not loss), against an echo app on
shunt (attached to shuntd, or in-process). Connection S sends BYTES and reads nothing: the echo app can send
back only as fast as S reads, so it stops reading S and S's window closes. Meanwhile
connection F echoes its own BYTES/4 byte-exact within its time limit. Then S starts reading
(and sends the rest): the whole BYTES must come back byte-exact within 30 s, so a flow stalled
at a zero window in both directions recovers at full speed once its reader is back (it once
crawled at about 1.6 KB/s: a dropped zero-window probe byte and ACKs outside the peer's
window). Exits 1 with one line on failure.

Usage: slow_reader.py HOST PORT BYTES
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

    # The slow flow resumes: the rest is sent while everything is read back, byte-exact.
    slow.setblocking(True)
    slow.settimeout(30)  # one timeout for both directions: sendall blocks while the echo lags
    rest_error = []

    def send_rest():
        try:
            slow.sendall(slow_data[sent:])
        except OSError as e:
            rest_error.append(e)

    sender = threading.Thread(target=send_rest, daemon=True)
    resumed = time.monotonic()
    sender.start()
    got = bytearray()
    until = resumed + 30
    while len(got) < len(slow_data) and time.monotonic() < until:
        try:
            chunk = slow.recv(1 << 20)
        except socket.timeout:
            continue
        except OSError as e:
            print(f"FAIL: the stalled flow broke: {e}")
            return 1
        if not chunk:
            print(f"FAIL: the stalled flow was closed by the server after {len(got)} bytes")
            return 1
        got.extend(chunk)
    took = time.monotonic() - resumed
    if rest_error:
        print(f"FAIL: sending the rest of the stalled flow failed: {rest_error[0]}")
        return 1
    if len(got) < len(slow_data):
        print(f"FAIL: the stalled flow returned {len(got)} of {len(slow_data)} bytes in "
              f"{took:.1f} s after its reader came back")
        return 1
    if bytes(got) != slow_data:
        print("FAIL: the stalled flow's echo differs from what it sent")
        return 1
    print(f"stalled flow: all {len(slow_data)} bytes back byte-exact {took:.2f} s after its "
          f"reader came back")
    slow.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
