#!/bin/sh
# The harness itself: the environment run-guest.sh promises, and the emulated wire. The peer
# ARPs for an address nobody has; host/harness.sh then finds those requests in wire.pcap
# (the dump of OUR NIC's side of the hub), proving the capture works.
# shellcheck source-path=SCRIPTDIR source=lib.sh # /shunt/lib.sh in the guest
. /shunt/lib.sh
set -e
for v in SHUNT_VFIO_ADDR SHUNT_PEER_ADDR SHUNT_PEER_IF SHUNT_MODE SHUNT_MODEL; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || fail "$v is not set in the guest script's environment"
done
case ":$PATH:" in *:/shunt/bin:*) ;; *) fail "PATH '$PATH' lacks /shunt/bin" ;; esac
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver")"; }
[ "$(driver_of "$SHUNT_VFIO_ADDR")" = vfio-pci ] ||
    fail "$SHUNT_VFIO_ADDR is bound to '$(driver_of "$SHUNT_VFIO_ADDR")', expected vfio-pci"
[ "$(driver_of "$SHUNT_PEER_ADDR")" = "$SHUNT_MODEL" ] ||
    fail "$SHUNT_PEER_ADDR is bound to '$(driver_of "$SHUNT_PEER_ADDR")', expected $SHUNT_MODEL"
ip addr show dev "$SHUNT_PEER_IF" | grep -q 'inet 10.0.2.2/24' ||
    fail "$SHUNT_PEER_IF lacks 10.0.2.2/24: $(ip addr show dev "$SHUNT_PEER_IF")"
[ "$(cat /proc/sys/vm/nr_hugepages)" = 64 ] || fail "expected 64 hugepages, have $(cat /proc/sys/vm/nr_hugepages)"
[ "$(cat "/sys/class/net/$SHUNT_PEER_IF/address")" = 52:54:00:12:34:57 ] ||
    fail "peer MAC is $(cat "/sys/class/net/$SHUNT_PEER_IF/address"), expected 52:54:00:12:34:57"

# The peer's link comes up a moment after the address is set (autonegotiation).
i=0
while [ "$(cat "/sys/class/net/$SHUNT_PEER_IF/carrier" 2>/dev/null)" != 1 ] && [ "$i" -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ "$(cat "/sys/class/net/$SHUNT_PEER_IF/carrier" 2>/dev/null)" = 1 ] || fail "$SHUNT_PEER_IF has no carrier after 5 s"
# Nobody answers: arping's exit status is expected to say so.
arping -c 2 -w 3 -I "$SHUNT_PEER_IF" 10.0.2.9 || true
echo "harness environment ok; sent ARP requests for 10.0.2.9 from $SHUNT_PEER_IF"
