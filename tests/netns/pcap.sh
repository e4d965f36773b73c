#!/usr/bin/env bash
# netns.pcap: tcpdump records the wire (the TAP) while the kernel pings shuntd (plain and
# fragmented), runs UDP echoes (16 and 3000 bytes) and sends UDP to a closed port; then tshark,
# an independent decoder, must find shuntd's frames well formed: no malformed packet, no expert
# warning or error, IPv4/ICMP/UDP checksums verified good, and the expected replies present
# (gratuitous ARP at start, ARP reply, echo replies incl. fragments, UDP echoes, port unreachable).
# The TAP is created before shuntd starts here, so this also covers attaching to an existing TAP.
# Usage: pcap.sh SHUNTD UDP_ECHO_CHECK
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: pcap.sh SHUNTD UDP_ECHO_CHECK}"
checker="${2:?usage: pcap.sh SHUNTD UDP_ECHO_CHECK}"
[[ -x "$checker" ]] || fail "udp_echo_check '$checker' is missing or not executable"
netns_init pcap 240
require_cmds ping tcpdump tshark
pcap="$SHUNT_TMP/wire.pcap"

in_ns ip tuntap add dev "$SHUNT_TAP" mode tap
in_ns ip link set "$SHUNT_TAP" up
in_ns tcpdump -i "$SHUNT_TAP" -n -U -s 0 -w "$pcap" </dev/null >"$SHUNT_TMP/tcpdump.log" 2>&1 &
tcpdump_pid=$!
SHUNT_BG_PIDS+=("$tcpdump_pid")
for ((i = 0; i < 100; i++)); do
    grep -qs "listening on" "$SHUNT_TMP/tcpdump.log" && break
    pid_alive "$tcpdump_pid" || fail "tcpdump exited: $(cat "$SHUNT_TMP/tcpdump.log")"
    sleep 0.1
done
grep -q "listening on" "$SHUNT_TMP/tcpdump.log" || fail "tcpdump did not start listening within 10 s"

shuntd_start "$shuntd"
peer_up
out="$(in_ns ping -n -c 3 -W 2 "$SHUNT_IP" 2>&1)" || true
[[ "$(ping_received "$out")" == 3 ]] || fail "expected 3 ping replies: $out"
out="$(in_ns ping -n -c 2 -W 2 -s 3000 "$SHUNT_IP" 2>&1)" || true
[[ "$(ping_received "$out")" == 2 ]] || fail "expected 2 replies to 3000-byte pings: $out"
in_ns "$checker" --dst "$SHUNT_IP" --sizes 16,3000 --seed "$$" --timeout-ms 1000 --tries 3 ||
    fail "UDP echo of 16 and 3000 bytes failed"
in_ns "$checker" --dst "$SHUNT_IP" --expect-refused 9999 --timeout-ms 1000 --tries 3 ||
    fail "UDP to closed port 9999 was not refused"
sleep 0.5
stop_pid "$tcpdump_pid"
log "capture: $(tshark -r "$pcap" 2>/dev/null | wc -l) frames"

tshark_opts=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.defragment:TRUE)
mine="eth.src == $SHUNT_MAC"
failures=0
problem() {
    printf 'PROBLEM: %s\n' "$*" >&2
    failures=$((failures + 1))
}
# tshark_lines FILTER: the decoded summary lines matching FILTER; fails if tshark does.
tshark_lines() {
    local out rc=0
    out="$(tshark -r "$pcap" "${tshark_opts[@]}" -Y "$1" 2>"$SHUNT_TMP/tshark.err")" || rc=$?
    ((rc == 0)) || fail "tshark -Y '$1' failed ($rc): $(grep -v 'Running as user' "$SHUNT_TMP/tshark.err")"
    printf '%s' "$out"
}
tshark_count() {
    local out
    out="$(tshark_lines "$1")"
    if [[ -z "$out" ]]; then echo 0; else printf '%s\n' "$out" | wc -l; fi
}
# expect_at_least N FILTER WHAT
expect_at_least() {
    local n
    n="$(tshark_count "$2")"
    if ((n < $1)); then
        problem "expected at least $1 $3 ($2), found $n"
    else
        log "ok: $n $3"
    fi
}

bad="$(tshark_lines "$mine && (_ws.malformed || _ws.expert.severity >= 0x00600000)")"
if [[ -n "$bad" ]]; then
    problem "tshark reports malformed packets or warnings in shuntd's frames:"
    printf '%s\n' "$bad" >&2
    tshark -r "$pcap" "${tshark_opts[@]}" -Y "$mine && (_ws.malformed || _ws.expert.severity >= 0x00600000)" \
        -V 2>/dev/null | grep -iE 'expert|malformed|checksum' | head -n 20 >&2 || true
else
    log "ok: no malformed packet, warning or error in shuntd's frames"
fi

ip_total="$(tshark_count "$mine && ip")"
ip_good="$(tshark_count "$mine && ip && ip.checksum.status == 1")"
((ip_total > 0)) || problem "no IPv4 frames from shuntd in the capture"
((ip_good == ip_total)) || problem "only $ip_good of $ip_total IPv4 headers from shuntd have a good checksum"
icmp_total="$(tshark_count "$mine && icmp")"
icmp_good="$(tshark_count "$mine && icmp && icmp.checksum.status == 1")"
((icmp_good == icmp_total)) || problem "only $icmp_good of $icmp_total ICMP messages from shuntd have a good checksum"
udp_total="$(tshark_count "$mine && udp && !icmp")"
udp_good="$(tshark_count "$mine && udp && !icmp && udp.checksum.status == 1")"
((udp_good == udp_total)) || problem "only $udp_good of $udp_total UDP datagrams from shuntd have a good checksum"
log "checksums: IPv4 $ip_good/$ip_total good, ICMP $icmp_good/$icmp_total good, UDP $udp_good/$udp_total good"

expect_at_least 1 "$mine && arp.isgratuitous" "gratuitous ARP from shuntd at start"
expect_at_least 1 "$mine && arp.opcode == 2 && arp.src.proto_ipv4 == $SHUNT_IP" "ARP reply from shuntd"
expect_at_least 5 "$mine && icmp.type == 0 && ip.src == $SHUNT_IP" "ICMP echo replies"
expect_at_least 2 "$mine && ip.flags.mf == 1" "non-final IPv4 fragments from shuntd (3000-byte replies)"
expect_at_least 2 "$mine && udp.srcport == 7 && !icmp" "UDP echo replies from port 7"
expect_at_least 1 "$mine && icmp.type == 3 && icmp.code == 3 && udp.dstport == 9999" \
    "ICMP port unreachable for port 9999"

((failures == 0)) || fail "$failures check(s) of shuntd's frames failed (see PROBLEM lines)"
echo "PASS: netns.pcap"
