#!/usr/bin/env bash
# netns.posix_nginx: nginx (Debian's nginx-light) under shunt-run serves files to kernel curls:
# a BIG_MIB MiB file (through nginx's sendfile, which the layer turns into reads and sends),
# then PAR parallel connections for a 256 KiB file. Every download is checked byte for byte
# (sha256). nginx runs as one process (master_process off, daemon off): the layer does not
# follow forks (docs/posix.md), and nginx's epoll loop (edge-triggered) is what is tested.
# Usage: posix_nginx.sh SHUNTD SHUNT_RUN BIG_MIB PAR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=posix_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/posix_lib.sh"

big="${3:?usage: posix_nginx.sh SHUNTD SHUNT_RUN BIG_MIB PAR}"
par="${4:?usage: posix_nginx.sh SHUNTD SHUNT_RUN BIG_MIB PAR}"
require_cmds nginx curl sha256sum
posix_init posix-nginx 150 "${2:?usage: posix_nginx.sh SHUNTD SHUNT_RUN BIG_MIB PAR}"

www="$SHUNT_TMP/www"
mkdir -p "$www" "$SHUNT_TMP/got"
random_file "$www/big.bin" "$big"
tail -c 262144 "$www/big.bin" >"$www/small.bin"
cat >"$SHUNT_TMP/nginx.conf" <<CONF
master_process off;
daemon off;
worker_processes 1;
pid $SHUNT_TMP/nginx.pid;
error_log $SHUNT_TMP/error.log warn;
events { use epoll; worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 5;
    client_body_temp_path $SHUNT_TMP/body;
    proxy_temp_path $SHUNT_TMP/proxy;
    fastcgi_temp_path $SHUNT_TMP/fastcgi;
    uwsgi_temp_path $SHUNT_TMP/uwsgi;
    scgi_temp_path $SHUNT_TMP/scgi;
    server {
        listen $SHUNT_IP:8080 backlog=1024;
        root $www;
    }
}
CONF
shunt_run_bg nginx nginx -c "$SHUNT_TMP/nginx.conf" -p "$SHUNT_TMP"
wait_run_log "listening on TCP port 8080" nginx
log "nginx under shunt-run ready (pid $RUN_PID)"

start=$(date +%s.%N)
in_ns timeout 60 curl -sS --fail -o "$SHUNT_TMP/got/big.bin" "http://$SHUNT_IP:8080/big.bin" ||
    fail "curl of big.bin failed (nginx: $(tail -n 3 "$SHUNT_TMP/error.log" 2>/dev/null))"
secs=$(python3 -c "import sys,time; print(f'{time.time() - float(sys.argv[1]):.2f}')" "$start")
[[ "$(sha "$www/big.bin")" == "$(sha "$SHUNT_TMP/got/big.bin")" ]] ||
    fail "big.bin: got $(stat -c %s "$SHUNT_TMP/got/big.bin") bytes, sha256 differs"
log "big.bin: $big MiB byte for byte in ${secs}s"

in_ns timeout 90 bash -c '
    for i in $(seq 1 "$1"); do
        curl -sS --fail --max-time 60 -o "$2/small.$i" "http://$3:8080/small.bin" || echo "curl $i failed" >&2 &
    done
    wait' _ "$par" "$SHUNT_TMP/got" "$SHUNT_IP"
want="$(sha "$www/small.bin")"
okc=0
for ((i = 1; i <= par; i++)); do
    [[ -f "$SHUNT_TMP/got/small.$i" && "$(sha "$SHUNT_TMP/got/small.$i")" == "$want" ]] && okc=$((okc + 1))
done
((okc == par)) || fail "parallel downloads: $okc of $par byte for byte"
log "$par parallel downloads byte for byte"

pid_alive "$RUN_PID" || fail "nginx exited during the test: $(tail -n 5 "$SHUNT_TMP/nginx.out")"
stop_pid "$RUN_PID"
((WAIT_RC == 0)) || fail "nginx exited with $WAIT_RC on SIGTERM: $(tail -n 5 "$SHUNT_TMP/nginx.out")"
run_log_check "AF_UNIX"
echo "PASS: netns.posix_nginx"
