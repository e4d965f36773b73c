// Receive and transmit fast path: batches of legacy descriptors, one tail write per batch, a
// release fence before it and an acquire fence after each done bit. No allocation, no syscalls
// except the INTx unmask when re-arming an interrupt.
#include "driver/e1000/bits.hpp"
#include "driver/e1000/e1000_nic.hpp"
#include "driver/e1000/regs.hpp"
#include "driver/e1000/ring.hpp"
#include "packet/packet_buf.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace shunt::e1000 {

namespace {

// The done bit lives in memory the NIC writes behind the compiler's back.
inline uint8_t load_status(const void* status_byte) noexcept {
    return *static_cast<const volatile uint8_t*>(status_byte);
}

constexpr uint32_t kTxCleanBatch = 32;

// The checksum-offload context of a frame, from the metadata the stack recorded on its
// buffer (TxMeta), never from the frame's bytes. SDM §3.3.6 (DS §7.2.10.2): IPCSS/TUCSS are
// where each checksum starts, IPCSO/TUCSO where it is stored, IPCSE/TUCSE where it ends
// (inclusive; TUCSE 0 = the end of the frame). Returns the POPTS for the data descriptors
// (SDM §3.3.7.2), 0 when the frame goes out plain: no offload asked, or metadata that does
// not describe an IPv4 frame of this length (refused, never guessed at).
uint8_t offload_context(const PacketBuf& b, uint16_t len, TxContextDesc& ctx,
                        uint16_t& seed_at) noexcept {
    const uint16_t flags = b.flags();
    if ((flags & (tx_flags::ip_csum | tx_flags::l4_csum)) == 0) return 0;
    const TxMeta& m = b.tx_meta();
    const uint32_t l3 = m.l2_len;
    const uint32_t l4 = l3 + m.l3_len;
    // IPCSS, IPCSO and TUCSS are 8-bit fields; an IPv4 header is 20..60 bytes.
    if (m.l3_len < 20 || m.l3_len > 60 || l4 > 255 - 16 || l4 > len) return 0;
    uint8_t popts = 0;
    ctx = TxContextDesc{};
    ctx.cmd_and_length = txd_ext::DEXT | txd_ext::RS | txd_ext::DTYP_CONTEXT | txd_ext::IP;
    // The IP fields describe the layout even when only the L4 checksum is wanted, so frames of
    // one layout share one context whatever they ask for.
    ctx.ipcss = static_cast<uint8_t>(l3);
    ctx.ipcso = static_cast<uint8_t>(l3 + 10);  // RFC 791 header checksum; the stack left it 0
    ctx.ipcse = static_cast<uint16_t>(l4 - 1);
    if ((flags & tx_flags::ip_csum) != 0) popts |= txd_popts::IXSM;
    const bool tcp = m.l4_type == l4_type::tcp;
    const uint32_t min_l4 = tcp ? 20 : 8;
    if ((flags & tx_flags::l4_csum) != 0 && m.l4_type != l4_type::none && m.l4_len >= min_l4 &&
        l4 + m.l4_len <= len) {
        popts |= txd_popts::TXSM;
        ctx.tucss = static_cast<uint8_t>(l4);
        ctx.tucso = static_cast<uint8_t>(l4 + (tcp ? 16 : 6));  // RFC 9293 / RFC 768 field
        const uint32_t end = l4 + m.l4_len;
        ctx.tucse = end == len ? uint16_t{0} : static_cast<uint16_t>(end - 1);  // padding after
        if (tcp) ctx.cmd_and_length |= txd_ext::TCP;
        seed_at = ctx.tucso;
    }
    return popts;
}

}  // namespace

uint16_t E1000Nic::rx_offload_flags(uint8_t st, uint8_t err) const noexcept {
    if (!opts_.rx_checksum || (st & rxd_status::IXSM) != 0) return 0;  // SDM §3.2.3.1
    uint16_t f = 0;
    if ((st & rxd_status::IPCS) != 0) {
        f |= (err & rxd_errors::IPE) != 0 ? rx_flags::ip_csum_bad : rx_flags::ip_csum_good;
    }
    if ((st & rxd_status::TCPCS) != 0) {
        f |= (err & rxd_errors::TCPE) != 0 ? rx_flags::l4_csum_bad : rx_flags::l4_csum_good;
    }
    return f;
}

