#!/bin/sh
# With no hugepages, type1 DMA memory falls back to 4 KiB pages, which the IOMMU makes
# contiguous in IOVA space: the probe still passes, on 4 KiB pages.
# shellcheck source-path=SCRIPTDIR source=lib.sh # /shunt/lib.sh in the guest
. /shunt/lib.sh
[ "$SHUNT_MODE" = iommu ] || fail "this test needs --mode iommu"
echo 0 >/proc/sys/vm/nr_hugepages
[ "$(cat /proc/sys/vm/nr_hugepages)" = 0 ] || fail "could not release the hugepages"
vfio_probe --pci "$SHUNT_VFIO_ADDR" --expect-mac 52:54:00:12:34:56 >/tmp/probe.out ||
    { cat /tmp/probe.out; fail "vfio_probe failed without hugepages in iommu mode"; }
cat /tmp/probe.out
grep -q 'in 4 KiB pages, IOVA-contiguous yes' /tmp/probe.out ||
    fail "expected the DMA region on IOVA-contiguous 4 KiB pages (see the probe output above)"
