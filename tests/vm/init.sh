#!/bin/busybox sh
# shellcheck shell=dash
# /init of the vm-tier guests (busybox sh; run-guest.sh copies it into each run's initramfs).
# Sets the guest up as vm-recipe.md measured, runs the test script, reports its exit status
# on the serial console and powers off:
#
#   SHUNT-GUEST-SETUP-FAILED <reason>   setup went wrong; the script did not run
#   SHUNT-GUEST-SCRIPT-BEGIN            the script's output follows
#   SHUNT-GUEST-EXIT <rc>               the script's exit status
#
# /shunt/config (written per run) sets SHUNT_MODE (iommu|noiommu), SHUNT_MODEL (e1000|e1000e|igb),
# SHUNT_TOPOLOGY, SHUNT_VFIO_ADDR, SHUNT_PEER_ADDR (in the fwd topology also SHUNT_VFIO_ADDR2 and
# SHUNT_PEER_ADDR2) and any --env of run-guest.sh.

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /run
/bin/busybox --install -s
export PATH=/shunt/bin:/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

say() { echo "shunt-init: $*"; }
# Never returns: the host reads the reason from the console.
setup_fail() {
    echo
    echo "SHUNT-GUEST-SETUP-FAILED $*"
    dmesg | tail -n 20
    poweroff -f
    sleep 10
}

[ -r /shunt/config ] || setup_fail "no /shunt/config in the initramfs"
# shellcheck source=/dev/null # written per run
. /shunt/config

KVER="$(uname -r)"
MODDIR="/lib/modules/$KVER/kernel"
[ -d "$MODDIR" ] || setup_fail "no modules for the running kernel $KVER in the initramfs (have: $(ls /lib/modules))"

load() {
    insmod "$@" || setup_fail "insmod $* failed: $(dmesg | tail -n 3 | tr '\n' ' ')"
}

# Stock vfio, or the rebuilt one with CONFIG_VFIO_NOIOMMU (noiommu-vfio.sh) and the opt-in.
if [ "$SHUNT_MODE" = noiommu ]; then
    load /shunt/noiommu/vfio.ko enable_unsafe_noiommu_mode=1
else
    load "$MODDIR/drivers/vfio/vfio.ko"
    [ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ] ||
        setup_fail "iommu mode but /sys/kernel/iommu_groups is empty: the intel-iommu is not active"
fi
load "$MODDIR/drivers/vfio/vfio_iommu_type1.ko"
load "$MODDIR/virt/lib/irqbypass.ko"
load "$MODDIR/drivers/vfio/vfio_virqfd.ko"
load "$MODDIR/drivers/vfio/pci/vfio-pci-core.ko"
load "$MODDIR/drivers/vfio/pci/vfio-pci.ko"

