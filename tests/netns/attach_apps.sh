#!/usr/bin/env bash
# netns.attach_apps: applications attached to one shuntd (libshunt's attached deployment,
# docs/libshunt.md) serving the Linux kernel as their client, all at once:
#  1. two shunt-echo apps (one on shunt's wait(), one in its own epoll loop) each echo CONNS
#     connections byte-exact at the same time, plus UDP;
#  2. shunt-httpd is SIGKILLed in the middle of a download while an echo app's transfer
#     completes byte-exact; the kernel's download is reset (not left hanging); a new
#     shunt-httpd binds the same port at once and serves the file byte-exact;
#  3. 1,000 connections spread over three attached apps (333 + 333 + 334), each echoed;
#  4. a slow reader stalls only its own flow (slow_reader.py).
# Usage: attach_apps.sh SHUNTD SHUNT_ECHO SHUNT_HTTPD CONNS KIB
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

here="$(dirname "${BASH_SOURCE[0]}")"
echo_bin="${2:?usage: attach_apps.sh SHUNTD SHUNT_ECHO SHUNT_HTTPD CONNS KIB}"
httpd_bin="${3:?shunt-httpd binary}"
conns="${4:?connections per echo app}"
kib="${5:?KiB per connection}"
[[ -x "$echo_bin" && -x "$httpd_bin" ]] || fail "shunt-echo or shunt-httpd binary is missing"
require_cmds curl cmp
netns_init attach 280

sock="$SHUNT_TMP/shuntd.apps"
shuntd_start "$1" --app-socket "$sock" --no-tcp-echo --no-udp-echo
peer_up
[[ -S "$sock" ]] || fail "shuntd did not create its app socket $sock"
[[ "$(stat -c %a "$sock")" == 660 ]] || fail "app socket mode $(stat -c %a "$sock"), expected 660"

# start_app NAME BINARY ARGS...: an attached app inside the namespace; waits for its
# "listening" line; sets APP_PID.
start_app() {
    local name="$1" bin="$2" i
    shift 2
    local app_log="$SHUNT_TMP/$name.log"
    (
        trap - INT QUIT
        exec ip netns exec "$SHUNT_NS" "$bin" --attach "$sock" "$@"
    ) </dev/null >"$app_log" 2>&1 &
    APP_PID=$!
    SHUNT_BG_PIDS+=("$APP_PID")
    for ((i = 0; i < 100; i++)); do
        grep -q "listening" "$app_log" 2>/dev/null && break
        pid_alive "$APP_PID" || fail "$name exited before listening: $(cat "$app_log")"
        sleep 0.1
    done
    grep -q "listening" "$app_log" || fail "$name did not print its listening line within 10 s"
    log "$name attached (pid $APP_PID)"
}

echo_check() {  # PORT CONNS BYTES
    in_ns timeout 150 python3 "$here/lib_echo_check.py" "$SHUNT_IP" "$1" "$1" "$2" "$3"
}

start_app echo-a "$echo_bin" --port 7001 --udp-port 7001
echo_a=$APP_PID
start_app echo-b "$echo_bin" --port 7002 --udp-port 7002 --own-epoll
echo_b=$APP_PID

# 1. Two apps at once.
echo_check 7001 "$conns" $((kib * 1024)) >"$SHUNT_TMP/a.out" 2>&1 &
pa=$!
echo_check 7002 "$conns" $((kib * 1024)) >"$SHUNT_TMP/b.out" 2>&1 &
pb=$!
wait "$pa" || fail "echo app A's check failed while B ran: $(cat "$SHUNT_TMP/a.out")"
wait "$pb" || fail "echo app B's check failed while A ran: $(cat "$SHUNT_TMP/b.out")"
log "two attached apps at once: A $(head -n 1 "$SHUNT_TMP/a.out"); B $(head -n 1 "$SHUNT_TMP/b.out")"

