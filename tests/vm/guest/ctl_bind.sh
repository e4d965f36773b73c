#!/bin/sh
# shuntctl bind/unbind round trip on a NIC the guest kernel drives (00:04.0 in the ctl
# topology): refused for the active peer without --force (exit 3, one line); the idle NIC goes
# to vfio-pci (its group node appears and shunt-pcap drives it), then comes back to its kernel
# driver with its interface; a second unbind has nothing to do.
. /shunt/lib.sh
addr="$SHUNT_PEER_ADDR2"
dev="/sys/bus/pci/devices/$addr"
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

rc=0
shuntctl bind "$SHUNT_PEER_IF" >/tmp/bind.out 2>/tmp/bind.err || rc=$?
[ "$rc" = 3 ] || fail "bind of the active $SHUNT_PEER_IF exited $rc, expected 3 (refused): $(cat /tmp/bind.err)"
[ "$(wc -l </tmp/bind.err)" = 1 ] || fail "the refusal is not one line: $(cat /tmp/bind.err)"
[ "$(driver_of "$SHUNT_PEER_ADDR")" = "$SHUNT_MODEL" ] || fail "a refused bind changed $SHUNT_PEER_ADDR's driver"
echo "ok: refused: $(cat /tmp/bind.err)"

ifname="$(ls "$dev/net")"
shuntctl bind "$ifname" || fail "shuntctl bind $ifname failed"
[ "$(driver_of "$addr")" = vfio-pci ] || fail "$addr is on '$(driver_of "$addr")' after bind, expected vfio-pci"
group="$(basename "$(readlink "$dev/iommu_group")")"
[ -e "/dev/vfio/$group" ] || fail "/dev/vfio/$group is missing after bind"
[ ! -e "/sys/class/net/$ifname" ] || fail "$ifname still exists after its NIC went to vfio-pci"
shunt-pcap --nic "pci:$addr" --out /tmp/bind.pcap --seconds 1 >/tmp/pcap.out 2>&1 ||
    { cat /tmp/pcap.out; fail "shunt-pcap could not drive $addr after shuntctl bind"; }
grep -q "link up" /tmp/pcap.out || { cat /tmp/pcap.out; fail "shunt-pcap on $addr: link not up"; }
echo "ok: $ifname ($addr) is on vfio-pci, group $group, and shunt-pcap drives it"

shuntctl unbind "$addr" || fail "shuntctl unbind $addr failed"
[ "$(driver_of "$addr")" = "$SHUNT_MODEL" ] || fail "$addr is on '$(driver_of "$addr")' after unbind, expected $SHUNT_MODEL"
[ -n "$(ls "$dev/net" 2>/dev/null)" ] || fail "no interface for $addr after unbind"
[ "$(cat "$dev/driver_override")" = "(null)" ] || fail "driver_override left as '$(cat "$dev/driver_override")'"
echo "ok: $addr is back on $SHUNT_MODEL as $(ls "$dev/net")"
shuntctl unbind "$addr" >/tmp/unbind.out 2>&1 || fail "a second unbind failed: $(cat /tmp/unbind.out)"
cat /tmp/unbind.out
[ "$(driver_of "$addr")" = "$SHUNT_MODEL" ] || fail "a second unbind changed the driver"
echo "ok: bind/unbind round trip"
