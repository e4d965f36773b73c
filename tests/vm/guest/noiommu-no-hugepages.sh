#!/bin/sh
# No-IOMMU DMA addresses are physical, so buffers must sit in hugepages: without any the
# probe fails with one line saying so (and how to reserve them).
# shellcheck source-path=SCRIPTDIR source=lib.sh # /shunt/lib.sh in the guest
. /shunt/lib.sh
set -e
[ "$SHUNT_MODE" = noiommu ] || fail "this test needs --mode noiommu"
echo 0 >/proc/sys/vm/nr_hugepages
[ "$(cat /proc/sys/vm/nr_hugepages)" = 0 ] || fail "could not release the hugepages"
want="no-IOMMU DMA memory needs free 2 MiB hugepages"
expect_error_line "$want" vfio_probe --pci "$SHUNT_VFIO_ADDR" --allow-noiommu
vfio_probe --pci "$SHUNT_VFIO_ADDR" --allow-noiommu --expect-error "$want"
