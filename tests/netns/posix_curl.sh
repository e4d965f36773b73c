#!/usr/bin/env bash
# netns.posix_curl: curl (Debian's) under shunt-run downloads MIB MiB of seeded random bytes
# from a kernel-side HTTP server (python3 -m http.server on the TAP's other side), and the
# download is checked byte for byte (sha256). Twice, each a new process (the layer opens the
# TAP and closes it again each time).
# Usage: posix_curl.sh SHUNTD SHUNT_RUN MIB
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=posix_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/posix_lib.sh"

mib="${3:?usage: posix_curl.sh SHUNTD SHUNT_RUN MIB}"
require_cmds curl sha256sum
posix_init posix-curl 120 "${2:?usage: posix_curl.sh SHUNTD SHUNT_RUN MIB}"

mkdir -p "$SHUNT_TMP/www"
random_file "$SHUNT_TMP/www/file.bin" "$mib"
(
    trap - INT QUIT
    exec ip netns exec "$SHUNT_NS" python3 -m http.server --bind "$SHUNT_PEER_IP" 8080 \
        --directory "$SHUNT_TMP/www"
) </dev/null >"$SHUNT_TMP/httpd.out" 2>&1 &
SHUNT_BG_PIDS+=("$!")
for ((i = 0; i < 100; i++)); do
    in_ns curl -s -o /dev/null "http://$SHUNT_PEER_IP:8080/" && break
    sleep 0.1
done

for run in 1 2; do
    rm -f "$SHUNT_TMP/got.bin"
    shunt_run_cmd timeout 60 curl -sS --fail -o "$SHUNT_TMP/got.bin" \
        "http://$SHUNT_PEER_IP:8080/file.bin" || fail "curl under shunt-run failed (run $run)"
    [[ "$(sha "$SHUNT_TMP/www/file.bin")" == "$(sha "$SHUNT_TMP/got.bin")" ]] ||
        fail "run $run: downloaded $(stat -c %s "$SHUNT_TMP/got.bin") bytes of $(stat -c %s "$SHUNT_TMP/www/file.bin"), sha256 differs"
    log "run $run: $mib MiB downloaded byte for byte"
done
# curl's own kernel sockets (its resolver's, AF_UNIX or AF_INET6 probes) may fall back; TCP to
# the server must not.
grep -q "layer on" "$SHUNT_RUN_LOG_FILE" || fail "the layer never opened the NIC: $(cat "$SHUNT_RUN_LOG_FILE")"
run_log_check "AF_INET6|AF_UNIX|netlink|not TCP or UDP"
echo "PASS: netns.posix_curl"
