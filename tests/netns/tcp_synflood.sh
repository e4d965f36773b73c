#!/usr/bin/env bash
# netns.tcp_synflood: a SYN flood from addresses nobody answers for (so every half-open
# connection stays half-open) hits shuntd's HTTP port while curl downloads from it. The
# download must finish byte-exact, shuntd must have fallen back to SYN cookies (or counted the
# SYNs it shed), and after the flood a new connection is served at once.
# Usage: tcp_synflood.sh SHUNTD DOWNLOAD_MB FLOOD_SYNS
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: tcp_synflood.sh SHUNTD DOWNLOAD_MB FLOOD_SYNS}"
mb="${2:?download size in MiB}"
syns="${3:?number of SYNs}"
here="$(dirname "${BASH_SOURCE[0]}")"
require_cmds curl
netns_init tcp-synflood 300
shuntd_start "$shuntd" --http 80
peer_up
url="http://$SHUNT_IP"
n=$((mb * 1024 * 1024))

in_ns curl --silent --show-error --fail --max-time 200 --limit-rate 20M "$url/bytes/$n" \
    >"$SHUNT_TMP/body" 2>"$SHUNT_TMP/curl.err" &
curl_pid=$!
sleep 0.5
in_ns python3 "$here/syn_flood.py" "$SHUNT_TAP" "$SHUNT_MAC" 10.77.0.0/24 "$SHUNT_IP" 80 "$syns" "$$" ||
    fail "syn_flood.py failed"
wait_pid "$curl_pid" 200
((WAIT_RC == 0)) || fail "the download failed during the flood (exit $WAIT_RC): $(cat "$SHUNT_TMP/curl.err")"
python3 "$here/tcp_check.py" pattern "$n" <"$SHUNT_TMP/body" || fail "the download's bytes are wrong"
wait_stats_refresh
cookies="$(stat_get tcp.syn_cookies_sent)"
shed="$(stat_get drops.tcp_syn_queue_full)"
log "during the flood: $cookies SYN cookies sent, $shed SYNs shed (syn queue full)"
((cookies + shed > 0)) || fail "a flood of $syns SYNs neither triggered SYN cookies nor filled the SYN queue"
t0=$(date +%s.%N)
in_ns curl --silent --show-error --fail --max-time 10 "$url/bytes/1000" |
    python3 "$here/tcp_check.py" pattern 1000 >/dev/null || fail "no service after the flood"
log "a new connection after the flood served in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.2f} s')")"
echo "PASS: netns.tcp_synflood"
