#!/usr/bin/env bash
# netns.tcp_slowloris (issue 11): 500 connections from the kernel side to shuntd's HTTP port,
# each sending one header byte every 2 s and never finishing the header. Throughout, a fresh
# curl must get its response within a second; after the header timeout (--header-timeout 5
# here, 10 s by default) shuntd must close every slow connection (FIN, then RST after
# --close-grace), count them as header timeouts, and still serve.
# Usage: tcp_slowloris.sh SHUNTD [CONNECTIONS]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: tcp_slowloris.sh SHUNTD [CONNECTIONS]}"
conns="${2:-500}"
header_timeout=5
grace=2
here="$(dirname "${BASH_SOURCE[0]}")"
require_cmds curl
netns_init tcp-slowloris 120
# SHUNT_SLOWLORIS_SHUNTD_TIMEOUT=0 runs shuntd without the header timeout (the test must then
# fail: nothing closes the slow connections).
shuntd_start "$shuntd" --http 80 --close-grace "$grace" \
    --header-timeout "${SHUNT_SLOWLORIS_SHUNTD_TIMEOUT:-$header_timeout}"
peer_up
url="http://$SHUNT_IP"

# The slow connections: bytes every 2 s, for at most 30 s.
in_ns python3 "$here/slowloris.py" "$SHUNT_IP" 80 "$conns" 2 30 >"$SHUNT_TMP/slow.json" \
    2>"$SHUNT_TMP/slow.err" &
slow_pid=$!
SHUNT_BG_PIDS+=("$slow_pid")

# A fresh client every second while they hang on (and after they are closed).
worst=0
for ((i = 0; i < 14; i++)); do
    sleep 1
    t="$(in_ns curl --silent --show-error --fail --max-time 5 -o "$SHUNT_TMP/body" \
        -w '%{time_total}' "$url/bytes/1000" 2>"$SHUNT_TMP/curl.err")" ||
        fail "a fresh client failed during slowloris (round $i): $(cat "$SHUNT_TMP/curl.err")"
    python3 "$here/tcp_check.py" pattern 1000 <"$SHUNT_TMP/body" || fail "wrong bytes in round $i"
    python3 -c "import sys; sys.exit(0 if float('$t') < 1.0 else 1)" ||
        fail "a fresh client took ${t}s in round $i (slowloris must not slow it down)"
    worst="$(python3 -c "print(max($worst, $t))")"
done
log "14 fresh clients during slowloris, slowest ${worst}s"

wait_pid "$slow_pid" 40
((WAIT_RC == 0)) || fail "slowloris.py failed (exit $WAIT_RC): $(cat "$SHUNT_TMP/slow.err")"
summary="$(cat "$SHUNT_TMP/slow.json")"
log "slowloris: $summary"
read -r opened closed first last still < <(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(d["opened"], d["closed"], d["first_close_s"] or -1, d["last_close_s"] or -1, d["still_open"])
' "$summary")
((opened == conns)) || fail "only $opened of $conns slow connections opened"
((closed == conns)) || fail "shuntd closed $closed of $conns slow connections ($still still open after 30 s)"
# Not before the header timeout (less the time spent opening them), and soon after it.
python3 -c "import sys; sys.exit(0 if $first >= $header_timeout - 3 and $last <= $header_timeout + $grace + 5 else 1)" ||
    fail "slow connections closed between ${first}s and ${last}s; expected around the ${header_timeout}s header timeout"
wait_stats_refresh
timeouts="$(stat_get tcp.services.header_timeouts)"
((timeouts >= conns)) || fail "stats count $timeouts header timeouts, expected at least $conns"
log "shuntd counted $timeouts header timeouts, $(stat_get tcp.services.timeout_aborts) aborted after the grace"
in_ns curl --silent --show-error --fail --max-time 5 "$url/bytes/1000" |
    python3 "$here/tcp_check.py" pattern 1000 >/dev/null || fail "no service after slowloris"
echo "PASS: netns.tcp_slowloris"
