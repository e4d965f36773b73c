#!/bin/sh
# Opening a PCI address where q35 has no device fails with one line naming the address.
# shellcheck source-path=SCRIPTDIR source=lib.sh # /shunt/lib.sh in the guest
. /shunt/lib.sh
set -e
expect_error_line "no PCI device 0000:00:1f.7" vfio_probe --pci 0000:00:1f.7
vfio_probe --pci 0000:00:1f.7 --expect-error "no PCI device 0000:00:1f.7"
