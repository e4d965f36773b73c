#!/usr/bin/env bash
# netns.frag_flood (issue 11): thousands of incomplete IPv4 fragment sets at shuntd. Every
# fragment asks to be held until its datagram completes or its timer fires (30 s); the
# reassembler holds at most its share of the pool (BudgetConfig::reassembly_percent) and
# drops the rest, counted. Right after the flood a ping and a 100 KB download (curl) must
# each succeed within a second. Prints the pool counters it relies on.
# Usage: frag_flood.sh SHUNTD [DATAGRAMS]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: frag_flood.sh SHUNTD [DATAGRAMS]}"
datagrams="${2:-3000}"
here="$(dirname "${BASH_SOURCE[0]}")"
require_cmds ping curl
netns_init frag-flood 120
shuntd_start "$shuntd" --http 80
peer_up

in_ns timeout 60 python3 "$here/frag_flood.py" "$SHUNT_TAP" "$SHUNT_MAC" "$SHUNT_PEER_IP" \
    "$SHUNT_IP" "$datagrams" >"$SHUNT_TMP/flood.out" 2>&1 ||
    fail "frag_flood.py failed: $(cat "$SHUNT_TMP/flood.out")"
log "$(cat "$SHUNT_TMP/flood.out")"

out="$(in_ns ping -c 3 -i 0.2 -W 1 "$SHUNT_IP" 2>&1)" || true
(($(ping_received "$out") == 3)) || fail "ping after the fragment flood: $out"
t="$(in_ns curl --silent --show-error --fail --max-time 5 -o "$SHUNT_TMP/body" \
    -w '%{time_total}' "http://$SHUNT_IP/bytes/100000" 2>"$SHUNT_TMP/curl.err")" ||
    fail "a 100 KB download after the fragment flood failed: $(cat "$SHUNT_TMP/curl.err")"
python3 "$here/tcp_check.py" pattern 100000 <"$SHUNT_TMP/body" || fail "wrong bytes after the flood"
python3 -c "import sys; sys.exit(0 if float('$t') < 1.0 else 1)" ||
    fail "the 100 KB download after the fragment flood took ${t}s (limit 1 s)"
log "after the fragment flood: 3/3 pings, 100 KB in ${t}s"

wait_stats_refresh
budget_report
held="$(stat_get stack.budget.reassembly_buffers)"
share=$((($(stat_get stack.budget.capacity) - $(stat_get stack.budget.reserve)) * 10 / 100))
((held <= share)) || fail "reassembly holds $held buffers, above its share $share"
limited=$(($(stat_get drops.ipv4_frag_limit) + $(stat_get drops.ipv4_frag_budget)))
((limited > 0)) || fail "no fragment was refused (drops.ipv4_frag_limit/_budget 0): was it a flood?"
log "reassembly holds $held buffers (share $share), $limited fragments refused"
echo "PASS: netns.frag_flood"
