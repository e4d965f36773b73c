#!/bin/sh
# shuntctl channels and rss on a multi-queue NIC the guest kernel drives (the igb at 00:0a.0,
# igb topology), checked with the real ethtool (copied in): the channel counts ethtool -l
# reports before and after `channels --combined 2`, and the indirection table ethtool -x shows
# after `rss --equal 2` (entry i on ring i mod 2), then `rss --default`. n-tuple rules: the igb
# driver has no rule table on the 82576 (ethtool -N gets EOPNOTSUPP), and shuntctl says so in
# one line whether it picks the slot or is given one.
. /shunt/lib.sh
addr=0000:00:0a.0
ETHTOOL=/shunt/bin/ethtool
[ -x "$ETHTOOL" ] || fail "no ethtool in /shunt/bin (run-guest.sh --bin /usr/sbin/ethtool)"
mods="/lib/modules/$(uname -r)/kernel"
for m in drivers/dca/dca.ko drivers/i2c/algos/i2c-algo-bit.ko drivers/net/ethernet/intel/igb/igb.ko; do
    insmod "$mods/$m" || fail "insmod $m failed"
done
i=0
while [ -z "$(ls "/sys/bus/pci/devices/$addr/net" 2>/dev/null)" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ifname="$(ls "/sys/bus/pci/devices/$addr/net" 2>/dev/null)"
[ -n "$ifname" ] || fail "igb made no interface for $addr"
ip link set dev "$ifname" up

# combined_of SECTION: the Combined count in ethtool -l's "Pre-set maximums" or "Current".
combined_of() {
    "$ETHTOOL" -l "$ifname" | awk -v s="$1" '$0 ~ s {on = 1} on && /^Combined:/ {print $2; exit}'
}
"$ETHTOOL" -l "$ifname"
shuntctl channels "$ifname" --json >/tmp/ch.json || fail "shuntctl channels $ifname failed"
cat /tmp/ch.json
max="$(combined_of "maximums")"
cur="$(combined_of "Current")"
grep -q "\"max_combined\": *$max\b" /tmp/ch.json || fail "shuntctl says another max_combined than ethtool's $max"
grep -q "\"combined\": *$cur\b" /tmp/ch.json || fail "shuntctl says another combined count than ethtool's $cur"
[ "$max" -ge 2 ] || fail "igb offers $max combined channels, expected several"
shuntctl channels "$ifname" --combined 2 || fail "shuntctl channels --combined 2 failed"
[ "$(combined_of "Current")" = 2 ] || { "$ETHTOOL" -l "$ifname"; fail "ethtool -l does not show 2 combined channels"; }
echo "ok: channels: ethtool -l agrees ($max max, $cur before), and shows 2 after --combined 2"

# table: the indirection table entries as ethtool -x lists them, space separated.
table() { "$ETHTOOL" -x "$ifname" | awk '/^ *[0-9]+: / {for (i = 2; i <= NF; i++) printf "%s ", $i}'; }
shuntctl rss "$ifname" --equal 2 || fail "shuntctl rss --equal 2 failed"
"$ETHTOOL" -x "$ifname"
got="$(table)"
n="$(echo "$got" | wc -w)"
[ "$n" -ge 8 ] || fail "ethtool -x lists $n indirection entries"
want="$(awk -v n="$n" 'BEGIN {for (i = 0; i < n; i++) printf "%d ", i % 2}')"
[ "$got" = "$want" ] || fail "indirection table after --equal 2 is '$got', expected '$want'"
shuntctl rss "$ifname" --json >/tmp/rss.json || fail "shuntctl rss --json failed"
echo "ok: rss --equal 2: ethtool -x shows all $n entries on rings 0,1 alternately"
shuntctl rss "$ifname" --default || fail "shuntctl rss --default failed"
echo "ok: rss --default: $(table | tr ' ' '\n' | sort -u | tr '\n' ' ')in use"

# ethtool 6.1 exits 0 even when the driver refuses the rule ("rmgr: Cannot insert RX class
# rule: Operation not supported"), so its words and ethtool -n tell what happened.
"$ETHTOOL" -k "$ifname" | grep ntuple
"$ETHTOOL" -N "$ifname" flow-type tcp4 dst-port 80 action 1 >/tmp/n.out 2>&1 || true
echo "ethtool -N: $(cat /tmp/n.out)"
grep -q "Operation not supported" /tmp/n.out ||
    fail "the kernel's igb took an n-tuple rule on the 82576; extend this test to compare with it"
for rule in "flow-type tcp4 dst-port 80 action 1" "flow-type udp4 dst-port 4789 action 0 loc 3"; do
    rc=0
    # shellcheck disable=SC2086 # the rule's words
    shuntctl steer "$ifname" add $rule >/tmp/steer.out 2>/tmp/steer.err || rc=$?
    [ "$rc" = 1 ] || fail "shuntctl steer add $rule exited $rc, expected 1"
    [ "$(wc -l </tmp/steer.err)" = 1 ] || fail "not one line: $(cat /tmp/steer.err)"
    grep -q "igb on $ifname does not support" /tmp/steer.err || fail "unexpected message: $(cat /tmp/steer.err)"
    echo "ok: $(cat /tmp/steer.err)"
done
shuntctl steer "$ifname" list --json >/tmp/list.json || fail "shuntctl steer list failed"
grep -q '"rules": \[\]' /tmp/list.json || fail "rules listed on a NIC without a rule table: $(cat /tmp/list.json)"
"$ETHTOOL" -n "$ifname" | grep -q "Total 0 rules" || fail "ethtool -n lists rules"
echo "ok: n-tuple: the igb driver has no rule table, shuntctl and ethtool agree"
