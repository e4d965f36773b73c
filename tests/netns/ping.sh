#!/usr/bin/env bash
# netns.ping: the kernel pings shuntd at payload sizes 0..65507 bytes. Proves ARP resolution
# (the kernel learns shuntd's MAC), ICMP echo, IPv4 reassembly of the kernel's fragments and
# fragmentation of shuntd's replies (sizes above 1472 cross the 1500-byte MTU both ways).
# Usage: ping.sh SHUNTD
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: ping.sh SHUNTD}"
netns_init ping 240
require_cmds ping
shuntd_start "$shuntd"
peer_up

sizes=(0 56 1472 1473 2000 4000 8000 65507)
requests=0
fragmented=0 # requests whose IP datagram exceeds the MTU: reassembled by shuntd, reply fragmented
for size in "${sizes[@]}"; do
    out="$(in_ns ping -n -c 3 -W 2 -s "$size" "$SHUNT_IP" 2>&1)" || true
    got="$(ping_received "$out")"
    requests=$((requests + 3))
    ((size + 28 > 1500)) && fragmented=$((fragmented + 3))
    if [[ "$got" != 3 ]]; then
        printf '%s\n' "$out" >&2
        fail "ping -s $size: expected 3 replies, got $got"
    fi
    log "ping -s $size: 3/3 replies"
done

mac="$(neigh_mac "$SHUNT_IP")"
[[ "$mac" == "$SHUNT_MAC" ]] ||
    fail "expected the kernel's neighbour entry for $SHUNT_IP to be shuntd's MAC $SHUNT_MAC, saw '${mac:-none}'"
log "kernel neighbour table: $SHUNT_IP is at $mac"

replies="$(wait_stat_ge stack.icmp_echo_replies "$requests")" ||
    fail "expected stack.icmp_echo_replies >= $requests, stats say $replies"
reasm="$(wait_stat_ge stack.frag_reassembled "$fragmented")" ||
    fail "expected stack.frag_reassembled >= $fragmented (one per ping above 1472 bytes), stats say $reasm"
fragtx="$(wait_stat_ge stack.frag_tx "$fragmented")" ||
    fail "expected stack.frag_tx >= $fragmented (replies above the MTU go out fragmented), stats say $fragtx"
log "stats: icmp_echo_replies=$replies frag_reassembled=$reasm frag_tx=$fragtx"
# The buffer pool after fragmenting and reassembling: no buffer fault, and buffers came home.
for fault in bad_links double_frees saturated_refs; do
    v="$(stat_get "pool.$fault")"
    [[ "$v" == 0 ]] || fail "expected pool.$fault 0 after the pings, stats say $v"
done
cap="$(stat_get pool.capacity)"
avail="$(stat_get pool.available)"
((cap > 0 && avail > 0 && avail <= cap)) ||
    fail "expected 0 < pool.available <= pool.capacity, stats say $avail of $cap"
log "pool: $avail of $cap buffers free, no buffer faults"
echo "PASS: netns.ping"
