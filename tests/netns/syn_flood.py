#!/usr/bin/env python3
"""Sends a SYN flood through an AF_PACKET socket (a netns-tier test tool, not shipped).

  syn_flood.py IFNAME DST_MAC SRC_NET DST_IP DST_PORT COUNT [SEED]

Each SYN comes from a random address of SRC_NET (A.B.C.0/24 form: hosts .64-.254, which nobody
answers for) and a random port, with correct IPv4 and TCP checksums and the options a Linux
SYN carries (MSS, SACK-permitted, timestamps, window scale). Prints how many were sent.
"""
import random
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
    if len(argv) not in (7, 8):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ifname, dst_mac, src_net, dst_ip, dst_port, count = argv[1:7]
    rng = random.Random(int(argv[7]) if len(argv) == 8 else 1)
    dst_mac_b = bytes.fromhex(dst_mac.replace(":", ""))
    dst = socket.inet_aton(dst_ip)
    net = src_net.rsplit(".", 1)[0]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    src_mac = s.getsockname()[4]
    opts = bytes([2, 4, 0x05, 0xB4, 4, 2, 8, 10]) + b"\0" * 8 + bytes([1, 3, 3, 7])
    sent = 0
    for i in range(int(count)):
        src = socket.inet_aton(f"{net}.{rng.randint(64, 254)}")
        sport = rng.randint(1024, 65535)
        seq = rng.getrandbits(32)
        tcp = struct.pack("!HHIIBBHHH", sport, int(dst_port), seq, 0, (20 + len(opts)) // 4 << 4,
                          0x02, 64240, 0, 0) + opts
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xFFFF, 0x4000, 64, 6, 0,
                         src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        s.send(dst_mac_b + src_mac + b"\x08\x00" + ip + tcp)
        sent += 1
    print(f"syn_flood: sent {sent} SYNs to {dst_ip}:{dst_port} from {net}.64-254")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
