#!/usr/bin/env bash
# The shunt demo: shuntd on TAP shunt0 inside a private network namespace (shunt-demo-PID),
# answering the Linux kernel on the other end of the wire. Runs and prints ping (default size
# and 8000 bytes, fragmented both ways), UDP echo round trips with socat, the kernel's
# neighbour entry for shuntd, and shuntd's counters. Nothing leaves the namespace; it is
# deleted at the end. Exits non-zero if any step failed.
# Usage: scripts/demo.sh [SHUNTD]   (default: build/release/tools/shuntd; needs root)
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
shuntd="$(readlink -f "${1:-$root/build/release/tools/shuntd}")"
[[ -x "$shuntd" ]] || {
    echo "demo: no shuntd at $shuntd (build it with ./dev.sh build)" >&2
    exit 1
}
if [[ "$(id -u)" -ne 0 ]]; then
    echo "demo: needs root (it creates a network namespace and a TAP device)" >&2
    exit 1
fi
[[ -c /dev/net/tun ]] || {
    echo "demo: /dev/net/tun is missing: this kernel or container has no TUN/TAP" >&2
    exit 1
}
# shellcheck source-path=SCRIPTDIR source=../tests/netns/lib.sh
source "$root/tests/netns/lib.sh"

step_failures=0
title() { printf '\n=== %s ===\n' "$*"; }
step_failed() {
    printf 'demo: STEP FAILED: %s\n' "$*" >&2
    step_failures=$((step_failures + 1))
}

require_cmds ping socat
netns_init demo 180
title "shuntd on tap:$SHUNT_TAP in namespace $SHUNT_NS"
echo "wire: Linux kernel $SHUNT_PEER_IP/$SHUNT_PREFIX (kernel side of the TAP)  <->  shuntd $SHUNT_IP/$SHUNT_PREFIX ($SHUNT_MAC)"
echo "+ $shuntd --nic tap:$SHUNT_TAP --ip $SHUNT_IP/$SHUNT_PREFIX --mac $SHUNT_MAC --stats-file ... --stats-interval-ms $SHUNT_STATS_INTERVAL_MS"
shuntd_start "$shuntd"
peer_up

for size in 56 8000; do
    if ((size == 56)); then
        title "ping -c 3 $SHUNT_IP"
    else
        title "ping -c 3 -s $size $SHUNT_IP (fragmented both ways at MTU 1500)"
    fi
    out="$(in_ns ping -n -c 3 -W 2 -s "$size" "$SHUNT_IP" 2>&1)" || true
    printf '%s\n' "$out"
    got="$(ping_received "$out")"
    [[ "$got" == 3 ]] || step_failed "ping -s $size: expected 3 replies, got $got"
done

title "UDP echo (port 7) with socat"
for i in 1 2 3; do
    msg="hello shunt, round trip $i"
    reply="$(printf '%s' "$msg" | in_ns timeout 5 socat -t 1 - "UDP4:$SHUNT_IP:7" 2>&1)" || true
    printf 'sent: %-30s got back: %s\n' "'$msg'" "'$reply'"
    [[ "$reply" == "$msg" ]] || step_failed "UDP echo $i: sent '$msg', got back '$reply'"
done

title "ip neigh show dev $SHUNT_TAP (the kernel learnt shuntd's MAC by ARP)"
in_ns ip neigh show dev "$SHUNT_TAP"
mac="$(neigh_mac "$SHUNT_IP")"
[[ "$mac" == "$SHUNT_MAC" ]] || step_failed "expected $SHUNT_IP at $SHUNT_MAC in the neighbour table, saw '${mac:-none}'"

title "stopping shuntd (SIGTERM)"
stop_pid "$SHUNTD_PID"
SHUNTD_PID=""
echo "shuntd exit status: $WAIT_RC"
((WAIT_RC == 0)) || step_failed "shuntd exited with status $WAIT_RC on SIGTERM, expected 0"

title "shuntd's counters (stats file written at exit)"
python3 -m json.tool "$SHUNT_STATS" || step_failed "shuntd's stats file is not valid JSON"

title "shuntd's log"
cat "$SHUNT_LOG"

echo
if ((step_failures > 0)); then
    echo "demo: $step_failures step(s) failed"
    exit 1
fi
echo "demo: all steps passed"
