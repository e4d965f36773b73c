#!/usr/bin/env python3
"""Spoofed martian sources at shuntd (a netns-tier test tool, not shipped; needs scapy).

  martian_probe.py IFNAME SHUNT_MAC SHUNT_IP DIRECTED_BCAST PEER_IP

From the kernel side of the TAP, sends shuntd ICMP echo requests, TCP SYNs (port 7) and UDP
datagrams (port 7, echo) from each martian source: 0.0.0.0, 0.1.2.3, 127.0.0.1, shuntd's own
address, 240.0.0.1 (martians proper), 255.255.255.255 and the subnet's directed broadcast
(refused as bad sources), plus ARP requests whose sender is 127.0.0.1 or shuntd's own
address. Then, as a control that the listening works, one echo request from PEER_IP (the
kernel side's real address). Listens meanwhile for every frame from SHUNT_MAC; prints one
JSON object: what was sent per kind, the control's echo replies, and every other frame
shuntd sent (its ARP request for PEER_IP aside): there must be none.
"""
import json
import sys
import time

from scapy.all import ARP, ICMP, IP, TCP, UDP, AsyncSniffer, Ether, conf, get_if_hwaddr, sendp


def main(argv):
    if len(argv) != 6:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ifname, shunt_mac, shunt_ip, bcast, peer_ip = argv[1:6]
    conf.verb = 0
    our_mac = get_if_hwaddr(ifname)
    martians = ["0.0.0.0", "0.1.2.3", "127.0.0.1", shunt_ip, "240.0.0.1"]
    broadcasts = ["255.255.255.255", bcast]
    sniffer = AsyncSniffer(iface=ifname, store=True,
                           lfilter=lambda p: p.haslayer(Ether) and p[Ether].src == shunt_mac)
    sniffer.start()
    time.sleep(0.5)  # the sniffer's socket is open before the first probe leaves
    frames = []
    for i, src in enumerate(martians + broadcasts):
        eth = Ether(src=our_mac, dst=shunt_mac)
        frames.append(eth / IP(src=src, dst=shunt_ip) / ICMP(type=8, id=0x4D, seq=i) / (b"m" * 16))
        frames.append(eth / IP(src=src, dst=shunt_ip) / TCP(sport=40000 + i, dport=7, flags="S"))
        frames.append(eth / IP(src=src, dst=shunt_ip) / UDP(sport=41000 + i, dport=7) / b"spoof")
    for sender in ["127.0.0.1", shunt_ip]:
        frames.append(Ether(src=our_mac, dst="ff:ff:ff:ff:ff:ff") /
                      ARP(op=1, hwsrc=our_mac, psrc=sender, pdst=shunt_ip))
    sendp(frames, iface=ifname)
    time.sleep(0.5)
    sendp(Ether(src=our_mac, dst=shunt_mac) / IP(src=peer_ip, dst=shunt_ip) /
          ICMP(type=8, id=0x4E, seq=1) / (b"c" * 16), iface=ifname)
    time.sleep(1.5)  # time for any answer to come back
    got = sniffer.stop()

    def is_control(p):
        if p.haslayer(ICMP) and p[ICMP].type == 0 and p[ICMP].id == 0x4E:
            return True
        return p.haslayer(ARP) and p[ARP].op == 1 and p[ARP].pdst == peer_ip

    print(json.dumps({
        "sent": {"ipv4_martian": 3 * len(martians), "ipv4_broadcast": 3 * len(broadcasts),
                 "arp": 2},
        "control_replies": sum(1 for p in got if p.haslayer(ICMP) and p[ICMP].id == 0x4E),
        "replies": [p.summary() for p in got if not is_control(p)],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
