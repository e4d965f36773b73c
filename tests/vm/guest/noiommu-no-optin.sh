#!/bin/sh
# A device in a no-IOMMU group is refused unless the caller opts in to unprotected DMA.
# shellcheck source-path=SCRIPTDIR source=lib.sh # /shunt/lib.sh in the guest
. /shunt/lib.sh
set -e
[ "$SHUNT_MODE" = noiommu ] || fail "this test needs --mode noiommu"
want="$SHUNT_VFIO_ADDR is in a no-IOMMU group"
expect_error_line "$want" vfio_probe --pci "$SHUNT_VFIO_ADDR"
