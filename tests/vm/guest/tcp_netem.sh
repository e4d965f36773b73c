#!/bin/sh
# vm.tcp.netem.*: shunt's TCP against the Linux kernel's TCP over an impaired link. The host
# kernel of these machines has no sch_netem; Debian's guest kernel has it, so the netns tier's
# TCP checks run here, with `tc netem` on the kernel's side impairing both directions: its
# egress (what it sends to shunt) and, through an ifb device, its ingress (what shunt sends).
#
# SHUNT_TCP_NIC picks shunt's side of the wire:
#   tap  shuntd on a TAP device of the guest (the netns tier's setting), kernel at 10.77.0.1
#   pci  shuntd on the VFIO NIC (our e1000/e1000e driver, interrupt mode), kernel's NIC 10.0.2.2
# SHUNT_NETEM holds netem's words ("loss 5% delay 2ms reorder 25% 50% duplicate 1%"). Sizes:
# SHUNT_BIG_MB (download), SHUNT_UP_MB (upload), SHUNT_ECHO_MB (echo, discard and the active
# open), SHUNT_CONCURRENT (connections at once, an even number).
#
# Checked, every byte compared with an independent reference (a pattern file built here with
# printf, the upload's digest from sha256sum):
#   GET /bytes/N for 8 sizes and one big download; keep-alive; 404; POST /sink (bytes, SHA-256);
#   socat through echo (7) with a half-close; socat to discard (9); SHUNT_CONCURRENT HTTP
#   connections at once (two curl processes, --parallel), each body right; shunt-nc's active
#   open to the kernel's socat echo server, byte for byte back. And that netem really impaired
#   the link: both netem qdiscs dropped packets and shunt's TCP retransmitted.
# Needs in /shunt/bin: shuntd shunt-nc curl socat tc ip (iproute2's) ethtool.
# shellcheck source=tests/vm/guest/lib.sh
. /shunt/lib.sh
# shellcheck disable=SC3040 # busybox's ash has pipefail
set -o pipefail

nic="${SHUNT_TCP_NIC:?}"
netem="${SHUNT_NETEM:?}"
big_mb="${SHUNT_BIG_MB:?}"
up_mb="${SHUNT_UP_MB:?}"
echo_mb="${SHUNT_ECHO_MB:?}"
concurrent="${SHUNT_CONCURRENT:?}"
# busybox sh runs its own applets for names it knows (ip, tc, nc): name the real tools by path.
B=/shunt/bin
for t in shuntd shunt-nc curl socat tc ip ethtool; do
    [ -x "$B/$t" ] || fail "$B/$t missing (run-guest.sh --bin)"
done
MODDIR="/lib/modules/$(uname -r)/kernel"
log() { echo "[$(cut -d' ' -f1 /proc/uptime) s] $*"; }
# On failure, what shuntd and the guest kernel saw: its counters (drops by reason, NIC and TCP
# counters), its log and the kernel's last messages (e.g. DMA faults).
fail_diag() {
    echo "--- shuntd stats"
    cat /tmp/shuntd.json
    echo "--- shuntd log (tail)"
    tail -n 20 /tmp/shuntd.log
    echo "--- dmesg (tail)"
    dmesg | tail -n 20
    fail "$@"
}
# shellcheck disable=SC3045 # busybox's ash has ulimit -n
ulimit -n 4096 || fail "cannot raise the descriptor limit for $concurrent connections"

for m in net/sched/sch_netem.ko net/sched/sch_ingress.ko net/sched/cls_matchall.ko \
    net/sched/act_mirred.ko drivers/net/ifb.ko; do
    insmod "$MODDIR/$m" || fail "insmod $m failed"
done

# ---- shunt's side and the kernel's side of the wire ----
case "$nic" in
tap)
    insmod "$MODDIR/drivers/net/tun.ko" || fail "insmod tun.ko failed"
    kif=shunt0
    srv=10.77.0.2
    kip=10.77.0.1
    # A persistent TAP, so shuntd and later shunt-nc attach to the same device and qdiscs.
    $B/ip tuntap add dev $kif mode tap || fail "ip tuntap add $kif failed"
    $B/ip addr add $kip/24 dev $kif
    $B/ip link set dev $kif up
    nic_args="--nic tap:$kif --mac 02:77:00:00:00:02"
    ;;
pci)
    kif="$SHUNT_PEER_IF"
    srv=10.0.2.1
    kip=10.0.2.2 # init.sh gave the peer NIC this address
    nic_args="--nic pci:$SHUNT_VFIO_ADDR $(noiommu_flag) --interrupts"
    ;;
*) fail "SHUNT_TCP_NIC must be tap or pci, not '$nic'" ;;
esac
# A request's headers may take longer than shuntd's default 10 s here: 5% loss on 500
# connections at once under TCG (a lost SYN and request retransmitted with backoff); one run
# failed on it (header_timeouts 1, curl: Empty reply). 60 s is nginx's client_header_timeout.
# shellcheck disable=SC2086 # nic_args is several words
$B/shuntd $nic_args --ip $srv/24 --http 80 --header-timeout 60 --stats-file /tmp/shuntd.json \
    --stats-interval-ms 200 >/tmp/shuntd.log 2>&1 &
