#!/usr/bin/env python3
"""In-window RSTs at a live connection (a netns-tier test tool, not shipped; needs scapy).

  challenge_probe.py IFNAME SHUNT_MAC SHUNT_IP PORT COUNT

Opens a kernel TCP connection to SHUNT_IP:PORT (echo), learns its initial sequence number
from the SYN on the wire, then sends COUNT RSTs inside the window but not at RCV.NXT (RFC 5961
§3.2: each asks for a challenge ACK) as fast as scapy goes. Counts the ACKs shuntd sends on
that connection meanwhile, then checks the connection still works (an echo round trip).
Prints one JSON object: sent, challenge_acks, seconds, echo_ok.
"""
import json
import socket
import sys
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, conf, get_if_hwaddr, sendp


def main(argv):
    if len(argv) != 6:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ifname, shunt_mac, shunt_ip, port, count = argv[1:6]
    port, count = int(port), int(count)
    conf.verb = 0
    our_mac = get_if_hwaddr(ifname)
    syns = AsyncSniffer(iface=ifname, store=True,
                        lfilter=lambda p: p.haslayer(TCP) and p[TCP].dport == port and
                        int(p[TCP].flags) & 0x12 == 0x02)
    syns.start()
    time.sleep(0.5)
    s = socket.create_connection((shunt_ip, port), timeout=5)
    time.sleep(0.3)
    got = syns.stop()
    if not got:
        print("challenge_probe: did not see our SYN", file=sys.stderr)
        return 1
    syn = got[-1]
    sport, isn, src_ip = syn[TCP].sport, syn[TCP].seq, syn[IP].src
    acks = AsyncSniffer(iface=ifname, store=True,
                        lfilter=lambda p: (p.haslayer(Ether) and p[Ether].src == shunt_mac and
                                           p.haslayer(TCP) and p[TCP].dport == sport and
                                           int(p[TCP].flags) & 0x17 == 0x10 and
                                           len(p[TCP].payload) == 0))
    acks.start()
    time.sleep(0.5)
    frames = [Ether(src=our_mac, dst=shunt_mac) / IP(src=src_ip, dst=shunt_ip) /
              TCP(sport=sport, dport=port, flags="R", seq=(isn + 1 + 100 + i) & 0xFFFFFFFF)
              for i in range(count)]
    t0 = time.monotonic()
    sendp(frames, iface=ifname)
    took = time.monotonic() - t0
    time.sleep(0.3)
    challenge = acks.stop()
    echo_ok = False
    try:
        s.sendall(b"still here")
        data = b""
        while len(data) < 10:
            chunk = s.recv(64)
            if not chunk:
                break
            data += chunk
        echo_ok = data == b"still here"
    except OSError as e:
        print(f"challenge_probe: echo after the RSTs failed: {e}", file=sys.stderr)
    s.close()
    print(json.dumps({"sent": count, "challenge_acks": len(challenge), "seconds": round(took, 3),
                      "echo_ok": echo_ok}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
