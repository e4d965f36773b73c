#!/usr/bin/env bash
# netns.lib_httpd: examples/shunt-httpd, static files on libshunt in-process on a TAP, with the
# kernel's curl as the client: a MIB MiB file and index.html fetched over one keep-alive
# connection (byte-exact, one connect), a missing file and a path with ".." get 404.
# Usage: lib_httpd.sh SHUNTD SHUNT_HTTPD MIB
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

httpd="${2:?usage: lib_httpd.sh SHUNTD SHUNT_HTTPD MIB}"
mib="${3:?file size in MiB}"
[[ -x "$httpd" ]] || fail "shunt-httpd binary '$httpd' is missing"
require_cmds curl cmp
netns_init lib-httpd 240

root="$SHUNT_TMP/www"
mkdir -p "$root"
head -c $((mib * 1024 * 1024)) /dev/urandom >"$root/big.bin"
echo "<h1>shunt</h1>" >"$root/index.html"
app_log="$SHUNT_TMP/shunt-httpd.log"
(
    trap - INT QUIT
    exec ip netns exec "$SHUNT_NS" "$httpd" --nic "tap:$SHUNT_TAP" \
        --ip "$SHUNT_IP/$SHUNT_PREFIX" --mac "$SHUNT_MAC" --port 80 --root "$root"
) </dev/null >"$app_log" 2>&1 &
app=$!
SHUNT_BG_PIDS+=("$app")
for ((i = 0; i < 150; i++)); do
    grep -q "listening" "$app_log" 2>/dev/null && break
    pid_alive "$app" || fail "shunt-httpd exited before listening: $(cat "$app_log")"
    sleep 0.1
done
grep -q "listening" "$app_log" || fail "shunt-httpd did not print its listening line within 15 s"
peer_up

# Two files on one connection: curl reuses it when the server keeps it alive.
connects="$(in_ns timeout 120 curl -sS --fail -o "$SHUNT_TMP/big.out" -o "$SHUNT_TMP/index.out" \
    -w '%{num_connects} %{speed_download}\n' \
    "http://$SHUNT_IP/big.bin" "http://$SHUNT_IP/")" || fail "curl failed (log: $(tail -n 5 "$app_log"))"
cmp "$root/big.bin" "$SHUNT_TMP/big.out" || fail "big.bin came back different"
cmp "$root/index.html" "$SHUNT_TMP/index.out" || fail "index.html came back different"
read -r first second <<<"$(echo "$connects" | awk '{print $1}' | tr '\n' ' ')"
[[ "$first" == 1 && "$second" == 0 ]] || fail "expected one connection reused (num_connects 1 then 0), got: $connects"
log "keep-alive: ${mib} MiB and index.html byte-exact over one connection ($(echo "$connects" | head -n 1 | awk '{printf "%.0f Mbit/s", $2 * 8 / 1e6}'))"

code="$(in_ns timeout 20 curl -s -o /dev/null -w '%{http_code}' "http://$SHUNT_IP/nope")"
[[ "$code" == 404 ]] || fail "a missing file gave $code, expected 404"
code="$(in_ns timeout 20 curl -s --path-as-is -o /dev/null -w '%{http_code}' "http://$SHUNT_IP/../../etc/passwd")"
[[ "$code" == 404 ]] || fail "a path with .. gave $code, expected 404"
log "404 for a missing file and for a path leaving the root"

stop_pid "$app"
((WAIT_RC == 0)) || fail "shunt-httpd exited with status $WAIT_RC on SIGTERM"
echo "PASS: netns.lib_httpd"
