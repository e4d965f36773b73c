#!/usr/bin/env bash
# netns.tcp_http[_netem]: shuntd's HTTP/1.1 service against the kernel's TCP (curl) over the
# TAP. GET /bytes/N for small and boundary sizes and one big download, every byte checked
# (byte i == i mod 251); keep-alive (three requests on one connection); POST /sink of a random
# upload whose byte count and SHA-256 come back right; 404 for an unknown path. With NETEM set
# (e.g. "loss 5% delay 2ms reorder 25% 50% duplicate 1%") the kernel side of the TAP impairs
# both directions: its egress (what it sends to shuntd: upload data, download ACKs) and, through
# an ifb device, its ingress (what shuntd sends: download data, upload ACKs).
# Usage: tcp_http.sh SHUNTD BIG_MB UPLOAD_MB [NETEM...]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shuntd="${1:?usage: tcp_http.sh SHUNTD BIG_MB UPLOAD_MB [NETEM...]}"
big_mb="${2:?big download size in MiB}"
up_mb="${3:?upload size in MiB}"
shift 3
netem="$*"
check="$(dirname "${BASH_SOURCE[0]}")/tcp_check.py"
require_cmds curl sha256sum
netns_init "tcp-http${netem:+-netem}" 600
shuntd_start "$shuntd" --http 80
peer_up
if [[ -n "$netem" ]]; then
    require_cmds tc
    # shellcheck disable=SC2086 # netem's words
    if ! in_ns tc qdisc add dev "$SHUNT_TAP" root netem $netem 2>"$SHUNT_TMP/tc.err"; then
        grep -q "qdisc kind is unknown" "$SHUNT_TMP/tc.err" &&
            skip "this kernel has no sch_netem ($(uname -r)): the impaired-link run needs it"
        fail "tc qdisc add netem $netem failed: $(cat "$SHUNT_TMP/tc.err")"
    fi
    in_ns ip link add ifb-shunt type ifb || fail "no ifb device (modprobe ifb) for ingress netem"
    in_ns ip link set dev ifb-shunt up
    in_ns tc qdisc add dev "$SHUNT_TAP" handle ffff: ingress
    in_ns tc filter add dev "$SHUNT_TAP" parent ffff: matchall action mirred egress redirect dev ifb-shunt ||
        fail "tc filter to ifb failed"
    # shellcheck disable=SC2086 # netem's words
    in_ns tc qdisc add dev ifb-shunt root netem $netem || fail "tc qdisc add netem on ifb failed"
    log "netem both ways on the kernel's side of $SHUNT_TAP: $netem"
fi
url="http://$SHUNT_IP"
curl_ns() { in_ns curl --silent --show-error --fail --max-time 300 "$@"; }

for n in 0 1 250 251 1460 1461 65535 1000000; do
    curl_ns "$url/bytes/$n" | python3 "$check" pattern "$n" >/dev/null ||
        fail "GET /bytes/$n: wrong body"
done
log "GET /bytes/N for 8 sizes up to 1000000: every body right"

big=$((big_mb * 1024 * 1024))
t0=$(date +%s.%N)
curl_ns "$url/bytes/$big" | python3 "$check" pattern "$big" || fail "GET /bytes/$big: wrong body"
t1=$(date +%s.%N)
log "GET /bytes/$big ($big_mb MiB) in $(python3 -c "print(f'{$t1 - $t0:.1f} s, {$big_mb * 8.388608 / ($t1 - $t0):.0f} Mbit/s')")"

# Keep-alive: three requests, one connection (curl says when it reuses one).
in_ns curl --silent --show-error --fail --max-time 60 -v -o /dev/null -o /dev/null -o /dev/null \
    "$url/bytes/10" "$url/bytes/20" "$url/bytes/30" 2>"$SHUNT_TMP/keepalive.err" ||
    fail "keep-alive requests failed: $(tail -n 5 "$SHUNT_TMP/keepalive.err")"
grep -qi "re-using existing connection" "$SHUNT_TMP/keepalive.err" ||
    fail "curl did not reuse the connection for the second request"
[[ "$(grep -c '^< HTTP/1.1 200' "$SHUNT_TMP/keepalive.err")" == 3 ]] || fail "expected three 200 responses"
log "keep-alive: three requests on one connection"

code="$(in_ns curl --silent --max-time 30 -o /dev/null -w '%{http_code}' "$url/nope")"
[[ "$code" == 404 ]] || fail "GET /nope answered $code, expected 404"

head -c "$((up_mb * 1024 * 1024))" /dev/urandom >"$SHUNT_TMP/upload"
digest="$(sha256sum "$SHUNT_TMP/upload" | cut -d' ' -f1)"
t0=$(date +%s.%N)
curl_ns -H 'Content-Type: application/octet-stream' --data-binary "@$SHUNT_TMP/upload" \
    "$url/sink" >"$SHUNT_TMP/sink.json" || fail "POST /sink failed"
t1=$(date +%s.%N)
python3 "$check" sink-json "$((up_mb * 1024 * 1024))" "$digest" <"$SHUNT_TMP/sink.json" ||
    fail "POST /sink answered wrong"
log "POST /sink of $up_mb MiB in $(python3 -c "print(f'{$t1 - $t0:.1f} s')"): bytes and SHA-256 right"
log "stats: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print({k: v for k, v in d.get("tcp", {}).items()})' "$SHUNT_STATS" 2>/dev/null || true)"
echo "PASS: netns.tcp_http${netem:+ with netem $netem}"
