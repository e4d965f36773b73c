#!/bin/sh
# shuntd on our VFIO NIC (SHUNT_MODEL: written for the igb, runs on any) serves 10.0.2.15/24 with
# HTTP on 8080; the guest kernel, through its own NIC at 10.0.2.2, pings it (56 bytes, and 4000:
# fragmented both ways), then moves data over TCP both ways with every byte checked against an
# independent reference: GET /bytes/N for several sizes and one of SHUNT_BIG_KB KiB (byte i is
# i mod 251, the pattern built here with printf), and POST /sink of SHUNT_UP_KB KiB of random
# bytes (shuntd's byte count and SHA-256 against sha256sum's). Needs shuntd and curl in
# /shunt/bin. Last, shuntd's own counters must show the frames went through the NIC driver.
# shellcheck source=tests/vm/guest/lib.sh
. /shunt/lib.sh
B=/shunt/bin
big_kb="${SHUNT_BIG_KB:-2048}"
up_kb="${SHUNT_UP_KB:-1024}"
for t in shuntd curl; do [ -x "$B/$t" ] || fail "$B/$t missing (run-guest.sh --bin)"; done
log() { echo "[$(cut -d' ' -f1 /proc/uptime) s] $*"; }
fail_diag() {
    echo "--- shuntd stats"
    cat /tmp/shuntd.json
    echo "--- shuntd log (tail)"
    tail -n 20 /tmp/shuntd.log
    echo "--- dmesg (tail)"
    dmesg | tail -n 10
    fail "$@"
}

# shellcheck disable=SC2046 # noiommu_flag is zero or one word
$B/shuntd --nic "pci:$SHUNT_VFIO_ADDR" $(noiommu_flag) --ip 10.0.2.15/24 --http 8080 \
    --stats-file /tmp/shuntd.json >/tmp/shuntd.log 2>&1 &
shuntd_pid=$!
i=0
while [ ! -s /tmp/shuntd.json ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -s /tmp/shuntd.json ] || fail_diag "shuntd did not start on pci:$SHUNT_VFIO_ADDR"
grep -q "link up" /tmp/shuntd.log || fail_diag "shuntd's driver did not report the link up"
cat /tmp/shuntd.log
i=0
until ping -c 1 -W 1 10.0.2.15 >/dev/null 2>&1 || [ "$i" -ge 20 ]; do i=$((i + 1)); done
[ "$i" -lt 20 ] || fail_diag "shuntd never answered a ping in 20 tries"
ping -c 3 -W 2 10.0.2.15 >/tmp/ping.out 2>&1 || true
cat /tmp/ping.out
grep -q "3 packets received" /tmp/ping.out || fail_diag "56-byte ping: expected 3 replies"
ping -c 3 -W 2 -s 4000 10.0.2.15 >/tmp/ping.out 2>&1 || true
cat /tmp/ping.out
grep -q "3 packets received" /tmp/ping.out || fail_diag "4000-byte ping: expected 3 replies"
log "ping: 56 and 4000 bytes answered"

big=$((big_kb * 1024))
make_pattern /tmp/pattern "$big"
url="http://10.0.2.15:8080"
for n in 0 1 250 251 1460 1461 65535 "$big"; do
    $B/curl --silent --show-error --fail --max-time 120 -o /tmp/body "$url/bytes/$n" ||
        fail_diag "GET /bytes/$n failed"
    [ "$(wc -c </tmp/body)" = "$n" ] || fail_diag "GET /bytes/$n: $(wc -c </tmp/body) bytes"
    head -c "$n" /tmp/pattern | cmp -s - /tmp/body || fail_diag "GET /bytes/$n: wrong bytes"
done
log "GET /bytes/N for 8 sizes up to $big: every byte right"

up=$((up_kb * 1024))
head -c "$up" /dev/urandom >/tmp/upload
digest="$(sha256sum /tmp/upload | cut -d' ' -f1)"
$B/curl --silent --show-error --fail --max-time 120 -H 'Content-Type: application/octet-stream' \
    --data-binary @/tmp/upload "$url/sink" >/tmp/sink.json || fail_diag "POST /sink failed"
[ "$(cat /tmp/sink.json)" = "{\"bytes\":$up,\"sha256\":\"$digest\"}" ] ||
    fail_diag "POST /sink answered $(cat /tmp/sink.json), expected $up bytes with SHA-256 $digest"
log "POST /sink of $up bytes: byte count and SHA-256 right"

kill -TERM "$shuntd_pid"
wait "$shuntd_pid" || fail_diag "shuntd exited non-zero on SIGTERM"
cat /tmp/shuntd.json
# The NIC's own counters: the transfers went through the driver, frames one by one.
rx="$(tr ',' '\n' </tmp/shuntd.json | sed -n 's/.*"rx_packets": *\([0-9]*\).*/\1/p' | head -n 1)"
tx="$(tr ',' '\n' </tmp/shuntd.json | sed -n 's/.*"tx_packets": *\([0-9]*\).*/\1/p' | head -n 1)"
[ "${rx:-0}" -ge $((up / 1514)) ] || fail "shuntd's NIC counted ${rx:-none} received frames, expected >= $((up / 1514))"
[ "${tx:-0}" -ge $((big / 1514)) ] || fail "shuntd's NIC counted ${tx:-none} sent frames, expected >= $((big / 1514))"
echo "ok: shuntd on pci:$SHUNT_VFIO_ADDR ($SHUNT_MODEL) answered ping and moved TCP data both ways, every byte right"
