#!/usr/bin/env python3
"""A burst of SYNs to a closed port, counting the RSTs that come back (a netns-tier test tool,
not shipped; needs scapy).

  rst_probe.py IFNAME SHUNT_MAC SHUNT_IP PEER_IP PORT COUNT

Sends COUNT SYNs from PEER_IP (random source ports) to SHUNT_IP:PORT as fast as scapy goes,
listening for RSTs from SHUNT_MAC meanwhile and for 1 s after. Prints one JSON object: sent,
rsts, and the seconds the burst took.
"""
import json
import random
import sys
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, conf, get_if_hwaddr, sendp


def main(argv):
    if len(argv) != 7:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ifname, shunt_mac, shunt_ip, peer_ip, port, count = argv[1:7]
    conf.verb = 0
    rng = random.Random(11)
    our_mac = get_if_hwaddr(ifname)
    sniffer = AsyncSniffer(
        iface=ifname, store=True,
        lfilter=lambda p: (p.haslayer(Ether) and p[Ether].src == shunt_mac and p.haslayer(TCP)
                           and (int(p[TCP].flags) & 0x04) != 0))
    sniffer.start()
    time.sleep(0.5)
    frames = [Ether(src=our_mac, dst=shunt_mac) / IP(src=peer_ip, dst=shunt_ip) /
              TCP(sport=rng.randint(20000, 60000), dport=int(port), flags="S",
                  seq=rng.getrandbits(32)) for _ in range(int(count))]
    t0 = time.monotonic()
    sendp(frames, iface=ifname)
    took = time.monotonic() - t0
    time.sleep(1.0)
    got = sniffer.stop()
    print(json.dumps({"sent": int(count), "rsts": len(got), "seconds": round(took, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
