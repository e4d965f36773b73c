#!/bin/sh
# The kernel asks for the device back while shunt-pcap (or, with UNPLUG_TOOL=shuntd, the daemon
# answering pings) runs on it. Unbinding a device from
# vfio-pci (like removing it, or a hot-unplug request) makes the kernel signal the VFIO request
# interrupt and wait until the device is closed (Linux's vfio_pci_core_request; the unbind's
# write blocks until then). shunt-pcap must notice (Nic::health, every 100 ms), release the
# device (stop, memory freed, device closed) and exit 1 with one line saying the kernel asked
# for it; the unbind then completes in well under 10 s instead of when the tool would have
# ended (120 s). Without the request interrupt the kernel logs "No device request channel
# registered, blocked until released by user" and this test fails after 10 s.
. /shunt/lib.sh
dev="/sys/bus/pci/devices/$SHUNT_VFIO_ADDR"
tool="${UNPLUG_TOOL:-shunt-pcap}"
if [ "$tool" = shuntd ]; then
    # shellcheck disable=SC2046 # noiommu_flag is zero or one word
    shuntd --nic "pci:$SHUNT_VFIO_ADDR" $(noiommu_flag) --ip 10.0.2.15/24 --duration 120 \
        --stats-file /tmp/shuntd.json >/tmp/pcap.out 2>/tmp/pcap.err &
    pcap_pid=$!
    i=0
    while [ ! -s /tmp/shuntd.json ] && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
    [ -s /tmp/shuntd.json ] || { cat /tmp/pcap.err; fail "shuntd did not start"; }
    i=0
    while ! ping -c 1 -W 1 10.0.2.15 >/dev/null 2>&1 && [ "$i" -lt 20 ]; do i=$((i + 1)); done
    [ "$i" -lt 20 ] || { cat /tmp/pcap.err; fail "shuntd never answered a ping"; }
    echo "ok: shuntd answers pings on pci:$SHUNT_VFIO_ADDR"
else
    # shellcheck disable=SC2046 # noiommu_flag is zero or one word
    shunt-pcap --nic "pci:$SHUNT_VFIO_ADDR" $(noiommu_flag) --out /tmp/rx.pcap --seconds 120 \
        >/tmp/pcap.out 2>/tmp/pcap.err &
    pcap_pid=$!
    i=0
    while ! grep -q "^pcap: pci:" /tmp/pcap.out && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
    grep -q "^pcap: pci:" /tmp/pcap.out || { cat /tmp/pcap.out /tmp/pcap.err; fail "shunt-pcap did not start"; }
fi
[ "$(basename "$(readlink "$dev/driver")")" = vfio-pci ] || fail "$SHUNT_VFIO_ADDR is not on vfio-pci"

# The unbind blocks until the device is released: run it aside and give it 10 s.
start="$(cut -d' ' -f1 /proc/uptime)"
(echo "$SHUNT_VFIO_ADDR" >/sys/bus/pci/drivers/vfio-pci/unbind) &
unbind_pid=$!
i=0
while kill -0 "$unbind_pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$unbind_pid" 2>/dev/null; then
    # Release it by force so the guest can finish, then fail.
    kill -9 "$pcap_pid" 2>/dev/null || true
    wait "$unbind_pid" || true
    cat /tmp/pcap.out /tmp/pcap.err
    dmesg | grep -i "vfio" | tail -5
    fail "the unbind still waited after 10 s: $tool did not give the device back"
fi
end="$(cut -d' ' -f1 /proc/uptime)"
echo "ok: the unbind completed after $(echo "$start $end" | awk '{printf "%.1f", $2 - $1}') s"
rc=0
wait "$pcap_pid" || rc=$?
cat /tmp/pcap.out
cat /tmp/pcap.err
[ "$rc" = 1 ] || fail "$tool exited $rc, expected 1"
grep -q "^$tool: pci:$SHUNT_VFIO_ADDR: the kernel asks for the device back" /tmp/pcap.err ||
    fail "$tool's last line does not say the kernel asked for the device"
[ ! -e "$dev/driver" ] || fail "$SHUNT_VFIO_ADDR is still bound to $(readlink "$dev/driver")"
dmesg | grep -i "relaying device request" | tail -2 || true
echo "ok: $tool released $SHUNT_VFIO_ADDR when the kernel asked and exited 1 with one line"
