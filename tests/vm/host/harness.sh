#!/usr/bin/env bash
# Host-side check for guest/harness.sh: wire.pcap (QEMU's filter-dump of our NIC's netdev)
# must hold the peer's ARP request for 10.0.2.9. Plain od, no capture tools needed.
#   host/harness.sh OUT_DIR
set -euo pipefail
pcap="$1/wire.pcap"
[[ -s "$pcap" ]] || { echo "FAIL: $pcap is missing or empty" >&2; exit 1; }
hex="$(od -An -tx1 -v "$pcap" | tr -d ' \n')"
# Ethernet broadcast from 52:54:00:12:34:57, type ARP; ARP request (opcode 1) from
# 52:54:00:12:34:57 / 10.0.2.2 for 10.0.2.9, any target hardware address (busybox's arping
# puts the broadcast address there, the kernel zeros).
request="ffffffffffff525400123457""0806""0001080006040001""525400123457""0a000202""[0-9a-f]{12}""0a000209"
if ! [[ "$hex" =~ $request ]]; then
    echo "FAIL: $pcap ($(stat -c %s "$pcap") bytes) holds no ARP request from 52:54:00:12:34:57 (10.0.2.2) for 10.0.2.9" >&2
    exit 1
fi
echo "wire.pcap holds the peer's ARP request for 10.0.2.9 ($(stat -c %s "$pcap") bytes captured)"
