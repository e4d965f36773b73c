#!/usr/bin/env bash
# netns.lib_echo: examples/shunt-echo, an application on libshunt running shunt in-process on
# a TAP, with the Linux kernel as its client: CONNS TCP connections at once each echo their
# own random bytes (about KIB KiB each) byte for byte, with a half-close; then 50 UDP
# datagrams are echoed; a reader that stalls both directions at a zero window gets all its
# 8 MiB echoed once it reads again (slow_reader.py). The app must then exit cleanly on
# SIGTERM. Twice: with shunt's wait() as the loop, and with the app's own epoll loop on
# shunt's event_fd() (the slow reader in the first run only).
# Usage: lib_echo.sh SHUNTD SHUNT_ECHO CONNS KIB
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo_bin="${2:?usage: lib_echo.sh SHUNTD SHUNT_ECHO CONNS KIB}"
conns="${3:?number of parallel connections}"
kib="${4:?KiB per connection}"
[[ -x "$echo_bin" ]] || fail "shunt-echo binary '$echo_bin' is missing"
netns_init lib-echo 240

# run_mode [FLAGS...]: starts shunt-echo (a new TAP each time), checks it, stops it.
run_mode() {
    local app_log="$SHUNT_TMP/shunt-echo$*.log" app i
    (
        trap - INT QUIT
        exec ip netns exec "$SHUNT_NS" "$echo_bin" --nic "tap:$SHUNT_TAP" \
            --ip "$SHUNT_IP/$SHUNT_PREFIX" --mac "$SHUNT_MAC" --port 7 --udp-port 7 "$@"
    ) </dev/null >"$app_log" 2>&1 &
    app=$!
    SHUNT_BG_PIDS+=("$app")
    for ((i = 0; i < 150; i++)); do
        grep -q "listening" "$app_log" 2>/dev/null && break
        pid_alive "$app" || fail "shunt-echo $* exited before listening: $(cat "$app_log")"
        sleep 0.1
    done
    grep -q "listening" "$app_log" || fail "shunt-echo $* did not print its listening line within 15 s"
    peer_up
    log "shunt-echo $* ready (pid $app)"
    in_ns timeout 100 python3 "$(dirname "${BASH_SOURCE[0]}")/lib_echo_check.py" \
        "$SHUNT_IP" 7 7 "$conns" $((kib * 1024)) ||
        fail "echo check failed with shunt-echo $* (its log: $(tail -n 5 "$app_log"))"
    if [[ -z "$*" ]]; then
        # A flow stalled at a zero window both ways recovers at full speed, in-process too.
        in_ns timeout 90 python3 "$(dirname "${BASH_SOURCE[0]}")/slow_reader.py" "$SHUNT_IP" 7 \
            $((8 * 1024 * 1024)) >"$SHUNT_TMP/slow.out" 2>&1 ||
            fail "slow reader against shunt-echo: $(tail -n 3 "$SHUNT_TMP/slow.out")"
        log "$(tr '\n' ';' <"$SHUNT_TMP/slow.out")"
    fi
    stop_pid "$app"
    ((WAIT_RC == 0)) || fail "shunt-echo $* exited with status $WAIT_RC on SIGTERM (log: $(tail -n 5 "$app_log"))"
    log "shunt-echo $* exited cleanly"
}

run_mode                 # shunt's own wait() sleeps on the TAP
run_mode --own-epoll     # the app's epoll loop sleeps on shunt's event_fd()
echo "PASS: netns.lib_echo"
