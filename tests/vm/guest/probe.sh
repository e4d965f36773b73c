#!/bin/sh
# vfio_probe passes every step on our NIC (open, BAR0, STATUS, MAC, bus master, DMA mempool,
# IOVA checks, interrupts, close and reopen on the same container) and reads QEMU's MAC from
# RAL0/RAH0. The library must not warn on the way (no-IOMMU mode's own warning aside).
# shellcheck source-path=SCRIPTDIR source=lib.sh # /shunt/lib.sh in the guest
. /shunt/lib.sh
# shellcheck disable=SC2046 # noiommu_flag is zero or one word
if vfio_probe -v --pci "$SHUNT_VFIO_ADDR" $(noiommu_flag) --expect-mac 52:54:00:12:34:56 \
    2>/tmp/probe.err; then rc=0; else rc=$?; fi
cat /tmp/probe.err
[ "$rc" = 0 ] || fail "vfio_probe exited $rc"
unexpected="$(grep -v 'no-IOMMU mode: the device can DMA anywhere in memory' /tmp/probe.err || true)"
[ -z "$unexpected" ] || fail "vfio_probe passed but wrote to stderr: $unexpected"
