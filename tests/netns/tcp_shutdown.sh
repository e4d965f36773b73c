#!/usr/bin/env bash
# netns.tcp_shutdown: stopping shuntd or shunt-nc (SIGTERM) with a connection open resets it:
# the kernel's end gets an RST at once instead of a peer that vanished without a word (the
# shutdown polls until egress has handed the RSTs to the NIC).
# Usage: tcp_shutdown.sh SHUNTD SHUNT_NC
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nc_bin="${2:?usage: tcp_shutdown.sh SHUNTD SHUNT_NC}"
check="$(dirname "${BASH_SOURCE[0]}")/reset_check.py"
netns_init tcp-shutdown 120

# wait_file FILE PID WHAT: waits up to 15 s for FILE while PID lives.
wait_file() {
    local i
    for ((i = 0; i < 150; i++)); do
        [[ -f "$1" ]] && return 0
        pid_alive "$2" || fail "$3 exited early: $(cat "$SHUNT_TMP/check.out")"
        sleep 0.1
    done
    fail "$3 not ready within 15 s"
}

shuntd_start "$1"
peer_up
in_ns python3 "$check" connect "$SHUNT_IP" 7 "$SHUNT_TMP/ready1" >"$SHUNT_TMP/check.out" 2>&1 &
check_pid=$!
wait_file "$SHUNT_TMP/ready1" "$check_pid" "the kernel's client"
stop_pid "$SHUNTD_PID"
((WAIT_RC == 0)) || fail "shuntd exited with $WAIT_RC on SIGTERM"
wait "$check_pid" || fail "shuntd stopped: $(cat "$SHUNT_TMP/check.out")"
log "shuntd stopped: $(cat "$SHUNT_TMP/check.out")"

# shunt-nc: the kernel listens, shunt-nc connects and sends "hi", then is stopped.
in_ns ip tuntap add dev "$SHUNT_TAP" mode tap
in_ns ip addr add "$SHUNT_PEER_IP/$SHUNT_PREFIX" dev "$SHUNT_TAP"
in_ns ip link set dev "$SHUNT_TAP" up
in_ns python3 "$check" accept "$SHUNT_PEER_IP" 5002 "$SHUNT_TMP/ready2" >"$SHUNT_TMP/check.out" 2>&1 &
check_pid=$!
wait_file "$SHUNT_TMP/ready2.listening" "$check_pid" "the kernel's server"
mkfifo "$SHUNT_TMP/stdin"
ip netns exec "$SHUNT_NS" "$nc_bin" --nic "tap:$SHUNT_TAP" --ip "$SHUNT_IP/$SHUNT_PREFIX" \
    --mac "$SHUNT_MAC" "$SHUNT_PEER_IP" 5002 <"$SHUNT_TMP/stdin" >/dev/null 2>"$SHUNT_TMP/nc.err" &
nc_pid=$!
exec 3>"$SHUNT_TMP/stdin"  # held open: shunt-nc never sees end of input
printf hi >&3
wait_file "$SHUNT_TMP/ready2" "$check_pid" "the kernel's server"
stop_pid "$nc_pid"
exec 3>&-
((WAIT_RC == 0)) || fail "shunt-nc exited with $WAIT_RC on SIGTERM: $(cat "$SHUNT_TMP/nc.err")"
wait "$check_pid" || fail "shunt-nc stopped: $(cat "$SHUNT_TMP/check.out")"
log "shunt-nc stopped: $(cat "$SHUNT_TMP/check.out")"
echo "PASS: netns.tcp_shutdown"
