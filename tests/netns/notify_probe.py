#!/usr/bin/env python3
"""The service manager's end of sd_notify(3), for netns.notify (docs/service.md).

  notify_probe.py NOTIFY_SOCKET CONTROL_SOCKET OUT.jsonl

Binds a datagram socket at NOTIFY_SOCKET (as systemd does for a Type=notify unit), then
writes one JSON line to OUT per message shuntd sends: {"t": seconds since bind, "msg": text}.
The moment READY=1 arrives, before reading anything else, it connects to CONTROL_SOCKET and
sends a hello: the line {"hello_after_ready": true} (or false with "error") says whether the
daemon already answered there, which it must, READY=1 meaning "serving". Ends after STOPPING=1
plus 0.5 s (anything sent after it is recorded too), or after 90 s.
"""
import json
import os
import socket
import sys
import time


def hello(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
        s.sendall(b'{"v":1,"id":1,"cmd":"hello"}\n')
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                return False, "EOF before the reply"
            buf += chunk
        reply = json.loads(buf.split(b"\n", 1)[0])
        if not reply.get("ok"):
            return False, f"reply not ok: {reply}"
        return True, ""
    except OSError as e:
        return False, f"{type(e).__name__}: {e}"
    finally:
        s.close()


def main():
    notify_path, control_path, out_path = sys.argv[1:4]
    if os.path.exists(notify_path):
        os.unlink(notify_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(notify_path)
    os.chmod(notify_path, 0o666)
    start = time.monotonic()
    deadline = start + 90
    out = open(out_path, "w", buffering=1)
    stop_by = None
    while True:
        now = time.monotonic()
        limit = min(deadline, stop_by) if stop_by else deadline
        if now >= limit:
            break
        sock.settimeout(limit - now)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        text = data.decode("utf-8", "replace")
        out.write(json.dumps({"t": time.monotonic() - start, "msg": text}) + "\n")
        fields = text.split("\n")
        if "READY=1" in fields:
            ok, err = hello(control_path)
            out.write(json.dumps({"hello_after_ready": ok, "error": err}) + "\n")
        if "STOPPING=1" in fields and stop_by is None:
            stop_by = time.monotonic() + 0.5
    out.close()


if __name__ == "__main__":
    main()
