#!/bin/sh
# Two e1000 NICs behind a PCIe-to-PCI bridge share one IOMMU group (bridge topology). With one
# bound to vfio-pci and the other to the kernel's e1000, the group is not viable: opening the
# first must fail with one line that names the other device and its driver. Once the other is
# unbound too, the same command opens the NIC.
. /shunt/lib.sh
[ "$SHUNT_MODE" = iommu ] || fail "group viability needs the IOMMU (run in iommu mode)"
nics="$(bridge_nics)" || exit 1
first="${nics% *}"
second="${nics#* }"
g1="$(basename "$(readlink "/sys/bus/pci/devices/$first/iommu_group")")"
g2="$(basename "$(readlink "/sys/bus/pci/devices/$second/iommu_group")")"
[ "$g1" = "$g2" ] || fail "$first (group $g1) and $second (group $g2) are not in one group"
echo "ok: $first and $second share IOMMU group $g1: $(ls "/sys/kernel/iommu_groups/$g1/devices" | tr '\n' ' ')"

insmod "/lib/modules/$(uname -r)/kernel/drivers/net/ethernet/intel/e1000/e1000.ko" ||
    fail "insmod e1000.ko failed"
i=0
while { [ ! -e "/sys/bus/pci/devices/$first/driver" ] || [ ! -e "/sys/bus/pci/devices/$second/driver" ]; } &&
    [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ "$(basename "$(readlink "/sys/bus/pci/devices/$second/driver")")" = e1000 ] ||
    fail "$second is not bound to e1000"
echo "$first" >"/sys/bus/pci/devices/$first/driver/unbind" || fail "unbinding $first failed"
echo vfio-pci >"/sys/bus/pci/devices/$first/driver_override"
echo "$first" >/sys/bus/pci/drivers/vfio-pci/bind || fail "binding $first to vfio-pci failed"
i=0
while [ ! -e "/dev/vfio/$g1" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

expect_error_line "not viable" shunt-pcap --nic "pci:$first" --out /tmp/x.pcap --seconds 1
case "$err" in
*"$second"*"e1000"*) echo "ok: the error names $second and its driver" ;;
*) fail "the error does not name $second bound to e1000: $err" ;;
esac

echo "$second" >"/sys/bus/pci/devices/$second/driver/unbind" || fail "unbinding $second failed"
shunt-pcap --nic "pci:$first" --out /tmp/x.pcap --seconds 1 >/tmp/viable.out 2>&1 ||
    { cat /tmp/viable.out; fail "with $second unbound the group is viable, but opening $first failed"; }
grep -q "^pcap: pci:$first" /tmp/viable.out || { cat /tmp/viable.out; fail "shunt-pcap did not open $first"; }
echo "ok: with $second unbound, $first opens"
