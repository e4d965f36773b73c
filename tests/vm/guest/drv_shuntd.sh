#!/bin/sh
# shuntd on our VFIO NIC serves 10.0.2.15/24 on the emulated wire; the guest kernel, through
# its own e1000/e1000e at 10.0.2.2, pings it (56 bytes, and 4000 bytes: fragmented both ways)
# and sends UDP echo datagrams of many sizes (udp_echo_check: byte-exact round trips).
. /shunt/lib.sh
# shellcheck disable=SC2046 # noiommu_flag is zero or one word
shuntd --nic "pci:$SHUNT_VFIO_ADDR" $(noiommu_flag) --ip 10.0.2.15/24 \
    --stats-file /tmp/shuntd.json >/tmp/shuntd.log 2>&1 &
shuntd_pid=$!
i=0
while [ ! -s /tmp/shuntd.json ] && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
[ -s /tmp/shuntd.json ] || { cat /tmp/shuntd.log; fail "shuntd did not start on pci:$SHUNT_VFIO_ADDR"; }
# QEMU holds frames back for about 1 s after RCTL is written (docs/drivers.md), longer when the
# host is loaded: wait (bounded) for a first answered ping before the measured ones.
i=0
until ping -c 1 -W 1 10.0.2.15 >/dev/null 2>&1 || [ "$i" -ge 20 ]; do i=$((i + 1)); done
[ "$i" -lt 20 ] || { cat /tmp/shuntd.log /tmp/shuntd.json; fail "shuntd never answered a ping in 20 tries"; }
ping -c 3 -W 2 10.0.2.15 >/tmp/ping.out 2>&1 || true
cat /tmp/ping.out
grep -q "3 packets received" /tmp/ping.out || { cat /tmp/shuntd.log /tmp/shuntd.json; fail "56-byte ping: expected 3 replies"; }
ping -c 3 -W 2 -s 4000 10.0.2.15 >/tmp/ping.out 2>&1 || true
cat /tmp/ping.out
grep -q "3 packets received" /tmp/ping.out || { cat /tmp/shuntd.log /tmp/shuntd.json; fail "4000-byte ping: expected 3 replies"; }
udp_echo_check --dst 10.0.2.15 --sizes 0-64,512,1472,1473,4000,8000 >/tmp/udp.out 2>&1 ||
    { cat /tmp/udp.out /tmp/shuntd.json; fail "udp echo through shuntd failed"; }
cat /tmp/udp.out
kill -TERM "$shuntd_pid"
wait "$shuntd_pid" || { cat /tmp/shuntd.log; fail "shuntd exited non-zero on SIGTERM"; }
cat /tmp/shuntd.json
echo "ok: shuntd on pci:$SHUNT_VFIO_ADDR answered ping and UDP echo"
