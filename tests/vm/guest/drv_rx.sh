#!/bin/sh
# The kernel peer pings 10.0.2.99 (a static neighbour entry points it at our NIC, and nobody
# answers) DRV_FRAMES times; shunt-pcap on our NIC must capture every echo request. With
# DRV_IRQ=best|msix|msi|intx shunt-pcap sleeps on the NIC's interrupt of that kind instead of
# polling; the driver must have picked DRV_IRQ_EXPECT (msix|msi|intx: its log line and the
# vfio-<kind> line in /proc/interrupts) and that vector must really have fired. The capture
# goes to the console as base64 for the host's check (drv_wire_check.py rx), which also has
# tshark read it.
. /shunt/lib.sh
n="${DRV_FRAMES:-50}"
irq_flag=""
if [ -n "${DRV_IRQ:-}" ]; then
    irq_flag="--interrupts --irq $DRV_IRQ"
    case "${DRV_IRQ_EXPECT:-}" in
    msix) irq_label=MSI-X ;;
    msi) irq_label=MSI ;;
    intx) irq_label=INTx ;;
    *) fail "DRV_IRQ_EXPECT must be msix, msi or intx, not '${DRV_IRQ_EXPECT:-}'" ;;
    esac
fi
vfio_irqs() { grep vfio /proc/interrupts | awk '{s += $2} END {print s + 0}'; }

arp -i "$SHUNT_PEER_IF" -s 10.0.2.99 52:54:00:12:34:56 || fail "arp -s failed"
# shellcheck disable=SC2046,SC2086 # noiommu_flag and irq_flag are words to split
shunt-pcap --nic "pci:$SHUNT_VFIO_ADDR" $(noiommu_flag) $irq_flag --out /tmp/rx.pcap \
    --seconds 120 >/tmp/pcap.out 2>&1 &
pcap_pid=$!
i=0
while ! grep -q "^pcap: pci:" /tmp/pcap.out && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "^pcap: pci:" /tmp/pcap.out || { cat /tmp/pcap.out; fail "shunt-pcap did not start"; }
grep -q "link up" /tmp/pcap.out || { cat /tmp/pcap.out; fail "shunt-pcap: link not up"; }
# Warm up: QEMU holds frames back for about 1 s after RCTL is written (docs/drivers.md), longer
# when the host is loaded. Ping a second address (the host's check counts only 10.0.2.99)
# until shunt-pcap's per-second line shows traffic, so no measured request meets that window.
arp -i "$SHUNT_PEER_IF" -s 10.0.2.98 52:54:00:12:34:56 || fail "arp -s failed"
i=0
while ! grep "^pcap: 1s:" /tmp/pcap.out | grep -vq " 0.000 Mbit/s" && [ "$i" -lt 20 ]; do
    ping -c 1 -W 1 10.0.2.98 >/dev/null 2>&1 || true
    i=$((i + 1))
done
grep "^pcap: 1s:" /tmp/pcap.out | grep -vq " 0.000 Mbit/s" ||
    { cat /tmp/pcap.out; fail "shunt-pcap saw none of the warm-up frames in $i s"; }
# The vector's line in /proc/interrupts exists only while shunt-pcap holds it.
irqs_before="$(vfio_irqs)"
grep vfio /proc/interrupts || true
ping -c "$n" -i 0.05 -W 1 -q 10.0.2.99 || true  # no replies expected
sleep 1
irqs=$(($(vfio_irqs) - irqs_before))
grep vfio /proc/interrupts | tee /tmp/irqs.txt || true
kill -INT "$pcap_pid"
rc=0
wait "$pcap_pid" || rc=$?
[ "$rc" = 0 ] || { cat /tmp/pcap.out; fail "shunt-pcap exited $rc"; }
cat /tmp/pcap.out
echo "vfio interrupts in /proc/interrupts: +$irqs"
captured="$(sed -n 's/^pcap: captured \([0-9]*\) frames.*/\1/p' /tmp/pcap.out)"
[ "${captured:-0}" -ge "$n" ] || fail "shunt-pcap captured ${captured:-0} frames, expected at least $n"
if [ -n "$irq_flag" ]; then
    grep -q "interrupt mode" /tmp/pcap.out || fail "shunt-pcap did not run in interrupt mode"
    grep -q "interrupts on ($irq_label," /tmp/pcap.out || fail "the driver did not use $irq_label interrupts"
    grep -q "vfio-$DRV_IRQ_EXPECT" /tmp/irqs.txt || fail "no vfio-$DRV_IRQ_EXPECT vector in /proc/interrupts"
    wakeups="$(sed -n 's/.*interrupt wakeups \([0-9]*\)$/\1/p' /tmp/pcap.out)"
    [ "$irqs" -ge $((n / 2)) ] || fail "only $irqs vfio interrupts for $n frames"
    [ "${wakeups:-0}" -ge $((n / 2)) ] || fail "shunt-pcap woke ${wakeups:-0} times on the eventfd for $n frames"
    echo "ok: interrupt mode: $irqs interrupts, $wakeups eventfd wakeups"
fi
echo "ok: shunt-pcap captured $captured frames"
echo "SHUNT-DRV-PCAP-BEGIN"
base64 /tmp/rx.pcap
echo "SHUNT-DRV-PCAP-END"
