#!/bin/sh
# shuntctl status in the ctl topology: 00:02.0 on vfio-pci, 00:03.0 the kernel's with an address
# (so a route: *Active*), 00:04.0 the kernel's without one. The JSON goes to the console with
# the guest's sysfs facts for each device; the host compares them (host/ctl_status_check.py).
. /shunt/lib.sh
shuntctl status >/tmp/status.txt 2>&1 || { cat /tmp/status.txt; fail "shuntctl status failed"; }
cat /tmp/status.txt
shuntctl status --json >/tmp/status.json 2>/tmp/status.err || { cat /tmp/status.err; fail "shuntctl status --json failed"; }
# The text table: ours under "bound to vfio-pci", the peer marked active.
sed -n '/bound to vfio-pci/,/kernel drivers/p' /tmp/status.txt | grep -q "^$SHUNT_VFIO_ADDR " ||
    fail "$SHUNT_VFIO_ADDR is not listed among the devices bound to vfio-pci"
grep "^$SHUNT_PEER_ADDR " /tmp/status.txt | grep -q "if=$SHUNT_PEER_IF drv=$SHUNT_MODEL .*\*Active\*" ||
    fail "$SHUNT_PEER_ADDR is not listed as $SHUNT_PEER_IF on $SHUNT_MODEL, *Active*"
grep "^$SHUNT_PEER_ADDR2 " /tmp/status.txt | grep -q "\*Active\*" &&
    fail "$SHUNT_PEER_ADDR2 has no address or route but is marked *Active*"
echo "SHUNT-CTL-STATUS-BEGIN"
cat /tmp/status.json
echo "SHUNT-CTL-STATUS-END"
for a in "$SHUNT_VFIO_ADDR" "$SHUNT_PEER_ADDR" "$SHUNT_PEER_ADDR2"; do
    d="/sys/bus/pci/devices/$a"
    g="$(basename "$(readlink "$d/iommu_group")")"
    echo "SHUNT-CTL-FACT $a driver=$(basename "$(readlink "$d/driver")") group=$g" \
        "members=$(ls "/sys/kernel/iommu_groups/$g/devices" | tr '\n' ',')" \
        "interfaces=$(ls "$d/net" 2>/dev/null | tr '\n' ',')"
done
echo "ok: shuntctl status listed the three NICs"
