#!/usr/bin/env bash
# netns.tcp_rst_limit (issue 11, RFC 5961 §7): a burst of SYNs to a closed port draws at most
# the RST rate limit's burst plus its rate times the burst's duration (--rst-limit 100
# --rst-burst 20 here); every SYN is counted (tcp_no_socket) and every RST held back too
# (tcp_rst_limited). SHUNT_RST_LIMIT_RATE=0 turns the limit off: the test must then fail.
# Usage: tcp_rst_limit.sh SHUNTD [SYNS]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: tcp_rst_limit.sh SHUNTD [SYNS]}"
syns="${2:-1000}"
rate="${SHUNT_RST_LIMIT_RATE:-100}"
burst=20
here="$(dirname "${BASH_SOURCE[0]}")"
require_cmds ping
py=""
for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import scapy.all' 2>/dev/null; then
        py="$cand"
        break
    fi
done
[[ -n "$py" ]] || fail "scapy not found (python3-scapy; scripts/install-deps.sh installs it)"
netns_init tcp-rst-limit 90
shuntd_start "$shuntd" --rst-limit "$rate" --rst-burst "$burst"
peer_up
# shuntd learns the peer's MAC first, so no RST waits for ARP.
in_ns ping -c 1 -W 2 "$SHUNT_IP" >/dev/null || fail "no ping answer before the burst"

in_ns "$py" "$here/rst_probe.py" "$SHUNT_TAP" "$SHUNT_MAC" "$SHUNT_IP" "$SHUNT_PEER_IP" 4444 \
    "$syns" >"$SHUNT_TMP/probe.json" 2>"$SHUNT_TMP/probe.err" ||
    fail "rst_probe.py failed: $(tail -n 5 "$SHUNT_TMP/probe.err")"
log "probe: $(cat "$SHUNT_TMP/probe.json")"
read -r sent rsts secs < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["sent"], d["rsts"], d["seconds"])
' "$SHUNT_TMP/probe.json")
# The bucket: burst at once, then `rate` per second, over the burst and the 1 s listened after.
allowed="$(python3 -c "import math; print($burst + math.ceil($rate * ($secs + 1.5)))")"
((rsts >= 1)) || fail "no RST at all for $sent SYNs to a closed port"
((rsts <= allowed)) || fail "$rsts RSTs for $sent SYNs in ${secs}s; the limit allows $allowed"
wait_stats_refresh
no_socket="$(stat_get drops.tcp_no_socket)"
limited="$(stat_get drops.tcp_rst_limited)"
log "RSTs: $rsts of $sent SYNs in ${secs}s (allowed $allowed); counted: tcp_no_socket $no_socket, tcp_rst_limited $limited"
((no_socket == sent)) || fail "drops.tcp_no_socket is $no_socket, expected $sent"
((limited == sent - rsts)) || fail "drops.tcp_rst_limited is $limited, expected $((sent - rsts))"
echo "PASS: netns.tcp_rst_limit"
