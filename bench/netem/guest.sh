#!/bin/sh
# Runs in the vm-tier guest (bench/netem/run.sh boots it): the same download through the same
# impaired link, by the Linux kernel's TCP and by shunt's, round robin, so both see the same
# guest and host load. The link is netem on one side's egress and, through an ifb, its ingress
# (as in vm.tcp.netem.*), with segmentation offloads off so netem sees every segment.
#
#   Linux  socat serves the file from netns "srv" to socat in netns "cli" over a veth pair;
#          netem on the client's veth
#   shunt  shuntd (HTTP, /bytes/N) on a TAP in netns "tap"; curl in the same netns fetches it;
#          netem on the kernel's side of the TAP
#
# Both move SHUNT_BIG_MB MiB of the /bytes/ pattern (byte i is i mod 251) and the digest of
# each transfer is checked against the pattern's. Prints one line per transfer and the medians.
# shellcheck source=tests/vm/guest/lib.sh
. /shunt/lib.sh
B=/shunt/bin
netem="${SHUNT_NETEM:?}"
big=$((${SHUNT_BIG_MB:?} * 1024 * 1024))
rounds="${SHUNT_ROUNDS:?}"
MODDIR="/lib/modules/$(uname -r)/kernel"
for m in net/sched/sch_netem.ko net/sched/sch_ingress.ko net/sched/cls_matchall.ko \
    net/sched/act_mirred.ko drivers/net/ifb.ko drivers/net/veth.ko drivers/net/tun.ko; do
    insmod "$MODDIR/$m" || fail "insmod $m failed"
done
now() { cut -d' ' -f1 /proc/uptime; }

make_pattern /tmp/pattern "$big" # guest/lib.sh: built without shunt
head -c "$big" /tmp/pattern >/tmp/big && rm /tmp/pattern
want="$(sha256sum /tmp/big | cut -d' ' -f1)"

for ns in srv cli tap; do $B/ip netns add $ns && $B/ip -n $ns link set lo up; done
$B/ip link add vcli type veth peer name vsrv || fail "veth"
$B/ip link set vcli netns cli
$B/ip link set vsrv netns srv
$B/ip -n cli addr add 10.9.0.1/24 dev vcli
$B/ip -n srv addr add 10.9.0.2/24 dev vsrv
$B/ip -n cli link set vcli up
$B/ip -n srv link set vsrv up
# shellcheck disable=SC2086 # netem's words
netem_both_ways cli vcli $netem
$B/ip netns exec srv $B/socat -U TCP-LISTEN:8080,reuseaddr,fork FILE:/tmp/big </dev/null \
    >/dev/null 2>&1 &

$B/ip -n tap tuntap add dev shunt0 mode tap || fail "tap"
$B/ip -n tap addr add 10.77.0.1/24 dev shunt0
$B/ip -n tap link set shunt0 up
$B/ip netns exec tap $B/shuntd --nic tap:shunt0 --ip 10.77.0.2/24 --http 80 \
    --stats-file /tmp/shuntd.json >/tmp/shuntd.log 2>&1 &
i=0
while [ ! -s /tmp/shuntd.json ] && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
[ -s /tmp/shuntd.json ] || { cat /tmp/shuntd.log; fail "shuntd did not start"; }
# shellcheck disable=SC2086 # netem's words
netem_both_ways tap shunt0 $netem
sleep 1
echo "netem both ways: $netem; $((big / 1048576)) MiB per transfer, $rounds rounds"

# run NAME CMD...: times one transfer, checks its digest, prints and records Mbit/s.
run() {
    name="$1"
    shift
    t0=$(now)
    got="$("$@" | sha256sum | cut -d' ' -f1)"
    t1=$(now)
    [ "$got" = "$want" ] || fail "$name: wrong bytes"
    rate="$(awk "BEGIN{printf \"%.2f\", $big * 8 / ($t1 - $t0) / 1e6}")"
    echo "$name: $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s, $rate Mbit/s"
    echo "$rate" >>"/tmp/rates.$name"
}
r=0
while [ "$r" -lt "$rounds" ]; do
    run linux $B/ip netns exec cli timeout 600 $B/socat -u TCP:10.9.0.2:8080 -
    run shunt $B/ip netns exec tap timeout 600 $B/curl --silent --fail "http://10.77.0.2/bytes/$big"
    r=$((r + 1))
done
median() { sort -n "/tmp/rates.$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
lin="$(median linux)"
shu="$(median shunt)"
echo "median Mbit/s: linux $lin, shunt $shu, shunt/linux $(awk "BEGIN{printf \"%.2f\", $shu / $lin}")"
echo "shuntd: $(sed -n 's/.*"tcp":{\([^}]*\)}.*/\1/p' /tmp/shuntd.json | cut -c1-400)"
