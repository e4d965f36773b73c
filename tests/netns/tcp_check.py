#!/usr/bin/env python3
"""Checks for the netns TCP tests (tests/netns/tcp_*.sh). Streams, so 1 GB costs no memory.

  tcp_check.py pattern N < BODY
      BODY is exactly N bytes and byte i is i mod 251 (shuntd's GET /bytes/N).
  tcp_check.py sink-json BYTES SHA256_HEX < RESPONSE_BODY
      RESPONSE_BODY is {"bytes":BYTES,"sha256":"SHA256_HEX"} (shuntd's POST /sink).

Exit 0 when the check passes, 1 with one line saying what differs.
"""
import json
import sys

CHUNK = 251 * 4096


def check_pattern(n):
    block = bytes(range(251)) * 4096 * 2
    got = 0
    stdin = sys.stdin.buffer
    while True:
        data = stdin.read(CHUNK)
        if not data:
            break
        off = got % 251
        if data != block[off:off + len(data)]:
            for i, b in enumerate(data):
                if b != (got + i) % 251:
                    print(f"byte {got + i} is {b}, expected {(got + i) % 251}")
                    return 1
        got += len(data)
        if got > n:
            break
    if got != n:
        print(f"body has {got} bytes, expected {n}")
        return 1
    print(f"tcp_check: {n} bytes, every byte i == i mod 251")
    return 0


def check_sink(n, digest):
    raw = sys.stdin.buffer.read()
    try:
        obj = json.loads(raw)
    except ValueError:
        print(f"not JSON: {raw[:200]!r}")
        return 1
    if obj != {"bytes": n, "sha256": digest}:
        print(f"sink answered {obj}, expected bytes {n} sha256 {digest}")
        return 1
    print(f"tcp_check: /sink counted {n} bytes with the right SHA-256")
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "pattern":
        return check_pattern(int(argv[2]))
    if len(argv) == 4 and argv[1] == "sink-json":
        return check_sink(int(argv[2]), argv[3])
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
