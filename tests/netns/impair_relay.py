#!/usr/bin/env python3
"""An L2 impairment relay between two interfaces (a netns-tier test tool, not shipped): the
host kernel has no netem, so loss and reordering are made here.

  impair_relay.py IF_A IF_B LOSS_PERCENT REORDER_PERCENT SECONDS [SEED]

Every frame arriving on IF_A is sent out of IF_B and the other way round (AF_PACKET, frames
unchanged), except that IPv4 frames are dropped with probability LOSS_PERCENT and held back
behind the next frame of their direction with probability REORDER_PERCENT (ARP always
passes, so neighbours resolve). Runs for at most SECONDS, then prints one JSON object:
frames relayed, dropped and reordered per direction.
"""
import json
import random
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def main(argv):
    if len(argv) not in (6, 7):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if_a, if_b = argv[1], argv[2]
    loss, reorder, seconds = float(argv[3]) / 100, float(argv[4]) / 100, float(argv[5])
    rng = random.Random(int(argv[6]) if len(argv) == 7 else 7)
    socks = {}
    for name in (if_a, if_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        socks[name] = s
    other = {if_a: if_b, if_b: if_a}
    held = {if_a: None, if_b: None}  # a frame held back, per direction (by ingress)
    stats = {d: {"relayed": 0, "dropped": 0, "reordered": 0} for d in (if_a, if_b)}
    print("impair_relay: ready", file=sys.stderr, flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select(list(socks.values()), [], [], 0.05)
        for name, s in socks.items():
            if s not in ready:
                continue
            for _ in range(64):
                try:
                    frame, addr = s.recvfrom(65535, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own sends, seen on the way out
                st = stats[name]
                out = socks[other[name]]
                ipv4 = len(frame) >= 14 and frame[12:14] == b"\x08\x00"
                if ipv4 and rng.random() < loss:
                    st["dropped"] += 1
                    continue
                if ipv4 and held[name] is None and rng.random() < reorder:
                    held[name] = frame
                    st["reordered"] += 1
                    continue
                out.send(frame)
                st["relayed"] += 1
                if held[name] is not None:
                    out.send(held[name])
                    held[name] = None
                    st["relayed"] += 1
        # A held frame does not wait for ever on an idle direction.
        for name in (if_a, if_b):
            if held[name] is not None and not ready:
                socks[other[name]].send(held[name])
                held[name] = None
                stats[name]["relayed"] += 1
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
