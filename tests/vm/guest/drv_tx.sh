#!/bin/sh
# shunt-pktgen on our NIC (e1000/e1000e driver over VFIO): the link comes up and the MAC is read
# from the NIC; DRV_FRAMES 60-byte frames with software checksums, then DRV_FRAMES 1000-byte
# frames with checksum offload, all counted by the kernel peer. The host then finds every frame
# byte-exact in wire.pcap (drv_wire_check.py tx).
. /shunt/lib.sh
n="${DRV_FRAMES:-200}"
peer_rx() { cat "/sys/class/net/$SHUNT_PEER_IF/statistics/rx_packets"; }

pktgen() {
    # shellcheck disable=SC2046 # noiommu_flag is zero or one word
    shunt-pktgen --nic "pci:$SHUNT_VFIO_ADDR" $(noiommu_flag) --dst-mac 52:54:00:12:34:57 "$@" \
        >/tmp/pktgen.out 2>/tmp/pktgen.err || {
        cat /tmp/pktgen.out /tmp/pktgen.err
        fail "shunt-pktgen $* exited $?"
    }
    cat /tmp/pktgen.out /tmp/pktgen.err
}

# The peer must be receiving before we send: its link up (autonegotiation in QEMU takes a
# moment after "ip link set up") and 1 s more, since QEMU's NIC models hold frames back for
# 1 s after the kernel driver writes RCTL (docs/drivers.md).
i=0
while [ "$(cat "/sys/class/net/$SHUNT_PEER_IF/operstate")" != up ] && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ "$(cat "/sys/class/net/$SHUNT_PEER_IF/operstate")" = up ] || fail "peer $SHUNT_PEER_IF never came up"
sleep 1.5
before="$(peer_rx)"
pktgen --count "$n" --size 60
grep -q "driver $SHUNT_MODEL mac 52:54:00:12:34:56 link up 1000 Mbit/s" /tmp/pktgen.out ||
    fail "pktgen did not report link up at 1000 Mbit/s with QEMU's MAC 52:54:00:12:34:56"
grep -q "^pktgen: sent $n frames" /tmp/pktgen.out || fail "pktgen did not send $n frames"
pktgen --count "$n" --seq-start "$n" --size 1000 --offload
grep -q "^pktgen: sent $n frames" /tmp/pktgen.out || fail "pktgen --offload did not send $n frames"

# The peer's driver counts on its own interrupt: give it a moment.
want=$((2 * n))
i=0
while [ $(($(peer_rx) - before)) -lt "$want" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
delta=$(($(peer_rx) - before))
echo "peer $SHUNT_PEER_IF rx_packets +$delta (pktgen sent $want)"
for f in /sys/class/net/"$SHUNT_PEER_IF"/statistics/*; do
    v="$(cat "$f")"
    [ "$v" = 0 ] || echo "  peer $(basename "$f") $v"
done
[ "$delta" -ge "$want" ] || fail "the kernel peer received $delta of the $want frames"
echo "ok: the kernel peer received all $want frames"
