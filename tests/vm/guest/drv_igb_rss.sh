#!/bin/sh
# RSS on our igb: igb_rss_probe opens it with 4 queue pairs and polls them all while the guest
# kernel opens RSS_FLOWS TCP connections to 10.0.2.99:5001 (a static neighbour entry points it
# at our NIC; nobody answers, so each flow is its SYN and the kernel's retransmissions, each
# from its own source port). The probe checks every frame: the hash the NIC wrote back equals
# the software Toeplitz hash over the frame's addresses and ports, and the frame is on the queue
# the redirection table gives for that hash; the flows must land on at least two queues.
# RSS_IRQ=1: the probe sleeps on each queue's MSI-X vector instead (one eventfd per queue pair);
# every queue with frames must have woken it, and at least two vfio-msix vectors must have
# counted interrupts in /proc/interrupts.
# shellcheck source=tests/vm/guest/lib.sh
. /shunt/lib.sh
flows="${RSS_FLOWS:-16}"
irq_flag=""
[ "${RSS_IRQ:-0}" = 1 ] && irq_flag=--interrupts
# RSS_SYMMETRIC=1: the driver programs the symmetric key (0x6d5a repeated) and the NIC's hashes
# must equal the software Toeplitz hash with that key.
sym_flag=""
[ "${RSS_SYMMETRIC:-0}" = 1 ] && sym_flag=--symmetric
arp -i "$SHUNT_PEER_IF" -s 10.0.2.99 52:54:00:12:34:56 || fail "arp -s failed"
# shellcheck disable=SC2046 # noiommu_flag is zero or one word
# shellcheck disable=SC2086 # irq_flag and sym_flag are zero or one word
igb_rss_probe --nic "$SHUNT_VFIO_ADDR" $(noiommu_flag) $irq_flag $sym_flag --queues 4 --seconds 25 \
    --min-flows "$flows" --port 5001 >/tmp/rss.out 2>&1 &
probe_pid=$!
i=0
while ! grep -q "^rss: .* up with" /tmp/rss.out && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
key=6d5a56da
[ "${RSS_SYMMETRIC:-0}" = 1 ] && key=6d5a6d5a
grep -q "^rss: .* up with 4 queues, link up, key $key" /tmp/rss.out || { cat /tmp/rss.out; fail "igb_rss_probe did not start with 4 queues, link up and key $key..."; }
sleep 2 # QEMU may hold frames back after RCTL is written (docs/drivers.md)
i=0
while [ "$i" -lt "$flows" ]; do
    # busybox nc: connect, give up after 3 s; the kernel sends a SYN and retransmits it.
    nc -w 3 10.0.2.99 5001 </dev/null >/dev/null 2>&1 &
    i=$((i + 1))
done
# The vectors' lines exist only while the probe holds them: read them after the SYNs and their
# first retransmissions (nc gives up after 3 s), before the probe's 25 s are over.
sleep 8
grep vfio /proc/interrupts >/tmp/irqs.txt || true
wait_probe=0
wait "$probe_pid" || wait_probe=$?
cat /tmp/rss.out
[ "$wait_probe" = 0 ] || fail "igb_rss_probe failed (exit $wait_probe)"
if [ -n "$irq_flag" ]; then
    cat /tmp/irqs.txt
    grep -q "interrupts on (MSI-X, 4 vectors" /tmp/rss.out || fail "the driver did not enable 4 MSI-X vectors"
    fired="$(grep vfio-msix /tmp/irqs.txt | awk '$2 > 0' | wc -l)"
    [ "$fired" -ge 2 ] || fail "only $fired vfio-msix vectors counted interrupts; expected one per busy queue, at least 2"
    echo "ok: $fired MSI-X vectors fired, one per queue that received"
fi
echo "ok: $flows TCP flows spread over the igb's queues, every hash and queue as Toeplitz predicts"
