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

// Where the checksums of an IPv4 frame live, for the context descriptor (SDM §3.3.6).
struct CsumLayout {
    uint8_t l3 = 0;       // IP header start
    uint8_t l4 = 0;       // TCP/UDP header start
    uint8_t l4_csum = 0;  // offset of the TCP/UDP checksum field
    uint16_t ip_end = 0;  // last byte of the IP datagram
    bool tcp = false;
    bool l4_ok = false;  // TCP or UDP, not a fragment
};

inline uint16_t be16(const uint8_t* p) noexcept {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline void put_be16(uint8_t* p, uint16_t v) noexcept {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

// Parses Ethernet (optionally one 802.1Q tag) + IPv4. False when the frame is not IPv4 or is
// too short for what its headers claim.
bool parse_csum_layout(const uint8_t* f, uint16_t len, CsumLayout& out) noexcept {
    uint16_t l3 = 14;
    if (len < l3 + 20) return false;
    uint16_t type = be16(f + 12);
    if (type == 0x8100) {
        l3 = 18;
        if (len < l3 + 20) return false;
        type = be16(f + 16);
    }
    if (type != 0x0800 || (f[l3] >> 4) != 4) return false;
    const uint16_t ihl = static_cast<uint16_t>((f[l3] & 0x0F) * 4);
    const uint16_t total = be16(f + l3 + 2);
    if (ihl < 20 || total < ihl || l3 + total > len) return false;
    out.l3 = static_cast<uint8_t>(l3);
    out.l4 = static_cast<uint8_t>(l3 + ihl);
    out.ip_end = static_cast<uint16_t>(l3 + total - 1);
    const bool fragment = (be16(f + l3 + 6) & 0x3FFF) != 0;  // MF or an offset
    const uint8_t proto = f[l3 + 9];
    out.tcp = proto == 6;
    out.l4_ok = !fragment && (proto == 6 || proto == 17) && total >= ihl + (proto == 6 ? 20 : 8);
    out.l4_csum = static_cast<uint8_t>(out.l4 + (proto == 6 ? 16 : 6));
    return true;
}

// The NIC sums the L4 header and payload on top of whatever the checksum field holds, so the
// field is seeded with the IPv4 pseudo-header sum (RFC 793/768), not complemented.
void seed_pseudo_header(uint8_t* f, const CsumLayout& l) noexcept {
    const uint8_t* ip = f + l.l3;
    uint32_t sum = 0;
    for (int i = 12; i < 20; i += 2) sum += be16(ip + i);
    sum += ip[9];
    sum += static_cast<uint32_t>(l.ip_end + 1 - l.l4);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    put_be16(f + l.l4_csum, static_cast<uint16_t>(sum));
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
        CsumLayout l;
        uint8_t popts = 0;
        if (opts_.tx_checksum && (b->flags() & (tx_flags::ip_csum | tx_flags::l4_csum)) != 0 &&
            parse_csum_layout(b->data(), len, l)) {
            if ((b->flags() & tx_flags::ip_csum) != 0) popts |= txd_popts::IXSM;
            if ((b->flags() & tx_flags::l4_csum) != 0 && l.l4_ok) popts |= txd_popts::TXSM;
        }
        TxContextDesc ctx{};
        bool need_ctx = false;
        if (popts != 0) {
            ctx.ipcss = l.l3;
            ctx.ipcso = static_cast<uint8_t>(l.l3 + 10);
            ctx.ipcse = static_cast<uint16_t>(l.l4 - 1);
            ctx.tucss = l.l4;
            ctx.tucso = l.l4_csum;
            ctx.tucse = l.ip_end + 1u == len ? uint16_t{0} : l.ip_end;  // 0: to the end of frame
            ctx.cmd_and_length = txd_ext::DEXT | txd_ext::RS | txd_ext::DTYP_CONTEXT | txd_ext::IP |
                                 (l.tcp ? txd_ext::TCP : 0);
            need_ctx = !tx_ctx_valid_ || std::memcmp(&ctx, &tx_ctx_, sizeof(ctx)) != 0;
        }
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
        if (popts != 0) {
            uint8_t* f = b->data();
            if ((popts & txd_popts::IXSM) != 0) put_be16(f + l.l3 + 10, 0);
            if ((popts & txd_popts::TXSM) != 0) seed_pseudo_header(f, l);
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
