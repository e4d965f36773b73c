#!/bin/sh
# Transmit rate of shunt-pktgen under TCG (reported, never pass/fail on speed): 3 s of 60-byte
# and 3 s of 1514-byte frames. Only fails if nothing was sent or the driver reported errors.
. /shunt/lib.sh
for size in 60 1514; do
    # shellcheck disable=SC2046 # noiommu_flag is zero or one word
    shunt-pktgen --nic "pci:$SHUNT_VFIO_ADDR" $(noiommu_flag) --seconds 3 --size "$size" \
        --dst-mac 52:54:00:12:34:57 >/tmp/rate.out 2>&1 || { cat /tmp/rate.out; fail "pktgen exited $?"; }
    cat /tmp/rate.out
    grep -q "^pktgen: total .* tx_dropped 0, tx_errors 0" /tmp/rate.out || fail "drops or errors at size $size"
    echo "DRV-RATE $SHUNT_MODEL $SHUNT_MODE size $size: $(grep '^pktgen: total' /tmp/rate.out)"
done
