#!/usr/bin/env python3
"""Raw requests on shuntd's control socket (docs/control.md), for netns.control_bad.

  control_probe.py SOCKET malformed   a line that is not JSON: one error reply
                                      (code "malformed"), then the daemon closes
  control_probe.py SOCKET oversize    a 70,000-byte line: one "line_too_long" reply, then EOF
  control_probe.py SOCKET hello       a well-formed hello: ok, protocol 1
  control_probe.py SOCKET unknown     an unknown command: "unknown_command", connection kept
                                      (a hello on the same connection then succeeds)

Prints one line describing what happened; exit 0 when the daemon behaved as documented.
Every read is bounded (5 s).
"""
import json
import socket
import sys


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def read_line(s, buf):
    while b"\n" not in buf[0]:
        chunk = s.recv(65536)
        if not chunk:
            return None
        buf[0] += chunk
    line, buf[0] = buf[0].split(b"\n", 1)
    return json.loads(line)


def expect_eof(s, buf):
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return True
            buf[0] += chunk
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def main():
    path, what = sys.argv[1], sys.argv[2]
    s = connect(path)
    buf = [b""]
    if what in ("malformed", "oversize"):
        line = b"{this is not json\n" if what == "malformed" else b"x" * 70000 + b"\n"
        code = "malformed" if what == "malformed" else "line_too_long"
        try:
            s.sendall(line + b'{"v":1,"id":9,"cmd":"hello"}\n')
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon may close while the rest is still being sent
        r = read_line(s, buf)
        if r is None or r.get("ok") is not False or r.get("error", {}).get("code") != code:
            sys.exit(f"{what}: expected one error reply with code {code}, got {r}")
        if not expect_eof(s, buf):
            sys.exit(f"{what}: the daemon kept the connection open after the error")
        if b'"id":9' in buf[0]:
            sys.exit(f"{what}: the request after the bad line was served")
        print(f"{what}: error {code} ({r['error']['message']}), then closed")
    elif what == "hello":
        s.sendall(b'{"v":1,"id":1,"cmd":"hello"}\n')
        r = read_line(s, buf)
        if not r or not r.get("ok") or r["result"].get("protocol") != 1 or r.get("id") != 1:
            sys.exit(f"hello: unexpected reply {r}")
        print(f"hello: {r['result']['daemon']} pid {r['result']['pid']} protocol 1")
    elif what == "unknown":
        s.sendall(b'{"v":1,"id":"a","cmd":"frobnicate"}\n{"v":1,"id":"b","cmd":"hello"}\n')
        r1, r2 = read_line(s, buf), read_line(s, buf)
        if not r1 or r1.get("error", {}).get("code") != "unknown_command" or r1.get("id") != "a":
            sys.exit(f"unknown: expected unknown_command for id a, got {r1}")
        if not r2 or not r2.get("ok") or r2.get("id") != "b":
            sys.exit(f"unknown: the connection did not carry on: {r2}")
        print("unknown: unknown_command, connection kept, next request served")
    else:
        sys.exit(f"usage: {sys.argv[0]} SOCKET malformed|oversize|hello|unknown")


if __name__ == "__main__":
    main()
