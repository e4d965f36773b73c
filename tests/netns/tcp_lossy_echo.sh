#!/usr/bin/env bash
# netns.tcp_lossy_echo (issue 11): a large echo through a lossy, reordering link, checking
# every byte: the stall the buffer budget once caused under netem (zero-length segments at
# the window's right edge dropped, windows shrunk by the budget) shows here as a timeout.
# The host kernel has no netem, so the link is impair_relay.py, an L2 relay between shuntd's
# TAP and a veth pair whose other end is the kernel peer: 2 % of IPv4 frames dropped and 2 %
# held back behind the next, each way. Prints the pool counters it relies on.
# Usage: tcp_lossy_echo.sh SHUNTD [MIB]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: tcp_lossy_echo.sh SHUNTD [MIB]}"
mib="${2:-8}"
here="$(dirname "${BASH_SOURCE[0]}")"
require_cmds socat cmp ethtool
netns_init tcp-lossy-echo 240
shuntd_start "$shuntd"
# The kernel peer sits behind the relay: veth lossy0 (peer address) <-> lossy1 <-relay-> TAP.
in_ns ip link add lossy0 type veth peer name lossy1
in_ns ip link set lossy1 up
in_ns ip link set lossy0 up
in_ns ip addr add "$SHUNT_PEER_IP/$SHUNT_PREFIX" dev lossy0
# A veth leaves checksums to an offload nobody performs once the relay copies the frame.
in_ns ethtool -K lossy0 tx off >/dev/null
in_ns timeout 200 python3 "$here/impair_relay.py" "$SHUNT_TAP" lossy1 2 2 180 \
    >"$SHUNT_TMP/relay.json" 2>"$SHUNT_TMP/relay.err" &
relay_pid=$!
SHUNT_BG_PIDS+=("$relay_pid")
for ((i = 0; i < 50; i++)); do
    grep -q ready "$SHUNT_TMP/relay.err" 2>/dev/null && break
    sleep 0.1
done
grep -q ready "$SHUNT_TMP/relay.err" || fail "impair_relay.py did not start: $(cat "$SHUNT_TMP/relay.err")"

head -c $((mib * 1024 * 1024)) /dev/urandom >"$SHUNT_TMP/in"
start=$(date +%s.%N)
in_ns timeout 150 socat -t 30 - "TCP:$SHUNT_IP:7" <"$SHUNT_TMP/in" >"$SHUNT_TMP/out" \
    2>"$SHUNT_TMP/socat.err" || fail "socat through the lossy link failed or stalled: $(cat "$SHUNT_TMP/socat.err")"
secs="$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")"
cmp "$SHUNT_TMP/in" "$SHUNT_TMP/out" ||
    fail "the echo came back different ($(stat -c %s "$SHUNT_TMP/out") of $mib MiB)"
log "echo: $mib MiB back byte for byte through 2 % loss and 2 % reordering in ${secs}s"

kill "$relay_pid" 2>/dev/null || true
wait_stats_refresh
budget_report
log "tcp: retransmits $(stat_get tcp.retransmits), ooo_segments $(stat_get tcp.ooo_segments), rx_coalesced $(stat_get tcp.rx_coalesced)"
(($(stat_get tcp.retransmits) > 0)) || fail "no retransmission: was the link lossy at all?"
echo "PASS: netns.tcp_lossy_echo"
