#!/bin/sh
# shuntctl and IOMMU-group viability (pci/'s one rule, the one vfio/ opens by), in the bridge
# topology: two e1000 behind a PCIe-to-PCI bridge share one group with the bridge. With the
# second on the kernel's e1000, bind of the first is refused (exit 3, one line naming the second
# and its driver, not the unbound bridge); forced, the first is on vfio-pci but status does not
# call it usable; once the second is unbound, status does.
# shellcheck source-path=SCRIPTDIR source=lib.sh # /shunt/lib.sh in the guest
. /shunt/lib.sh
[ "$SHUNT_MODE" = iommu ] || fail "group viability needs the IOMMU (run in iommu mode)"
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
# usable_of ADDR: the "usable" value of ADDR's object in /tmp/status.json (address comes first).
usable_of() {
    sed -n "/\"address\": \"$1\"/,/\"usable\"/p" /tmp/status.json | sed -n 's/.*"usable": *\([a-z]*\).*/\1/p'
}

nics="$(bridge_nics)" || exit 1
first="${nics% *}"
second="${nics#* }"
group="$(basename "$(readlink "/sys/bus/pci/devices/$first/iommu_group")")"
members="$(ls "/sys/kernel/iommu_groups/$group/devices" | tr '\n' ' ')"
bridge=""
for m in $members; do
    [ "$m" = "$first" ] || [ "$m" = "$second" ] || bridge="$m"
done
[ -n "$bridge" ] || fail "no bridge in group $group: $members"
[ -z "$(driver_of "$bridge")" ] || fail "the bridge $bridge is bound to $(driver_of "$bridge"); expected none"
echo "ok: group $group: $members (bridge $bridge, unbound)"

insmod "/lib/modules/$(uname -r)/kernel/drivers/net/ethernet/intel/e1000/e1000.ko" ||
    fail "insmod e1000.ko failed"
i=0
while { [ -z "$(ls "/sys/bus/pci/devices/$first/net" 2>/dev/null)" ] ||
    [ -z "$(ls "/sys/bus/pci/devices/$second/net" 2>/dev/null)" ]; } && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ "$(driver_of "$second")" = e1000 ] || fail "$second is not bound to e1000"

rc=0
shuntctl bind "$first" >/tmp/bind.out 2>/tmp/bind.err || rc=$?
err="$(cat /tmp/bind.err)"
[ "$rc" = 3 ] || fail "bind of $first exited $rc, expected 3 (refused): $err"
[ "$(wc -l </tmp/bind.err)" = 1 ] || fail "the refusal is not one line: $err"
want="IOMMU group $group is not viable: $second is bound to e1000; bind it to vfio-pci too or unbind it"
case "$err" in
*"$want"*) ;;
*) fail "the refusal does not say '$want': $err" ;;
esac
case "$err" in *"$bridge"*) fail "the refusal names the unbound bridge $bridge: $err" ;; esac
[ "$(driver_of "$first")" = e1000 ] || fail "a refused bind changed $first's driver"
echo "ok: refused: $err"

shuntctl bind --force "$first" || fail "shuntctl bind --force $first failed"
[ "$(driver_of "$first")" = vfio-pci ] || fail "$first is on '$(driver_of "$first")' after bind --force"
shuntctl status >/tmp/status.txt || fail "shuntctl status failed"
shuntctl status --json >/tmp/status.json || fail "shuntctl status --json failed"
[ "$(usable_of "$first")" = false ] ||
    { cat /tmp/status.json; fail "status calls $first usable while $second (e1000) blocks its group"; }
grep "^$first " /tmp/status.txt | grep -q "\*IOMMU-group-not-viable\*" ||
    { cat /tmp/status.txt; fail "the status table does not mark $first's group not viable"; }
echo "ok: on vfio-pci, $first is not usable while $second is on e1000"

echo "$second" >"/sys/bus/pci/devices/$second/driver/unbind" || fail "unbinding $second failed"
shuntctl status --json >/tmp/status.json || fail "shuntctl status --json failed"
[ "$(usable_of "$first")" = true ] ||
    { cat /tmp/status.json; fail "status does not call $first usable with $second unbound"; }
shuntctl status | grep "^$first " | grep -q "IOMMU-group-not-viable" &&
    fail "the status table still marks $first's group not viable"
echo "ok: with $second unbound, $first is usable"