# Our NIC goes to vfio-pci before any NIC driver is loaded (nothing to unbind: there is no
# udev to load drivers by itself); driver_override keeps e1000/e1000e off it afterwards.
# bind_vfio ADDR: binds it and waits for its group's node; sets $group.
bind_vfio() {
    dev="/sys/bus/pci/devices/$1"
    [ -d "$dev" ] || setup_fail "no PCI device $1 (QEMU's -device ...,addr= missing?)"
    echo vfio-pci >"$dev/driver_override" || setup_fail "cannot write $dev/driver_override"
    if [ ! -e "$dev/driver" ]; then
        echo "$1" >/sys/bus/pci/drivers/vfio-pci/bind ||
            setup_fail "binding $1 to vfio-pci failed: $(dmesg | tail -n 3 | tr '\n' ' ')"
    fi
    drv="$(basename "$(readlink "$dev/driver")")"
    [ "$drv" = vfio-pci ] || setup_fail "$1 is bound to '$drv', expected vfio-pci"
    group="$(basename "$(readlink "$dev/iommu_group")")"
    [ -n "$group" ] || setup_fail "$1 has no iommu_group after binding to vfio-pci"
    if [ "$SHUNT_MODE" = noiommu ]; then node="/dev/vfio/noiommu-$group"; else node="/dev/vfio/$group"; fi
    i=0
    while [ ! -e "$node" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    [ -e "$node" ] || setup_fail "$node did not appear after binding (have: $(ls /dev/vfio 2>&1))"
}
if [ -n "${SHUNT_VFIO_ADDR2:-}" ]; then
    bind_vfio "$SHUNT_VFIO_ADDR2"
    group2="$group"
fi
bind_vfio "$SHUNT_VFIO_ADDR"

# The kernel's own driver takes the peer NIC (03.0; 0a.0 for igb): the other end of the
# emulated wire. igb needs dca and i2c-algo-bit first (vm-recipe.md pitfall 8).
if [ "$SHUNT_MODEL" = igb ]; then
    load "$MODDIR/drivers/dca/dca.ko"
    load "$MODDIR/drivers/i2c/algos/i2c-algo-bit.ko"
fi
load "$MODDIR/drivers/net/ethernet/intel/$SHUNT_MODEL/$SHUNT_MODEL.ko"
# peer_if ADDR: prints the interface the kernel made for the NIC at ADDR (waits up to 10 s).
peer_if() {
    peer="/sys/bus/pci/devices/$1"
    i=0
    while [ -z "$(ls "$peer/net" 2>/dev/null)" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    for n in "$peer"/net/*; do [ -e "$n" ] && basename "$n" && return 0; done
    return 1
}
SHUNT_PEER_IF="$(peer_if "$SHUNT_PEER_ADDR")" ||
    setup_fail "the $SHUNT_MODEL driver made no interface for $SHUNT_PEER_ADDR within 10 s"
SHUNT_PEER2_IF=""
if [ -n "${SHUNT_PEER_ADDR2:-}" ]; then
    SHUNT_PEER2_IF="$(peer_if "$SHUNT_PEER_ADDR2")" ||
        setup_fail "the $SHUNT_MODEL driver made no interface for $SHUNT_PEER_ADDR2 within 10 s"
    ip link set dev "$SHUNT_PEER2_IF" up || setup_fail "ip link set dev $SHUNT_PEER2_IF up failed"
fi
ip link set dev lo up
ip link set dev "$SHUNT_PEER_IF" up || setup_fail "ip link set dev $SHUNT_PEER_IF up failed"
ip addr add 10.0.2.2/24 dev "$SHUNT_PEER_IF" || setup_fail "ip addr add 10.0.2.2/24 dev $SHUNT_PEER_IF failed"

echo 64 >/proc/sys/vm/nr_hugepages
pages="$(cat /proc/sys/vm/nr_hugepages)"
[ "$pages" = 64 ] || setup_fail "reserved $pages of 64 hugepages (guest memory too small?)"

export SHUNT_MODE SHUNT_MODEL SHUNT_VFIO_ADDR SHUNT_PEER_ADDR SHUNT_PEER_IF SHUNT_TOPOLOGY
export SHUNT_VFIO_ADDR2 SHUNT_PEER_ADDR2 SHUNT_PEER2_IF
echo # the firmware's last escape sequences end without a newline
say "kernel $KVER, mode $SHUNT_MODE, $SHUNT_VFIO_ADDR on vfio-pci (group $group), peer $SHUNT_PEER_ADDR is $SHUNT_PEER_IF ($SHUNT_MODEL)${SHUNT_VFIO_ADDR2:+, $SHUNT_VFIO_ADDR2 on vfio-pci (group $group2), peer 2 $SHUNT_PEER_ADDR2 is $SHUNT_PEER2_IF}, 64 hugepages, setup took $(cut -d' ' -f1 /proc/uptime) s"
echo "SHUNT-GUEST-SCRIPT-BEGIN"
cd /tmp || setup_fail "no /tmp"
sh /shunt/test.sh
rc=$?
echo
echo "SHUNT-GUEST-EXIT $rc"
poweroff -f
sleep 10
