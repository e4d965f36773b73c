#!/usr/bin/env bash
# netns.martian (issue 11): spoofed martian sources from the kernel side of the TAP (scapy):
# ICMP echo, TCP SYN and UDP echo from 0.0.0.0, 0.1.2.3, 127.0.0.1, shuntd's own address and
# 240.0.0.1, the same from the limited and the directed broadcast, and ARP requests whose
# sender is 127.0.0.1 or shuntd's own address. shuntd must answer none of them, count each
# (drops.ipv4_martian_source, drops.ipv4_bad_source, drops.arp_martian_source), and still
# answer a real peer.
# SHUNT_MARTIAN_ARGS=--accept-martians runs shuntd without the check (the test must fail).
# Usage: martian.sh SHUNTD
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: martian.sh SHUNTD}"
here="$(dirname "${BASH_SOURCE[0]}")"
require_cmds ping
# Debian's python3-scapy lives in the system interpreter, which need not be the first python3.
py=""
for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import scapy.all' 2>/dev/null; then
        py="$cand"
        break
    fi
done
[[ -n "$py" ]] || fail "scapy not found (python3-scapy; scripts/install-deps.sh installs it)"
netns_init martian 60
# shellcheck disable=SC2086
shuntd_start "$shuntd" ${SHUNT_MARTIAN_ARGS:-}
peer_up

in_ns "$py" "$here/martian_probe.py" "$SHUNT_TAP" "$SHUNT_MAC" "$SHUNT_IP" 10.77.0.255 \
    "$SHUNT_PEER_IP" >"$SHUNT_TMP/probe.json" 2>"$SHUNT_TMP/probe.err" ||
    fail "martian_probe.py failed: $(tail -n 5 "$SHUNT_TMP/probe.err")"
log "probe: $(cat "$SHUNT_TMP/probe.json")"
read -r martian bcast arp replies control < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["sent"]
print(s["ipv4_martian"], s["ipv4_broadcast"], s["arp"], len(d["replies"]), d["control_replies"])
' "$SHUNT_TMP/probe.json")
((control == 1)) || fail "the control echo from $SHUNT_PEER_IP got $control replies (the capture works?)"
((replies == 0)) || fail "shuntd answered martian sources: $(cat "$SHUNT_TMP/probe.json")"

wait_stats_refresh
got_martian="$(stat_get drops.ipv4_martian_source)"
got_bcast="$(stat_get drops.ipv4_bad_source)"
got_arp="$(stat_get drops.arp_martian_source)"
log "counted: ipv4_martian_source $got_martian, ipv4_bad_source $got_bcast, arp_martian_source $got_arp"
((got_martian == martian)) || fail "drops.ipv4_martian_source is $got_martian, expected $martian"
((got_bcast == bcast)) || fail "drops.ipv4_bad_source is $got_bcast, expected $bcast"
((got_arp == arp)) || fail "drops.arp_martian_source is $got_arp, expected $arp"
((got_tcp = $(stat_get drops.tcp_no_socket) + $(stat_get drops.tcp_bad_address), got_tcp == 0)) ||
    fail "a martian reached TCP ($got_tcp)"

out="$(in_ns ping -c 3 -i 0.2 -W 1 "$SHUNT_IP" 2>&1)" || true
(($(ping_received "$out") == 3)) || fail "a real peer is not answered after the martians: $out"
log "a real peer still gets its 3 echo replies"
echo "PASS: netns.martian"
