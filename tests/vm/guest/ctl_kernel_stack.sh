#!/bin/sh
# From a kernel-owned interface to shuntd serving its address and back, with two commands:
# `shuntctl kernel-stack off IFACE --unbind`, then shuntd on the NIC, then `shuntctl
# kernel-stack on IFACE`. The interface is the guest kernel's NIC at 00:04.0 (ctl topology)
# with 10.0.2.1/24 and a route; the peer (00:03.0) sits in its own network namespace on the
# same wire (iproute2's ip, copied in, does the namespace). The peer pings 10.0.2.1: the kernel
# answers, then shuntd (its stats count the replies), then the kernel again, and ip -j addr,
# ip -j route and ip -j link of the interface are the same as before (ifindex aside: the
# driver makes a new netdev when the NIC comes back).
. /shunt/lib.sh
addr="$SHUNT_PEER_ADDR2"
dev="/sys/bus/pci/devices/$addr"
ifname="$(ls "$dev/net")"
# iproute2's ip by its path: busybox sh runs its own applet for a bare "ip".
IP=/shunt/bin/ip
[ -x "$IP" ] || fail "no iproute2 ip in /shunt/bin (run-guest.sh --bin /usr/bin/ip)"
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
peer() { "$IP" netns exec peer "$@"; }

# The peer into its own namespace, so that its pings really cross the wire.
mkdir -p /var/run/netns
"$IP" netns add peer || fail "ip netns add failed"
"$IP" link set dev "$SHUNT_PEER_IF" netns peer || fail "moving $SHUNT_PEER_IF into the peer namespace failed"
peer "$IP" link set dev lo up
peer "$IP" addr add 10.0.2.2/24 dev "$SHUNT_PEER_IF"
peer "$IP" link set dev "$SHUNT_PEER_IF" up
"$IP" addr add 10.0.2.1/24 dev "$ifname" || fail "ip addr add on $ifname failed"
"$IP" link set dev "$ifname" up
"$IP" route add 10.9.0.0/16 via 10.0.2.2 dev "$ifname" || fail "ip route add failed"

# snapshot FILE: the interface as ip -j shows it, ifindex removed, once DAD and carrier settled.
snapshot() {
    i=0
    while [ "$i" -lt 100 ]; do
        s="$("$IP" -j addr show dev "$ifname" 2>/dev/null)"
        case "$s" in *tentative* | "") ;; *'"operstate":"UP"'*) break ;; esac
        sleep 0.1
        i=$((i + 1))
    done
    {
        "$IP" -j addr show dev "$ifname"
        "$IP" -j route show dev "$ifname"
        "$IP" -j -6 route show dev "$ifname"
        "$IP" -j link show dev "$ifname"
        cat "/proc/sys/net/ipv6/conf/$ifname/disable_ipv6"
    } | sed 's/"ifindex":[0-9]*,//g' >"$1"
}
# pings N: N echo requests from the peer to 10.0.2.1, all answered, after a bounded warm-up.
pings() {
    i=0
    until peer ping -c 1 -W 1 10.0.2.1 >/dev/null 2>&1 || [ "$i" -ge 20 ]; do i=$((i + 1)); done
    peer ping -c "$1" -W 2 10.0.2.1 >/tmp/ping.out 2>&1 || true
    grep -q "$1 packets received" /tmp/ping.out
}

snapshot /tmp/before
pings 3 || { cat /tmp/ping.out; fail "the kernel did not answer on $ifname before"; }
echo "ok: the kernel answers on $ifname ($addr) at 10.0.2.1"

# Command 1.
shuntctl kernel-stack off "$ifname" --unbind || fail "shuntctl kernel-stack off $ifname --unbind failed"
[ "$(driver_of "$addr")" = vfio-pci ] || fail "$addr is on '$(driver_of "$addr")', expected vfio-pci"
shuntctl kernel-stack status
# shellcheck disable=SC2046 # noiommu_flag is zero or one word
shuntd --nic "pci:$addr" $(noiommu_flag) --ip 10.0.2.1/24 --stats-file /tmp/shuntd.json \
    >/tmp/shuntd.log 2>&1 &
shuntd_pid=$!
i=0
while [ ! -s /tmp/shuntd.json ] && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
[ -s /tmp/shuntd.json ] || { cat /tmp/shuntd.log; fail "shuntd did not start on pci:$addr"; }
pings 5 || { cat /tmp/ping.out /tmp/shuntd.log; fail "shuntd did not answer on 10.0.2.1"; }
kill -TERM "$shuntd_pid"
rc=0
wait "$shuntd_pid" || rc=$?
[ "$rc" = 0 ] || { cat /tmp/shuntd.log; fail "shuntd exited $rc on SIGTERM"; }
replies="$(sed -n 's/.*"icmp_echo_replies": *\([0-9]*\).*/\1/p' /tmp/shuntd.json)"
[ "${replies:-0}" -ge 5 ] || { cat /tmp/shuntd.json; fail "shuntd's stats count ${replies:-0} echo replies, expected at least 5"; }
echo "ok: shuntd served 10.0.2.1 on $addr ($replies echo replies)"

# Command 2.
shuntctl kernel-stack on "$ifname" || fail "shuntctl kernel-stack on $ifname failed"
[ "$(driver_of "$addr")" = "$SHUNT_MODEL" ] || fail "$addr is on '$(driver_of "$addr")', expected $SHUNT_MODEL"
[ -e "/sys/class/net/$ifname" ] || fail "no interface named $ifname after kernel-stack on (have: $(ls /sys/class/net))"
snapshot /tmp/after
if ! cmp -s /tmp/before /tmp/after; then
    echo "--- before"; cat /tmp/before; echo "--- after"; cat /tmp/after
    fail "$ifname is not as it was before kernel-stack off"
fi
echo "ok: ip -j addr/route/link and disable_ipv6 of $ifname are as before"
pings 3 || { cat /tmp/ping.out; fail "the kernel did not answer on $ifname after kernel-stack on"; }
echo "ok: the kernel answers on $ifname again"
