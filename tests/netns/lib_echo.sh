#!/usr/bin/env bash
# netns.lib_echo: examples/shunt-echo, an application on libshunt running shunt in-process on
# a TAP, with the Linux kernel as its client: CONNS TCP connections at once each echo their
# own random bytes (about KIB KiB each) byte for byte, with a half-close; then 50 UDP
# datagrams are echoed. The app must then exit cleanly on SIGTERM.
# Usage: lib_echo.sh SHUNTD SHUNT_ECHO CONNS KIB
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo_bin="${2:?usage: lib_echo.sh SHUNTD SHUNT_ECHO CONNS KIB}"
conns="${3:?number of parallel connections}"
kib="${4:?KiB per connection}"
[[ -x "$echo_bin" ]] || fail "shunt-echo binary '$echo_bin' is missing"
netns_init lib-echo 240

app_log="$SHUNT_TMP/shunt-echo.log"
(
    trap - INT QUIT
    exec ip netns exec "$SHUNT_NS" "$echo_bin" --nic "tap:$SHUNT_TAP" \
        --ip "$SHUNT_IP/$SHUNT_PREFIX" --mac "$SHUNT_MAC" --port 7 --udp-port 7
) </dev/null >"$app_log" 2>&1 &
app=$!
SHUNT_BG_PIDS+=("$app")
for ((i = 0; i < 150; i++)); do
    grep -q "listening" "$app_log" 2>/dev/null && break
    pid_alive "$app" || fail "shunt-echo exited before listening: $(cat "$app_log")"
    sleep 0.1
done
grep -q "listening" "$app_log" || fail "shunt-echo did not print its listening line within 15 s"
peer_up
log "shunt-echo ready (pid $app)"

in_ns timeout 180 python3 "$(dirname "${BASH_SOURCE[0]}")/lib_echo_check.py" \
    "$SHUNT_IP" 7 7 "$conns" $((kib * 1024)) || fail "echo check failed (shunt-echo log: $(tail -n 5 "$app_log"))"

stop_pid "$app"
((WAIT_RC == 0)) || fail "shunt-echo exited with status $WAIT_RC on SIGTERM (log: $(tail -n 5 "$app_log"))"
log "shunt-echo exited cleanly"
echo "PASS: netns.lib_echo"
