#!/usr/bin/env bash
# netns.tcp_ooo_flood (issue 11): the attack that once took shuntd off the air. From a made-up
# address on the TAP's wire (scapy), CONNECTIONS connections to shuntd's HTTP port, each sent
# 64 one-byte out-of-order segments (a hole before every byte). Without a buffer budget each
# one pins a whole packet buffer: 6,400 of them empty the 4096-buffer pool and every frame
# after is dropped. With it, the out-of-order share bounds them; right after the flood a
# ping and a 100 KB download (curl) from the real peer must each succeed within a second.
# Prints the pool counters it relies on (stats file: stack.budget, drops.tcp_ooo_budget).
# SHUNT_OOO_FLOOD_ARGS passes options to shuntd. With "--tcp-ooo-share 0 --tcp-socket-rx-share
# 0" the pressure level still saves the pool (out-of-order data refused and pruned); with
# "--no-buffer-budget" (or a shuntd from before issue 11 item 1) the test fails: the pool
# empties and no ping is answered after the flood (docs/limits-peer.md has the figures).
# Usage: tcp_ooo_flood.sh SHUNTD [CONNECTIONS]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: tcp_ooo_flood.sh SHUNTD [CONNECTIONS]}"
conns="${2:-100}"
segments=64
here="$(dirname "${BASH_SOURCE[0]}")"
require_cmds ping curl
netns_init tcp-ooo-flood 120
py="$(scapy_python)"
# shellcheck disable=SC2086
shuntd_start "$shuntd" --http 80 ${SHUNT_OOO_FLOOD_ARGS:-}
peer_up

in_ns timeout 60 "$py" "$here/ooo_flood.py" "$SHUNT_TAP" "$SHUNT_MAC" "$SHUNT_IP" 10.77.0.99 80 \
    "$conns" "$segments" >"$SHUNT_TMP/flood.json" 2>"$SHUNT_TMP/flood.err" ||
    fail "ooo_flood.py failed: $(cat "$SHUNT_TMP/flood.json") $(tail -n 5 "$SHUNT_TMP/flood.err")"
log "flood: $(cat "$SHUNT_TMP/flood.json")"

# At once: the daemon answers.
out="$(in_ns ping -c 3 -i 0.2 -W 1 "$SHUNT_IP" 2>&1)" || true
(($(ping_received "$out") == 3)) || fail "ping after the flood: $out"
t="$(in_ns curl --silent --show-error --fail --max-time 5 -o "$SHUNT_TMP/body" \
    -w '%{time_total}' "http://$SHUNT_IP/bytes/100000" 2>"$SHUNT_TMP/curl.err")" ||
    fail "a 100 KB download after the flood failed: $(cat "$SHUNT_TMP/curl.err")"
python3 "$here/tcp_check.py" pattern 100000 <"$SHUNT_TMP/body" || fail "wrong bytes after the flood"
python3 -c "import sys; sys.exit(0 if float('$t') < 1.0 else 1)" ||
    fail "the 100 KB download after the flood took ${t}s (limit 1 s)"
log "after the flood: 3/3 pings, 100 KB in ${t}s"

wait_stats_refresh
budget_report
held="$(stat_get tcp.ooo_buffers)"
refused="$(stat_get drops.tcp_ooo_budget)"
share=$(($(stat_get stack.budget.capacity) - $(stat_get stack.budget.reserve)))
share=$((share * 20 / 100))  # BudgetConfig::tcp_ooo_percent
((held <= share)) || fail "out-of-order data holds $held buffers, above its share $share"
((refused > 0)) || fail "no out-of-order segment was refused (drops.tcp_ooo_budget 0): was it a flood?"
((held + refused >= conns * segments / 2)) ||
    fail "only $held held + $refused refused of $((conns * segments)) segments: did they arrive?"
echo "PASS: netns.tcp_ooo_flood"
