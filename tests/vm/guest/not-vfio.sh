#!/bin/sh
# Opening the peer NIC, which the kernel's own driver holds, fails with one line naming the
# driver it is bound to.
# shellcheck source-path=SCRIPTDIR source=lib.sh # /shunt/lib.sh in the guest
. /shunt/lib.sh
set -e
want="$SHUNT_PEER_ADDR is bound to $SHUNT_MODEL, not vfio-pci"
expect_error_line "$want" vfio_probe --pci "$SHUNT_PEER_ADDR"
vfio_probe --pci "$SHUNT_PEER_ADDR" --expect-error "$want"