shuntd_pid=$!
stop_shuntd() {
    kill -TERM "$shuntd_pid" 2>/dev/null
    wait "$shuntd_pid" || { cat /tmp/shuntd.log; fail "shuntd exited non-zero on SIGTERM"; }
}
i=0
while [ ! -s /tmp/shuntd.json ] && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
[ -s /tmp/shuntd.json ] || { cat /tmp/shuntd.log; fail "shuntd did not start ($nic_args)"; }
# QEMU holds frames back for a while after RCTL is written (docs/drivers.md): wait, bounded,
# for a first answered ping before impairing anything.
i=0
until ping -c 1 -W 1 "$srv" >/dev/null 2>&1 || [ "$i" -ge 30 ]; do i=$((i + 1)); done
[ "$i" -lt 30 ] || { cat /tmp/shuntd.log; fail "shuntd never answered a ping in 30 tries"; }
log "shuntd serves $srv on $nic; the kernel is $kip on $kif"

# ---- netem both ways on the kernel's side ----
# shellcheck disable=SC2086 # netem's words
netem_both_ways - "$kif" $netem
log "netem both ways on $kif: $netem"

# ---- the reference: byte i is i mod 251, built without shunt ----
big=$((big_mb * 1024 * 1024))
make_pattern /tmp/pattern "$big"
want() { head -c "$1" /tmp/pattern | sha256sum | cut -d' ' -f1; }

url="http://$srv"
get_sha() { $B/curl --silent --show-error --fail --max-time 300 "$url/bytes/$1" | sha256sum | cut -d' ' -f1; }
for n in 0 1 250 251 1460 1461 65535 1000000; do
    [ "$(get_sha $n)" = "$(want $n)" ] || fail_diag "GET /bytes/$n: wrong body"
done
log "GET /bytes/N for 8 sizes up to 1000000: every body right"

t0=$(cut -d' ' -f1 /proc/uptime)
got="$(get_sha $big)" || fail_diag "GET /bytes/$big failed"
t1=$(cut -d' ' -f1 /proc/uptime)
[ "$got" = "$(want $big)" ] || fail_diag "GET /bytes/$big ($big_mb MiB): wrong body"
log "GET /bytes/$big ($big_mb MiB): every byte right, $(awk "BEGIN{printf \"%.1f s, %.1f Mbit/s\", $t1 - $t0, $big * 8 / ($t1 - $t0) / 1e6}")"

$B/curl --silent --show-error --fail --max-time 120 -v -o /dev/null -o /dev/null -o /dev/null \
    "$url/bytes/10" "$url/bytes/20" "$url/bytes/30" 2>/tmp/keepalive.err ||
    fail_diag "keep-alive requests failed: $(tail -n 5 /tmp/keepalive.err)"
grep -qi "re-using existing connection" /tmp/keepalive.err ||
    fail_diag "curl did not reuse the connection for the second request"
[ "$(grep -c '^< HTTP/1.1 200' /tmp/keepalive.err)" = 3 ] || fail_diag "expected three 200 responses"
code="$($B/curl --silent --max-time 60 -o /dev/null -w '%{http_code}' "$url/nope")"
[ "$code" = 404 ] || fail_diag "GET /nope answered $code, expected 404"
log "keep-alive: three requests on one connection; unknown path: 404"

up=$((up_mb * 1024 * 1024))
head -c "$up" /dev/urandom >/tmp/upload
digest="$(sha256sum /tmp/upload | cut -d' ' -f1)"
t0=$(cut -d' ' -f1 /proc/uptime)
$B/curl --silent --show-error --fail --max-time 300 -H 'Content-Type: application/octet-stream' \
    --data-binary @/tmp/upload "$url/sink" >/tmp/sink.json || fail_diag "POST /sink failed"
t1=$(cut -d' ' -f1 /proc/uptime)
[ "$(cat /tmp/sink.json)" = "{\"bytes\":$up,\"sha256\":\"$digest\"}" ] ||
    fail_diag "POST /sink answered $(cat /tmp/sink.json), expected $up bytes with SHA-256 $digest"
rm -f /tmp/upload
log "POST /sink of $up_mb MiB in $(awk "BEGIN{printf \"%.1f s\", $t1 - $t0}"): bytes and SHA-256 right"

echo_bytes=$((echo_mb * 1024 * 1024))
head -c "$echo_bytes" /dev/urandom >/tmp/echo.in
timeout 300 $B/socat -t 60 - "TCP:$srv:7" </tmp/echo.in >/tmp/echo.out 2>/tmp/socat.err ||
    fail_diag "socat to echo failed: $(cat /tmp/socat.err)"
