#!/usr/bin/env bash
# netns.tcp_slow_readers (issue 11): 40 clients ask shuntd's HTTP service for huge bodies and
# never read (tiny receive buffers): their windows close and shuntd's send queues fill. The
# send queues' share of the pool bounds what they hold; once it is nearly spent (send
# pressure), connections stuck at a zero window longer than --zero-window-timeout (2 s here)
# are aborted, oldest first. A fresh client then gets its full response (1 MB, byte-exact),
# and a ping is answered throughout. Prints the pool counters it relies on.
# SHUNT_SLOW_READERS_ZWT=0 turns the abort off (the fresh client must then fail).
# Usage: tcp_slow_readers.sh SHUNTD [CONNECTIONS]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: tcp_slow_readers.sh SHUNTD [CONNECTIONS]}"
conns="${2:-40}"
here="$(dirname "${BASH_SOURCE[0]}")"
require_cmds ping curl
netns_init tcp-slow-readers 120
shuntd_start "$shuntd" --http 80 --zero-window-timeout "${SHUNT_SLOW_READERS_ZWT:-2}"
peer_up

in_ns timeout 60 python3 "$here/slow_readers.py" "$SHUNT_IP" 80 "$conns" 1000000000 12 \
    >"$SHUNT_TMP/slow.json" 2>"$SHUNT_TMP/slow.err" &
slow_pid=$!
SHUNT_BG_PIDS+=("$slow_pid")
for ((i = 0; i < 100; i++)); do
    grep -q connected "$SHUNT_TMP/slow.err" 2>/dev/null && break
    sleep 0.1
done
grep -q connected "$SHUNT_TMP/slow.err" || fail "slow readers did not connect: $(cat "$SHUNT_TMP/slow.err")"
sleep 1  # their windows close, the send queues fill
wait_stats_refresh
budget_report
log "send buffers held by the slow readers: $(stat_get tcp.send_buffers)"

out="$(in_ns ping -c 3 -i 0.2 -W 1 "$SHUNT_IP" 2>&1)" || true
(($(ping_received "$out") == 3)) || fail "ping while the readers hold their buffers: $out"
t="$(in_ns curl --silent --show-error --fail --max-time 8 -o "$SHUNT_TMP/body" \
    -w '%{time_total}' "http://$SHUNT_IP/bytes/1000000" 2>"$SHUNT_TMP/curl.err")" ||
    fail "a fresh client failed while $conns readers never read: $(cat "$SHUNT_TMP/curl.err")"
python3 "$here/tcp_check.py" pattern 1000000 <"$SHUNT_TMP/body" || fail "wrong bytes for the fresh client"
log "a fresh client got 1 MB in ${t}s while $conns readers never read"

wait_pid "$slow_pid" 40
((WAIT_RC == 0)) || fail "slow_readers.py failed (exit $WAIT_RC): $(cat "$SHUNT_TMP/slow.err")"
log "slow readers: $(cat "$SHUNT_TMP/slow.json")"
wait_stats_refresh
budget_report
aborts="$(stat_get drops.tcp_zero_window_abort)"
((aborts > 0)) || fail "no connection was aborted at a zero window (drops.tcp_zero_window_abort 0)"
((aborts == $(stat_get tcp.zero_window_aborts))) || fail "tcp.zero_window_aborts disagrees with the drop"
log "$aborts stuck readers aborted (tcp_zero_window_abort)"
echo "PASS: netns.tcp_slow_readers"
