#!/usr/bin/env bash
# netns.config: shuntd run from a config file alone (docs/service.md). The file names the NIC,
# address, MAC, stats file and an HTTP port; shuntd started with only --config answers the
# kernel's ping and serves HTTP on that port, so every key took effect. Bad files give one
# line naming FILE:LINE and exit 2 (unknown key, bad value, duplicate key, not KEY = VALUE);
# the command line wins over the file. Also checks the USDT probes (base/probes.hpp) are in
# the binary and, when perf is installed, that perf lists them as sdt_shunt:*.
# Usage: config.sh SHUNTD
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: config.sh SHUNTD}"
netns_init config 120
require_cmds ping curl readelf

conf="$SHUNT_TMP/a.conf"
cat >"$conf" <<CONF
# shuntd config for netns.config
nic = tap:$SHUNT_TAP
ip = $SHUNT_IP/$SHUNT_PREFIX
mac = $SHUNT_MAC
stats-file = "$SHUNT_STATS"
stats-interval-ms = $SHUNT_STATS_INTERVAL_MS
; the HTTP service, on a port only the file names
http = 8080
CONF

# expect_bad NAME LINE CONTENT: a file with CONTENT must fail --check-config with exit 2 and
# one line of output naming FILE:LINE.
expect_bad() {
    local name="$1" line="$2" content="$3" f="$SHUNT_TMP/$1.conf" out rc=0
    printf '%s\n' "$content" >"$f"
    out="$("$shuntd" --config "$f" --check-config 2>&1)" || rc=$?
    [[ "$rc" == 2 ]] || fail "$name: expected exit 2, got $rc: $out"
    [[ "$(printf '%s\n' "$out" | wc -l)" == 1 ]] || fail "$name: expected one line, got: $out"
    [[ "$out" == *"$f:$line:"* ]] || fail "$name: expected the line to name $f:$line, got: $out"
    log "$name: exit 2, '$out'"
}
good="nic = tap:x
ip = 10.9.0.2/24"
expect_bad unknown_key 3 "$good
no-such-key = 1"
expect_bad bad_value 2 "nic = tap:x
ip = 300.1.2.3/24"
expect_bad duplicate 3 "$good
nic = tap:y"
expect_bad not_key_value 2 "nic = tap:x
just some words"
out="$("$shuntd" --config "$conf" --check-config 2>&1)" || fail "--check-config of a good file failed: $out"
[[ "$out" == *ok* ]] || fail "expected --check-config to print ok, got: $out"
# The command line wins: a bad --ip given on it must fail although the file's ip is good.
rc=0
out="$("$shuntd" --config "$conf" --ip 300.0.0.1/24 --check-config 2>&1)" || rc=$?
[[ "$rc" == 2 ]] || fail "expected the command line's bad --ip to win over the file (exit 2), got $rc: $out"
log "good file: '$out'; the command line overrides the file"

(
    trap - INT QUIT
    exec ip netns exec "$SHUNT_NS" "$shuntd" --config "$conf"
) </dev/null >>"$SHUNT_LOG" 2>&1 &
SHUNTD_PID=$!
for ((i = 0; i < 150; i++)); do
    [[ -f "$SHUNT_STATS" ]] && break
    pid_alive "$SHUNTD_PID" || fail "shuntd --config exited early; log: $(tail -n 5 "$SHUNT_LOG")"
    sleep 0.1
done
stats_valid "$SHUNT_STATS" || fail "shuntd --config wrote no stats file at the file's stats-file"
peer_up
got="$(ping_received "$(in_ns ping -n -c 3 -W 2 "$SHUNT_IP" 2>&1 || true)")"
[[ "$got" == 3 ]] || fail "expected 3 ping replies from shuntd run from the config file, got $got"
body="$(in_ns curl -sS --max-time 10 "http://$SHUNT_IP:8080/bytes/1000" | wc -c)"
[[ "$body" == 1000 ]] || fail "expected 1000 bytes from the file's HTTP port 8080, got $body"
log "shuntd from the config file: 3/3 ping replies, HTTP on 8080 served 1000 bytes"

# USDT probes: the ELF notes perf and bpftrace read.
probes="$(readelf -n "$shuntd" | awk '/Provider: shunt/ {p = 1; next} p && /Name:/ {print $2; p = 0}' | sort -u | tr '\n' ' ')"
for want in poll_begin poll_end rx_batch tx_batch tcp_state tcp_retransmit drop app_event; do
    [[ " $probes " == *" $want "* ]] || fail "expected USDT probe shunt:$want in $shuntd; it has: $probes"
done
log "USDT probes in shuntd: $probes"
if command -v perf >/dev/null; then
    export PERF_BUILDID_DIR="$SHUNT_TMP/perf-buildid"
    perf buildid-cache --add "$shuntd" >/dev/null 2>&1 || fail "perf buildid-cache --add $shuntd failed"
    listed="$(perf list 'sdt_shunt:*' 2>/dev/null | grep -c 'sdt_shunt:' || true)"
    ((listed >= 8)) || fail "expected perf list to show the 8 sdt_shunt probes, it shows $listed"
    log "perf list: $listed sdt_shunt probes"
else
    log "perf is not installed: perf list not checked"
fi
echo "PASS: netns.config"