cmp /tmp/echo.in /tmp/echo.out || fail_diag "echo returned different bytes ($(wc -c </tmp/echo.out) of $echo_bytes)"
timeout 300 $B/socat -t 60 - "TCP:$srv:9" </tmp/echo.in >/tmp/discard.out 2>/tmp/socat.err ||
    fail_diag "socat to discard failed: $(cat /tmp/socat.err)"
[ ! -s /tmp/discard.out ] || fail_diag "discard sent bytes back"
log "echo: $echo_mb MiB back byte for byte through socat with a half-close; discard: clean close"

# Connections at once: curl opens at most 300 transfers in parallel, so two processes share
# them. Body i is /bytes/(1000 + 37 i): every connection carries a different length.
half=$((concurrent / 2))
mkdir -p /tmp/conc
for p in 0 1; do
    i=$((p * half))
    : >/tmp/conc/urls.$p
    while [ "$i" -lt $(((p + 1) * half)) ]; do
        echo "url = \"$url/bytes/$((1000 + 37 * i))\"" >>/tmp/conc/urls.$p
        echo "output = \"/tmp/conc/$i\"" >>/tmp/conc/urls.$p
        i=$((i + 1))
    done
done
fetch_all() {
    $B/curl --silent --show-error --fail --max-time 300 --parallel --parallel-immediate \
        --parallel-max "$half" --no-progress-meter --config "/tmp/conc/urls.$1" 2>"/tmp/conc/err.$1"
}
fetch_all 0 &
curl_pid_0=$!
fetch_all 1 &
curl_pid_1=$!
peak=0
while kill -0 "$curl_pid_0" 2>/dev/null || kill -0 "$curl_pid_1" 2>/dev/null; do
    now="$(sed -n 's/.*"tcp":{"connections":\([0-9]*\).*/\1/p' /tmp/shuntd.json)"
    [ -n "$now" ] && [ "$now" -gt "$peak" ] && peak="$now"
    sleep 0.2
done
wait "$curl_pid_0" || fail_diag "curl (first $half connections) failed: $(grep 'curl:' /tmp/conc/err.0 | head -n 3)"
wait "$curl_pid_1" || fail_diag "curl (second $half connections) failed: $(grep 'curl:' /tmp/conc/err.1 | head -n 3)"
i=0
bad=0
while [ "$i" -lt "$concurrent" ]; do
    n=$((1000 + 37 * i))
    head -c "$n" /tmp/pattern | cmp -s - "/tmp/conc/$i" || bad=$((bad + 1))
    i=$((i + 1))
done
[ "$bad" = 0 ] || fail_diag "$bad of $concurrent concurrent connections got a wrong body"
log "$concurrent HTTP connections at once (two curl --parallel): every body right; shuntd's stats showed up to $peak connections open"

tcp_stat() { sed -n "s/.*\"tcp\":{.*\"$1\":\([0-9]*\).*/\1/p" /tmp/shuntd.json; }
sleep 0.5 # one more stats period
retransmits="$(tcp_stat retransmits)"
stats_line="retransmits $retransmits, fast_retransmits $(tcp_stat fast_retransmits), rto_expirations $(tcp_stat rto_expirations), ooo_segments $(tcp_stat ooo_segments), dup_segments $(tcp_stat dup_segments)"
stop_shuntd
log "shuntd's TCP under netem: $stats_line"
[ "${retransmits:-0}" -gt 0 ] || fail_diag "shunt's TCP never retransmitted: was the link impaired at all?"

# ---- our active open, through the same impaired link, to the kernel's echo server ----
# -t 60: after our FIN, socat waits for cat's last bytes (its default 0.5 s lost the tail
# of the echo when the impaired link was slow to drain).
$B/socat -t 60 TCP-LISTEN:5000,reuseaddr,fork EXEC:cat </dev/null >/dev/null 2>&1 &
socat_pid=$!
sleep 0.5
# shellcheck disable=SC2086 # nic_args is several words
timeout 300 $B/shunt-nc $nic_args --ip $srv/24 $kip 5000 </tmp/echo.in >/tmp/nc.out 2>/tmp/nc.err ||
    fail_diag "shunt-nc to the kernel's echo server failed: $(cat /tmp/nc.err)"
kill "$socat_pid" 2>/dev/null
cmp /tmp/echo.in /tmp/nc.out || fail_diag "the kernel's echo came back different ($(wc -c </tmp/nc.out) of $echo_bytes bytes)"
log "active open: $echo_mb MiB through the kernel's socat echo and back, byte for byte, clean close"

for dev in "$kif" "ifb-$kif"; do
    line="$($B/tc -s qdisc show dev "$dev" | grep -A1 netem | sed -n 's/.*Sent \([0-9]*\) bytes \([0-9]*\) pkt (dropped \([0-9]*\).*/\2 packets, \3 dropped/p')"
    log "netem on $dev: $line"
    dropped="$(echo "$line" | sed -n 's/.*packets, \([0-9]*\) dropped/\1/p')"
    [ "${dropped:-0}" -gt 0 ] || fail_diag "netem on $dev dropped nothing: the link was not impaired"
done
echo "ok: TCP over $nic with netem ($netem): nothing lost or altered"