# 2. SIGKILL mid-transfer.
root="$SHUNT_TMP/www"
mkdir -p "$root"
# Bigger than what the kernel may buffer for a slow curl (tcp_rmem up to 6 MiB) plus the
# stack's send queue, so the kill always lands with most of the file unsent.
head -c $((64 * 1024 * 1024)) /dev/urandom >"$root/big.bin"
start_app httpd "$httpd_bin" --port 8080 --root "$root"
httpd=$APP_PID
in_ns timeout 60 curl -sS --limit-rate 1M -o "$SHUNT_TMP/cut.out" "http://$SHUNT_IP:8080/big.bin" \
    >"$SHUNT_TMP/cut.err" 2>&1 &
cut=$!
echo_check 7001 4 $((2 * 1024 * 1024)) >"$SHUNT_TMP/survivor.out" 2>&1 &
survivor=$!
sleep 1.5
cut_bytes="$(stat -c %s "$SHUNT_TMP/cut.out" 2>/dev/null || echo 0)"
((cut_bytes > 0 && cut_bytes < 64 * 1024 * 1024)) ||
    fail "the download was not under way when the app was to be killed ($cut_bytes bytes)"
kill -KILL "$httpd"
wait_pid "$httpd" 5
log "shunt-httpd SIGKILLed after $cut_bytes bytes of 64 MiB had reached curl"
if wait "$cut"; then fail "curl's download completed although its server was killed"; fi
grep -qi "reset\|closed\|transfer" "$SHUNT_TMP/cut.err" ||
    fail "curl did not see its connection end: $(cat "$SHUNT_TMP/cut.err")"
log "the killed app's peer was told at once: $(tr '\n' ' ' <"$SHUNT_TMP/cut.err")"
wait "$survivor" || fail "the other app's transfer failed when httpd was killed: $(cat "$SHUNT_TMP/survivor.out")"
log "the other app's transfer completed byte-exact: $(head -n 1 "$SHUNT_TMP/survivor.out")"
pid_alive "$SHUNTD_PID" || fail "shuntd died with the app"
start_app httpd-again "$httpd_bin" --port 8080 --root "$root"
httpd=$APP_PID
in_ns timeout 60 curl -sS --fail -o "$SHUNT_TMP/big.out" "http://$SHUNT_IP:8080/big.bin" ||
    fail "download from the new shunt-httpd failed"
cmp "$root/big.bin" "$SHUNT_TMP/big.out" || fail "the new shunt-httpd's download is not byte-exact"
log "port 8080 bound again at once by a new app; 64 MiB byte-exact"
stop_pid "$httpd"

# 3. 1,000 connections over three apps.
start_app echo-c "$echo_bin" --port 7003 --udp-port 7003
echo_c=$APP_PID
pids=()
for p in 7001 7002 7003; do
    n=333
    [[ $p == 7003 ]] && n=334
    echo_check "$p" "$n" 2048 >"$SHUNT_TMP/k$p.out" 2>&1 &
    pids+=($!)
done
for i in 0 1 2; do
    wait "${pids[$i]}" || fail "1,000 connections: app $((7001 + i)) failed: $(cat "$SHUNT_TMP/k$((7001 + i)).out")"
done
log "1,000 connections over three apps, each echoed byte-exact: $(head -qn 1 "$SHUNT_TMP"/k700?.out | tr '\n' ' ')"

# 4. A slow reader stalls only its own flow.
in_ns timeout 150 python3 "$here/slow_reader.py" "$SHUNT_IP" 7002 $((8 * 1024 * 1024)) \
    >"$SHUNT_TMP/slow.out" 2>&1 || fail "slow reader: $(tail -n 3 "$SHUNT_TMP/slow.out")"
log "$(tr '\n' ';' <"$SHUNT_TMP/slow.out")"

for pid in "$echo_a" "$echo_b" "$echo_c"; do
    stop_pid "$pid"
    ((WAIT_RC == 0)) || fail "an attached app exited with status $WAIT_RC on SIGTERM"
done
pid_alive "$SHUNTD_PID" || fail "shuntd is gone"
grep -q "detached" "$SHUNT_LOG" || fail "shuntd logged no detach"
echo "PASS: netns.attach_apps"
