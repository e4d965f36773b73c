#!/bin/sh
# shunt-fwd between our two VFIO NICs (fwd topology: 02.0 on hub 0 with the peer, 04.0 on hub 1
# with peer 2), both directions at once. The peer pings 10.0.2.99 with a static neighbour entry
# that points at peer 2's MAC, so the requests only reach peer 2 through the forwarder; peer 2
# pings 10.0.3.99 pointed at the peer's MAC the same way. Nobody answers: the kernel drops the
# requests after its driver counted them. Each peer must receive at least DRV_FRAMES frames,
# shunt-fwd must report them in both directions, and the host check then finds every request
# byte-exact on the other hub's wire (drv_wire_check.py fwd).
. /shunt/lib.sh
n="${DRV_FRAMES:-50}"
[ -n "${SHUNT_PEER2_IF:-}" ] || fail "no second peer: run with --topology fwd"
mac_of() { cat "/sys/class/net/$1/address"; }
rx_of() { cat "/sys/class/net/$1/statistics/rx_packets"; }

ip addr add 10.0.3.2/24 dev "$SHUNT_PEER2_IF" || fail "ip addr add on $SHUNT_PEER2_IF failed"
arp -i "$SHUNT_PEER_IF" -s 10.0.2.99 "$(mac_of "$SHUNT_PEER2_IF")" || fail "arp -s failed"
arp -i "$SHUNT_PEER_IF" -s 10.0.2.98 "$(mac_of "$SHUNT_PEER2_IF")" || fail "arp -s failed"
arp -i "$SHUNT_PEER2_IF" -s 10.0.3.99 "$(mac_of "$SHUNT_PEER_IF")" || fail "arp -s failed"

# shellcheck disable=SC2046 # noiommu_flag is zero or one word
shunt-fwd --nic "pci:$SHUNT_VFIO_ADDR" --nic "pci:$SHUNT_VFIO_ADDR2" $(noiommu_flag) \
    --seconds 150 >/tmp/fwd.out 2>&1 &
fwd_pid=$!
i=0
while ! grep -q "^fwd: port 1" /tmp/fwd.out && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "^fwd: port 1" /tmp/fwd.out || { cat /tmp/fwd.out; fail "shunt-fwd did not start"; }
[ "$(grep -c "^fwd: port .* link up" /tmp/fwd.out)" = 2 ] || { cat /tmp/fwd.out; fail "a port's link is down"; }
# Warm up past QEMU's hold on receive after RCTL is written (docs/drivers.md): ping a second
# address (not counted by the host check) until the forwarder's per-second line shows traffic.
i=0
while ! grep "^fwd: 1s: 0->1" /tmp/fwd.out | grep -vq " 0 frames" && [ "$i" -lt 20 ]; do
    ping -c 1 -W 1 10.0.2.98 >/dev/null 2>&1 || true
    i=$((i + 1))
done
grep "^fwd: 1s: 0->1" /tmp/fwd.out | grep -vq " 0 frames" ||
    { cat /tmp/fwd.out; fail "shunt-fwd forwarded none of the warm-up frames in $i s"; }

rx1_before="$(rx_of "$SHUNT_PEER_IF")"
rx2_before="$(rx_of "$SHUNT_PEER2_IF")"
ping -c "$n" -i 0.05 -W 1 -q 10.0.2.99 >/dev/null 2>&1 &
ping1=$!
ping -I "$SHUNT_PEER2_IF" -c "$n" -i 0.05 -W 1 -q 10.0.3.99 >/dev/null 2>&1 &
ping2=$!
wait "$ping1" || true # no replies expected
wait "$ping2" || true
sleep 1
rx1=$(($(rx_of "$SHUNT_PEER_IF") - rx1_before))
rx2=$(($(rx_of "$SHUNT_PEER2_IF") - rx2_before))
kill -INT "$fwd_pid"
rc=0
wait "$fwd_pid" || rc=$?
[ "$rc" = 0 ] || { cat /tmp/fwd.out; fail "shunt-fwd exited $rc"; }
cat /tmp/fwd.out
echo "peer $SHUNT_PEER_IF received $rx1 frames, peer 2 $SHUNT_PEER2_IF received $rx2"
[ "$rx2" -ge "$n" ] || fail "peer 2 received $rx2 frames, expected at least the $n forwarded requests"
[ "$rx1" -ge "$n" ] || fail "the peer received $rx1 frames, expected at least the $n forwarded requests"
for dir in "0->1" "1->0"; do
    total="$(sed -n "s/^fwd: total $dir .* \([0-9]*\) frames, .*/\1/p" /tmp/fwd.out)"
    [ "${total:-0}" -ge "$n" ] || fail "shunt-fwd forwarded ${total:-0} frames $dir, expected at least $n"
    echo "ok: shunt-fwd forwarded $total frames $dir"
done
