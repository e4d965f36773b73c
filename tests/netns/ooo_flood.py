#!/usr/bin/env python3
"""Issue 11's one-byte out-of-order flood (a netns-tier test tool, not shipped; needs scapy).

  ooo_flood.py IFNAME SHUNT_MAC SHUNT_IP FAKE_IP PORT CONNECTIONS SEGMENTS

From a made-up address on the TAP's wire (FAKE_IP: the kernel side does not own it, so
this script answers shuntd's ARP requests for it), opens CONNECTIONS TCP connections to
SHUNT_IP:PORT (SYN, SYN-ACK, ACK by hand), then sends on each SEGMENTS one-byte segments
that leave a hole before each byte (sequence numbers RCV.NXT+2, +4, ...): every one is out
of order, and without a buffer budget every one pins a whole packet buffer. Frames are built
with scapy and sent through one AF_PACKET socket. Prints one JSON object: connections
established and segments sent. Every wait is bounded.
"""
import json
import random
import select
import socket
import sys
import time

from scapy.all import ARP, IP, TCP, Ether, Raw, conf

ETH_P_ALL = 0x0003


def main(argv):
    if len(argv) != 8:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ifname, shunt_mac, shunt_ip, fake_ip, port, conns, segments = argv[1:8]
    port, conns, segments = int(port), int(conns), int(segments)
    conf.verb = 0
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    our_mac = s.getsockname()[4].hex(":")
    rng = random.Random(11)
    isn = {20000 + i: rng.getrandbits(32) for i in range(conns)}
    peer_isn = {}

    def eth():
        return Ether(src=our_mac, dst=shunt_mac)

    def handle(frame):
        """Answers ARP for the made-up address; notes SYN-ACKs."""
        p = Ether(frame)
        if p.src != shunt_mac:
            return
        if p.haslayer(ARP) and p[ARP].op == 1 and p[ARP].pdst == fake_ip:
            s.send(bytes(Ether(src=our_mac, dst=p.src) /
                         ARP(op=2, hwsrc=our_mac, psrc=fake_ip, hwdst=p[ARP].hwsrc,
                             pdst=p[ARP].psrc)))
        elif p.haslayer(TCP) and p[IP].dst == fake_ip and p[TCP].flags & 0x12 == 0x12:
            peer_isn[p[TCP].dport] = p[TCP].seq

    def pump(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([s], [], [], 0.05)
            if r:
                handle(s.recv(65535))
            if len(peer_isn) == conns:
                return

    for sport, seq in isn.items():
        s.send(bytes(eth() / IP(src=fake_ip, dst=shunt_ip) /
                     TCP(sport=sport, dport=port, seq=seq, flags="S", window=65535,
                         options=[("MSS", 1460)])))
        if sport % 20 == 0:
            pump(0.01)
    pump(10)
    sent = 0
    for sport, their in peer_isn.items():
        seq = isn[sport] + 1
        ack = (their + 1) & 0xFFFFFFFF
        base = eth() / IP(src=fake_ip, dst=shunt_ip)
        s.send(bytes(base / TCP(sport=sport, dport=port, seq=seq, ack=ack, flags="A",
                                window=65535)))
        for k in range(segments):
            s.send(bytes(base / TCP(sport=sport, dport=port, seq=(seq + 2 + 2 * k) & 0xFFFFFFFF,
                                    ack=ack, flags="PA", window=65535) / Raw(b"x")))
            sent += 1
        pump(0.001)  # ARP, if shuntd asks again
    print(json.dumps({"connections": len(peer_isn), "segments": sent}))
    return 0 if len(peer_isn) == conns else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
