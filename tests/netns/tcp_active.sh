#!/usr/bin/env bash
# netns.tcp_active: our active open to the Linux kernel's TCP. shunt-nc (the stack on a TAP in
# the namespace) connects to a socat echo server the kernel runs there, sends 8 MiB of random
# bytes, half-closes, and must get them all back before a clean close; a connection to a port
# nobody listens on must fail with "connection refused" (the kernel's RST) in one line.
# Usage: tcp_active.sh SHUNTD SHUNT_NC
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nc_bin="${2:?usage: tcp_active.sh SHUNTD SHUNT_NC}"
require_cmds socat cmp
netns_init tcp-active 240
in_ns ip tuntap add dev "$SHUNT_TAP" mode tap
in_ns ip addr add "$SHUNT_PEER_IP/$SHUNT_PREFIX" dev "$SHUNT_TAP"
in_ns ip link set dev "$SHUNT_TAP" up
# -t 60: after our FIN, socat waits for cat's last bytes (its default 0.5 s lost the tail
# of the echo when the impaired link was slow to drain).
in_ns socat -t 60 TCP-LISTEN:5000,reuseaddr,fork EXEC:cat </dev/null >/dev/null 2>&1 &
SHUNT_BG_PIDS+=($!)
for ((i = 0; i < 50; i++)); do
    in_ns ss -ltn 2>/dev/null | grep -q ':5000 ' && break
    sleep 0.1
done

head -c $((8 * 1024 * 1024)) /dev/urandom >"$SHUNT_TMP/in"
in_ns timeout 120 "$nc_bin" --nic "tap:$SHUNT_TAP" --ip "$SHUNT_IP/$SHUNT_PREFIX" \
    --mac "$SHUNT_MAC" "$SHUNT_PEER_IP" 5000 <"$SHUNT_TMP/in" >"$SHUNT_TMP/out" 2>"$SHUNT_TMP/nc.err" ||
    fail "shunt-nc to the kernel's echo server failed: $(cat "$SHUNT_TMP/nc.err")"
cmp "$SHUNT_TMP/in" "$SHUNT_TMP/out" ||
    fail "the echo came back different ($(stat -c %s "$SHUNT_TMP/out") of $((8 * 1024 * 1024)) bytes)"
log "active open: 8 MiB through the kernel's echo server and back, byte for byte, clean close"

rc=0
in_ns timeout 30 "$nc_bin" --nic "tap:$SHUNT_TAP" --ip "$SHUNT_IP/$SHUNT_PREFIX" \
    --mac "$SHUNT_MAC" "$SHUNT_PEER_IP" 5001 </dev/null >/dev/null 2>"$SHUNT_TMP/nc.err" || rc=$?
((rc == 1)) || fail "shunt-nc to a closed port exited $rc, expected 1"
[[ "$(wc -l <"$SHUNT_TMP/nc.err")" == 1 ]] && grep -q "connection refused" "$SHUNT_TMP/nc.err" ||
    fail "expected one line saying 'connection refused': $(cat "$SHUNT_TMP/nc.err")"
log "closed port: $(cat "$SHUNT_TMP/nc.err")"
echo "PASS: netns.tcp_active"
