// Receive and transmit fast path: the queues (driver/desc_queue.hpp, over the legacy
// descriptor format of driver/e1000/legacy_format.hpp) do the rings; this file adds what is
// per NIC: the statistics refresh and the interrupt re-arm. No allocation, no syscalls except
// when re-arming an interrupt.
#include "driver/e1000/bits.hpp"
#include "driver/e1000/e1000_nic.hpp"
#include "driver/e1000/regs.hpp"
#include "packet/packet_buf.hpp"

#include <unistd.h>

namespace shunt::e1000 {

size_t E1000Nic::rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept {
    if (queue >= kQueues || !rxq_[queue].ready() || health_.gone()) return 0;
    const size_t n = rxq_[queue].rx_burst(bufs);
    if (n == 0 && irq_.fd >= 0) {
        // About to go idle: the next frame must wake the caller (a frame that is already
        // there, e.g. beyond a zero-sized batch, re-signals the fd in rearm_interrupt).
        rearm_interrupt();
    }
    if (--stats_countdown_ == 0) {
        stats_countdown_ = kStatsEvery;
        refresh_hw_stats();  // 32-bit counters must not wrap between reads
    }
    return n;
}

// Called when the ring is empty: drains the eventfd (so wait_fd reads like a socket: readable
// while there may be work), acknowledges the causes and unmasks INTx. SDM §13.4.17: reading ICR
// returns and clears the causes; the 82574 (and QEMU's e1000e, docs/drivers.md) may keep them
// until written back, and with MSI or MSI-X a cause left set never raises another message, so
// they are written back too. A frame that landed between the ring check and here re-signals the fd.
void E1000Nic::rearm_interrupt() noexcept {
    uint64_t events = 0;
    while (::read(irq_.fd, &events, sizeof(events)) > 0) {
    }
    const uint32_t cause = mmio_.read32(regs::ICR);
    if (health_.check(cause, "ICR", name())) return;  // gone: no write-back, no unmask
    if (cause != 0) mmio_.write32(regs::ICR, cause);
    if (irq_.kind == IrqKind::intx) fn_->unmask_intx();
    if (rxq_[0].pending()) {
        const uint64_t one = 1;
        (void)!::write(irq_.fd, &one, sizeof(one));
    }
}

size_t E1000Nic::tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept {
    if (queue >= kQueues || !txq_[queue].ready() || health_.gone()) return 0;
    return txq_[queue].tx_burst(bufs);
}

}  // namespace shunt::e1000
