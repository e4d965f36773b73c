#!/usr/bin/env bash
# netns.udp_echo: a kernel UDP socket sends every payload size from 0 to 1472 bytes, then 8000
# and 65507 (the largest UDP datagram: 45 fragments each way), of seeded pseudo-random bytes to
# shuntd's echo server on port 7 and checks each echo byte for byte. Then UDP to a closed port
# must come back as ICMP port unreachable, which the kernel reports as ECONNREFUSED.
# Usage: udp_echo.sh SHUNTD UDP_ECHO_CHECK
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: udp_echo.sh SHUNTD UDP_ECHO_CHECK}"
checker="${2:?usage: udp_echo.sh SHUNTD UDP_ECHO_CHECK}"
[[ -x "$checker" ]] || fail "udp_echo_check '$checker' is missing or not executable"
netns_init udp-echo 240
shuntd_start "$shuntd"
peer_up

rx_before="$(stat_get stack.udp_rx)"
sizes="0-1472,8000,65507"
expected_sizes=$((1473 + 2))
out="$(in_ns "$checker" --dst "$SHUNT_IP" --port 7 --sizes "$sizes" --seed "$$" \
    --timeout-ms 1000 --tries 3 --deadline-s 150 2>&1)" && rc=0 || rc=$?
printf '%s\n' "$out"
((rc == 0)) || fail "udp_echo_check reported failures (exit $rc); see above"
[[ "$out" == *"udp echo: $expected_sizes sizes ok, 0 failed"* ]] ||
    fail "expected 'udp echo: $expected_sizes sizes ok, 0 failed' from udp_echo_check"

rx="$(wait_stat_ge stack.udp_rx "$((rx_before + expected_sizes))")" ||
    fail "expected stack.udp_rx to grow by >= $expected_sizes, it went from $rx_before to $rx"
log "stats: udp_rx=$rx udp_tx=$(stat_get stack.udp_tx) frag_reassembled=$(stat_get stack.frag_reassembled) frag_tx=$(stat_get stack.frag_tx)"

out="$(in_ns "$checker" --dst "$SHUNT_IP" --expect-refused 9999 --timeout-ms 1000 --tries 3 2>&1)" &&
    rc=0 || rc=$?
printf '%s\n' "$out"
((rc == 0)) || fail "expected UDP to closed port 9999 to be refused (ICMP port unreachable)"
nosock="$(wait_stat_ge drops.udp_no_socket 1)" ||
    fail "expected drops.udp_no_socket >= 1 after UDP to port 9999, stats say $nosock"
echo "PASS: netns.udp_echo"
