#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/ from the golden frames of the wire tests.

Each seed is one captured frame (or the part of it that target parses) from
tests/unit/wire/golden_frames.hpp and tcp_frames.hpp, named after its array. The udp and tcp
targets take the pseudo header's source and destination as their first 8 bytes. Run it again
after adding golden frames; the output is deterministic.
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
HEADERS = ["tests/unit/wire/golden_frames.hpp", "tests/unit/wire/tcp_frames.hpp"]
ARRAY = re.compile(r"std::array<uint8_t, (\d+)> (k\w+) = \{([^}]*)\};")


def frames():
    for header in HEADERS:
        for size, name, body in ARRAY.findall((ROOT / header).read_text()):
            data = bytes(int(b, 16) for b in re.findall(r"0x[0-9a-fA-F]{2}", body))
            assert len(data) == int(size), name
            yield name, data


def seeds():
    for name, f in frames():
        yield "ethernet", name, f
        ethertype = int.from_bytes(f[12:14], "big")
        if ethertype == 0x0806:
            yield "arp", name, f[14:]
        if ethertype != 0x0800:
            continue
        ip = f[14:]
        yield "ipv4", name, ip
        ihl = (ip[0] & 0x0F) * 4
        total = int.from_bytes(ip[2:4], "big")
        frag_offset = int.from_bytes(ip[6:8], "big") & 0x1FFF
        proto, addrs, body = ip[9], ip[12:20], ip[ihl:total]
        if frag_offset != 0:
            continue
        if proto == 1:
            yield "icmpv4", name, body
        elif proto == 17:
            yield "udp", name, addrs + body
        elif proto == 6:
            yield "tcp", name, addrs + body


def main():
    count = 0
    for target, name, data in seeds():
        out = ROOT / "fuzz" / "corpus" / target / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        count += 1
    print(f"wrote {count} seeds")


if __name__ == "__main__":
    main()