size_t E1000Nic::rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept {
    if (queue != 0 || rx_ring_ == nullptr) return 0;
    size_t n = 0;
    uint32_t idx = rx_next_;
    uint32_t rearmed = 0;
    while (n < bufs.size()) {
        RxDesc& d = rx_ring_[idx];
        const uint8_t st = load_status(&d.status);
        if ((st & rxd_status::DD) == 0) break;
        Mmio::acquire_fence();
        PacketBuf* b = rx_bufs_[idx];
        bool deliver = false;
        if ((st & rxd_status::EOP) == 0) {
            // A frame larger than one 2 KiB buffer (only with LPE, which is off): drop it whole.
            if (!rx_discarding_) ++sw_.rx_errors;
            rx_discarding_ = true;
        } else if (rx_discarding_) {
            rx_discarding_ = false;  // last piece of the dropped frame
        } else if ((d.errors & rxd_errors::FRAME) != 0) {
            ++sw_.rx_errors;
        } else {
            deliver = true;
        }
        if (deliver) {
            PacketBuf* fresh = pool_->alloc();
            if (fresh == nullptr) {
                ++rx_no_buffer_;  // keep the old buffer on the ring; the frame is lost
            } else {
                const uint16_t len = d.length;
                b->set_received(len);
                b->set_flags(rx_offload_flags(st, d.errors));
                bufs[n++] = b;
                ++sw_.rx_packets;
                sw_.rx_bytes += len;
                rx_bufs_[idx] = fresh;
                b = fresh;
            }
        }
        d.buffer_addr = b->rx_iova();
        d.status = 0;
        idx = ring_next(idx, rx_size_);
        ++rearmed;
    }
    if (rearmed != 0) {
        rx_next_ = idx;
        Mmio::release_fence();
        // The descriptor just before rx_next_ was re-armed last: hand everything up to it back.
        mmio_.write32(regs::RDT, ring_prev(idx, rx_size_));
    } else if (irq_.fd >= 0) {
        rearm_interrupt();  // about to go idle: the next frame must wake the caller
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
    if (cause != 0) mmio_.write32(regs::ICR, cause);
    if (irq_.kind == IrqKind::intx) fn_->unmask_intx();
    if ((load_status(&rx_ring_[rx_next_].status) & rxd_status::DD) != 0) {
        const uint64_t one = 1;
        (void)!::write(irq_.fd, &one, sizeof(one));
    }
}

// Reaps slots whose done bit is set (never TDH: QEMU's e1000 advances it even when the DMA
// failed), returning their buffers to the pool in batches.
void E1000Nic::clean_tx() noexcept {
    PacketBuf* done[kTxCleanBatch];
    size_t n = 0;
    while (tx_clean_ != tx_tail_) {
        if ((load_status(&tx_ring_[tx_clean_].legacy.status) & txd_status::DD) == 0) break;
        if (PacketBuf* b = tx_bufs_[tx_clean_]; b != nullptr) {
            tx_bufs_[tx_clean_] = nullptr;
            done[n++] = b;
            if (n == kTxCleanBatch) {
                Mempool::unref_batch({done, n});
                n = 0;
            }
        }
        tx_clean_ = ring_next(tx_clean_, tx_size_);
    }
    if (n != 0) Mempool::unref_batch({done, n});
}

// One TX descriptor: a data descriptor when checksum offload is wanted (its POPTS repeated
// in every descriptor of the packet), else a legacy one; EOP on the packet's last.
void E1000Nic::fill_tx_slot(TxSlot& s, uint64_t iova, uint16_t len, uint8_t popts,
                            bool last) noexcept {
    if (popts != 0) {
        s.data = TxDataDesc{};
        s.data.buffer_addr = iova;
        s.data.cmd_and_length = len | txd_ext::DTYP_DATA | txd_ext::DEXT | txd_ext::IFCS |
                                txd_ext::RS | (last ? txd_ext::EOP : 0u);
        s.data.popts = popts;
    } else {
        s.legacy = TxDesc{};
        s.legacy.buffer_addr = iova;
        s.legacy.length = len;
        s.legacy.cmd =
            static_cast<uint8_t>(txd_cmd::IFCS | txd_cmd::RS | (last ? txd_cmd::EOP : 0));
    }
}

size_t E1000Nic::tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept {
    if (queue != 0 || tx_ring_ == nullptr) return 0;
    clean_tx();
    uint32_t tail = tx_tail_;
    size_t n = 0;
    for (; n < bufs.size(); ++n) {
        PacketBuf* b = bufs[n];
        const uint16_t len = b->length();
        if (len == 0 || len > kMaxFrame) {
            ++sw_.tx_dropped;  // taken and dropped: the NIC cannot send it as one frame
            b->unref();
            continue;
        }
        TxContextDesc ctx;
        uint16_t seed_at = 0;
        const uint8_t popts = opts_.tx_checksum ? offload_context(*b, len, ctx, seed_at) : 0;
        const bool need_ctx =
            popts != 0 && (!tx_ctx_valid_ || std::memcmp(&ctx, &tx_ctx_, sizeof(ctx)) != 0);
        // A frame whose bytes cross a 4 KiB IOVA boundary goes out as two descriptors, one
        // per page. The datasheets let a packet span several descriptors (EOP marks the
        // last; the 8254x SDM and 82574 datasheet, transmit descriptors), and an emulated NIC
        // needs it: QEMU's e1000e and igb map each
        // TX buffer with one DMA map that stops at the IOMMU page's end, and a short map drops
        // the whole frame silently (the same buffer then fails on every retransmission).
        const uint64_t iova = b->data_iova();
        const auto first_len =
            static_cast<uint16_t>(std::min<uint64_t>(len, kTxPage - iova % kTxPage));
        const uint32_t pieces = first_len < len ? 2u : 1u;
        if (ring_free(tx_clean_, tail, tx_size_) < pieces + (need_ctx ? 1u : 0u)) break;  // full
        if (need_ctx) {
            tx_ring_[tail].context = ctx;
            tx_bufs_[tail] = nullptr;
            tx_ctx_ = ctx;
            tx_ctx_valid_ = true;
            tail = ring_next(tail, tx_size_);
        }
        if ((popts & txd_popts::TXSM) != 0) {
            // The NIC adds the segment to what the field holds: the pseudo-header seed, in
            // network order (seed_at + 2 <= len was checked with the metadata).
            const uint16_t seed = b->tx_meta().l4_csum_seed;
            b->data()[seed_at] = static_cast<uint8_t>(seed >> 8);
            b->data()[seed_at + 1] = static_cast<uint8_t>(seed);
        }
        uint16_t done = 0;
        for (uint32_t piece = 0; piece < pieces; ++piece) {
            const bool last = piece + 1 == pieces;
            const uint16_t part = last ? static_cast<uint16_t>(len - done) : first_len;
            // RS on every descriptor: clean_tx walks the done bits slot by slot.
            fill_tx_slot(tx_ring_[tail], iova + done, part, popts, last);
            if (!last) {
                tx_bufs_[tail] = nullptr;  // the buffer goes home with its last descriptor
                tail = ring_next(tail, tx_size_);
            }
            done = static_cast<uint16_t>(done + part);
        }
        tx_bufs_[tail] = b;
        tail = ring_next(tail, tx_size_);
        ++sw_.tx_packets;
        sw_.tx_bytes += len;
    }
    if (tail != tx_tail_) {
        tx_tail_ = tail;
        Mmio::release_fence();
        mmio_.write32(regs::TDT, tail);  // one doorbell per batch
    }
    return n;
}

}  // namespace shunt::e1000
