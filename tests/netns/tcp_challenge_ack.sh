#!/usr/bin/env bash
# netns.tcp_challenge_ack (issue 11, RFC 5961 §3.2 and §7): a burst of in-window RSTs (scapy)
# at a live kernel-to-shuntd echo connection. Each would draw a challenge ACK; the connection
# gets at most one per --invalid-ack-interval-ms (500 ms) plus one, the rest are counted as
# tcp_challenge_limited, and the connection survives (an echo round trip after the burst).
# SHUNT_CHALLENGE_INTERVAL_MS=0 SHUNT_CHALLENGE_LIMIT=0 turn both limits off: the test must
# then fail.
# Usage: tcp_challenge_ack.sh SHUNTD [RSTS]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: tcp_challenge_ack.sh SHUNTD [RSTS]}"
rsts="${2:-200}"
interval_ms="${SHUNT_CHALLENGE_INTERVAL_MS:-500}"
here="$(dirname "${BASH_SOURCE[0]}")"
py=""
for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import scapy.all' 2>/dev/null; then
        py="$cand"
        break
    fi
done
[[ -n "$py" ]] || fail "scapy not found (python3-scapy; scripts/install-deps.sh installs it)"
netns_init tcp-challenge-ack 90
shuntd_start "$shuntd" --invalid-ack-interval-ms "$interval_ms" \
    --challenge-ack-limit "${SHUNT_CHALLENGE_LIMIT:-1000}"
peer_up

in_ns "$py" "$here/challenge_probe.py" "$SHUNT_TAP" "$SHUNT_MAC" "$SHUNT_IP" 7 "$rsts" \
    >"$SHUNT_TMP/probe.json" 2>"$SHUNT_TMP/probe.err" ||
    fail "challenge_probe.py failed: $(tail -n 5 "$SHUNT_TMP/probe.err")"
log "probe: $(cat "$SHUNT_TMP/probe.json")"
read -r sent acks secs echo_ok < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["sent"], d["challenge_acks"], d["seconds"], int(d["echo_ok"]))
' "$SHUNT_TMP/probe.json")
((echo_ok == 1)) || fail "the connection did not survive $sent in-window RSTs"
# One per 500 ms over the burst and the 0.3 s listened after, plus the first.
allowed="$(python3 -c "import math; print(1 + math.ceil(($secs + 0.3) * 1000 / 500))")"
((acks >= 1)) || fail "no challenge ACK at all for $sent in-window RSTs"
((acks <= allowed)) || fail "$acks challenge ACKs for $sent in-window RSTs in ${secs}s; the limit allows $allowed"
wait_stats_refresh
challenged="$(stat_get drops.tcp_rst_challenged)"
limited="$(stat_get drops.tcp_challenge_limited)"
log "challenge ACKs: $acks for $sent RSTs in ${secs}s (allowed $allowed); counted: tcp_rst_challenged $challenged, tcp_challenge_limited $limited"
((challenged == sent)) || fail "drops.tcp_rst_challenged is $challenged, expected $sent"
((limited == sent - $(stat_get tcp.challenge_acks))) ||
    fail "drops.tcp_challenge_limited is $limited, expected $sent minus tcp.challenge_acks"
echo "PASS: netns.tcp_challenge_ack"
