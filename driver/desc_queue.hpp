// The descriptor-ring engine shared by the Intel NIC families: one receive and one transmit
// queue object per hardware queue, each owning its ring memory, the buffer behind every
// descriptor, its indices and (TX) the last offload context programmed. A NIC with N queue
// pairs hands out N RxQueue/TxQueue pairs, one per shard; nothing here is shared between them.
//
// The engine is generic over the descriptor format: a Format (driver/e1000/legacy_format.hpp
// for the 8254x/82574 legacy descriptors, driver/intel/adv_format.hpp for the igb/ixgbe
// advanced ones) says how to arm,
// read and complete its descriptors and how to express checksum offload. The ring discipline
// is the same for all of them (8254x SDM §3.2.6 and §3.3.1, 82574 DS §7.1.3 and §7.2.6, and
// likewise in the 82576/82599 datasheets): the NIC owns [head, tail), software the rest; one
// slot stays empty so head == tail means "nothing for the NIC".
//
// Format interface (all static, noexcept):
//   using RxDesc, TxDesc;                 16-byte descriptors
//   struct RxInfo { uint16_t len, flags; bool eop, error; [uint32_t rss_hash;] };
//   bool rx_done(const RxDesc&)           done bit (a volatile read: the NIC writes it)
//   RxInfo rx_read(const RxDesc&, bool checksum)   after the acquire fence
//   void rx_arm(RxDesc&, uint64_t iova)   hands the descriptor back with a fresh buffer
//   struct TxPlan { TxContext ctx; ... }; with TxContext comparable by bytes
//   bool tx_plan(const PacketBuf&, uint16_t len, TxPlan&)   offload wanted and possible
//   void tx_commit(PacketBuf&, const TxPlan&)    frame-side preparation (checksum seed)
//   void tx_context(TxDesc&, const TxPlan&)
//   void tx_data(TxDesc&, uint64_t iova, uint16_t len, uint16_t frame_len, const TxPlan*,
//                bool eop)                 one piece of a frame of frame_len bytes
//   void tx_set_rs(TxDesc&)               report status on this descriptor
//   bool tx_done(const TxDesc&)           done bit of a descriptor that had RS
#pragma once

#include "base/result.hpp"
#include "driver/mmio.hpp"
#include "packet/mempool.hpp"
#include "packet/packet_buf.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace shunt {

// Counters one queue keeps (exact, per queue; the NIC sums them).
struct RxQueueStats {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t errors = 0;     // bad frames, frames over several descriptors, bad lengths
    uint64_t no_buffer = 0;  // frames dropped because the pool was empty
    uint64_t doorbells = 0;  // tail writes
};
struct TxQueueStats {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t dropped = 0;         // taken and dropped (empty or oversized)
    uint64_t doorbells = 0;       // tail writes: one per burst that queued anything
    uint64_t status_reports = 0;  // descriptors sent with RS (done bit written back)
};

// Ring sizes every family accepts: a power of two (wrapping is a mask), at least 8 descriptors
// (RDLEN/TDLEN are multiples of 128 bytes) and at most 4096. The one rule drivers check options
// against.
inline constexpr uint32_t kMinRing = 8;
inline constexpr uint32_t kMaxRing = 4096;
constexpr bool valid_ring_size(uint32_t n) {
    return n >= kMinRing && n <= kMaxRing && (n & (n - 1)) == 0;
}

namespace detail {

// Descriptor memory for one ring, in DMA memory, filled with 0xFF before every descriptor is
// set up (ixy's rule: a descriptor left out shows up as garbage, not as a plausible zero).
template <typename Desc>
class DescRing {
  public:
    static_assert(sizeof(Desc) == 16);

    Status allocate(MemoryProvider& dma, uint32_t size, const std::string& name) {
        if (!valid_ring_size(size)) {
            return make_error("{}: ring size {} is not a power of two in [{}, {}]", name, size,
                              kMinRing, kMaxRing);
        }
        const size_t bytes = size_t{size} * sizeof(Desc);
        auto region = dma.allocate(bytes, name);
        if (!region) return make_error("{}: descriptor ring: {}", name, region.error().message);
        mem_ = std::move(region).value();
        if (!mem_->iova_contiguous() && bytes > mem_->page_size()) {
            return make_error("{}: a ring of {} bytes does not fit one DMA page of {} bytes", name,
                              bytes, mem_->page_size());
        }
        std::memset(mem_->base(), 0xFF, bytes);
        desc_ = reinterpret_cast<Desc*>(mem_->base());
        size_ = size;
        return {};
    }
    Desc& operator[](uint32_t i) noexcept { return desc_[i]; }
    const Desc& operator[](uint32_t i) const noexcept { return desc_[i]; }
    uint32_t size() const noexcept { return size_; }
    uint32_t next(uint32_t i) const noexcept { return (i + 1) & (size_ - 1); }
    uint32_t prev(uint32_t i) const noexcept { return (i - 1) & (size_ - 1); }
    uint32_t distance(uint32_t from, uint32_t to) const noexcept {
        return (to - from) & (size_ - 1);
    }
    uint64_t iova() const noexcept { return mem_->iova_at(0); }
    uint32_t bytes() const noexcept { return size_ * static_cast<uint32_t>(sizeof(Desc)); }
    bool allocated() const noexcept { return desc_ != nullptr; }

  private:
    std::unique_ptr<MemoryRegion> mem_;
    Desc* desc_ = nullptr;
    uint32_t size_ = 0;
};

}  // namespace detail

template <typename Format>
class RxQueue {
  public:
    using Desc = typename Format::RxDesc;

    RxQueue() = default;
    RxQueue(const RxQueue&) = delete;
    RxQueue& operator=(const RxQueue&) = delete;
    ~RxQueue() { release(); }

    // Ring memory and the pool this queue receives into (and its TX twin sends from).
    Status create(MemoryProvider& dma, uint32_t size, uint32_t pool_buffers,
                  const std::string& name) {
        if (auto s = ring_.allocate(dma, size, "shunt-rx-" + name); !s) return s;
        auto pool = Mempool::create(dma, pool_buffers, "shunt-pool-" + name);
        if (!pool) return make_error("{}: packet buffers: {}", name, pool.error().message);
        pool_ = std::move(pool).value();
        bufs_.assign(size, nullptr);
        return {};
    }
    // Puts a buffer behind every descriptor and points the queue at its tail register.
    // checksum: report the NIC's checksum results as rx_flags.
    Status start(Mmio* mmio, uint32_t tail_reg, bool checksum) {
        mmio_ = mmio;
        tail_reg_ = tail_reg;
        checksum_ = checksum;
        release();
        if (pool_->alloc_batch(bufs_) != bufs_.size()) {
            return make_error("not enough packet buffers to fill a receive ring of {}",
                              ring_.size());
        }
        for (uint32_t i = 0; i < ring_.size(); ++i) {
            ring_[i] = Desc{};
            Format::rx_arm(ring_[i], bufs_[i]->rx_iova());
        }
        next_ = 0;
        discarding_ = false;
        return {};
    }

    // Takes up to bufs.size() received frames (one reference each) and re-arms their
    // descriptors with fresh buffers; one tail write for the whole burst.
    size_t rx_burst(std::span<PacketBuf*> bufs) noexcept {
        size_t n = 0;
        uint32_t idx = next_;
        uint32_t rearmed = 0;
        // At most one lap per burst: a device that keeps marking descriptors done (bad frames,
        // none of them delivered) must not hold the caller here.
        while (n < bufs.size() && rearmed < ring_.size()) {
            Desc& d = ring_[idx];
            if (!Format::rx_done(d)) break;
            Mmio::acquire_fence();
            const typename Format::RxInfo info = Format::rx_read(d, checksum_);
            PacketBuf* b = bufs_[idx];
            bool deliver = false;
            if (!info.eop) {
                // A frame larger than one buffer (long packets are off): drop it whole.
                if (!discarding_) ++stats_.errors;
                discarding_ = true;
            } else if (discarding_) {
                discarding_ = false;  // last piece of the dropped frame
            } else if (info.error || info.len == 0 || info.len > PacketBuf::kDataRoom) {
                ++stats_.errors;  // a length the device wrote is bounded before it is used
            } else {
                deliver = true;
            }
            if (deliver) {
                PacketBuf* fresh = pool_->alloc();
                if (fresh == nullptr) {
                    ++stats_.no_buffer;  // the old buffer stays on the ring; the frame is lost
                } else {
                    b->set_received(info.len);
                    b->set_flags(info.flags);
                    if constexpr (requires { info.rss_hash; }) b->set_rss_hash(info.rss_hash);
                    bufs[n++] = b;
                    ++stats_.packets;
                    stats_.bytes += info.len;
                    bufs_[idx] = fresh;
                    b = fresh;
                }
            }
            Format::rx_arm(d, b->rx_iova());
            idx = ring_.next(idx);
            ++rearmed;
        }
        if (rearmed != 0) {
            next_ = idx;
            Mmio::release_fence();
            // The descriptor before next_ was re-armed last: hand everything up to it back.
            mmio_->write32(tail_reg_, ring_.prev(idx));
            ++stats_.doorbells;
        }
        return n;
    }

    // Whether the next descriptor holds a frame (for interrupt re-arming).
    bool pending() const noexcept { return Format::rx_done(ring_[next_]); }
    // Drops every buffer reference the ring holds (after the NIC's DMA is off).
    void release() noexcept {
        for (PacketBuf*& b : bufs_) {
            if (b != nullptr) std::exchange(b, nullptr)->unref();
        }
    }

    uint64_t ring_iova() const noexcept { return ring_.iova(); }
    uint32_t ring_bytes() const noexcept { return ring_.bytes(); }
    uint32_t size() const noexcept { return ring_.size(); }
    Mempool& pool() noexcept { return *pool_; }
    const RxQueueStats& stats() const noexcept { return stats_; }
    bool ready() const noexcept { return ring_.allocated() && mmio_ != nullptr; }

  private:
    detail::DescRing<Desc> ring_;
    std::unique_ptr<Mempool> pool_;
    std::vector<PacketBuf*> bufs_;  // buffer behind each descriptor
    Mmio* mmio_ = nullptr;
    uint32_t tail_reg_ = 0;
    uint32_t next_ = 0;        // next descriptor to look at
    bool discarding_ = false;  // inside a frame that spans descriptors (dropped)
    bool checksum_ = false;
    RxQueueStats stats_{};
};

template <typename Format>
class TxQueue {
  public:
    using Desc = typename Format::TxDesc;

    struct Config {
        uint16_t max_frame = 1518;  // larger frames are taken and dropped
        bool offload = false;       // honour tx_flags (checksum offload)
        // No descriptor's buffer crosses this IOVA boundary (the smallest IOMMU page): QEMU's
        // e1000e and igb map each TX buffer with one DMA map that ends at the IOMMU page and
        // drop the whole frame silently when it is short (docs/drivers.md, QEMU pitfall 9).
        // The datasheets let a packet span descriptors (EOP marks the last: SDM §3.3.3, DS
        // §7.2.10), so such a frame goes out in two. 0: no split.
        uint64_t split = 4096;
        // Report status (RS) at most this many descriptors apart, and on the last packet of
        // every burst (DPDK em's tx_rs_thresh, plus the end of the burst so that no buffer waits
        // for later traffic to come home). 0: size / 4, at most 32.
        uint32_t rs_thresh = 0;
    };

    TxQueue() = default;
    TxQueue(const TxQueue&) = delete;
    TxQueue& operator=(const TxQueue&) = delete;
    ~TxQueue() { release(); }

    Status create(MemoryProvider& dma, uint32_t size, const std::string& name) {
        if (auto s = ring_.allocate(dma, size, "shunt-tx-" + name); !s) return s;
        bufs_.assign(size, nullptr);
        rs_slots_.assign(size, 0);
        return {};
    }
    // pool: where the caller's transmit buffers should come from (the RX twin's pool).
    void start(Mmio* mmio, uint32_t tail_reg, Mempool* pool, const Config& cfg) noexcept {
        mmio_ = mmio;
        tail_reg_ = tail_reg;
        pool_ = pool;
        cfg_ = cfg;
        if (cfg_.rs_thresh == 0) cfg_.rs_thresh = std::clamp(ring_.size() / 4, 1u, 32u);
        release();
        for (uint32_t i = 0; i < ring_.size(); ++i) ring_[i] = Desc{};
        tail_ = clean_ = 0;
        rs_head_ = rs_tail_ = 0;
        since_rs_ = 0;
        ctx_valid_ = false;
    }

    // Queues frames; returns how many it took (the caller keeps the rest: the Nic ownership
    // rule). Reaps finished descriptors first. One tail write per burst, after a release fence.
    size_t tx_burst(std::span<PacketBuf*> bufs) noexcept {
        clean();
        uint32_t tail = tail_;
        uint32_t last_eop = tail;
        size_t n = 0;
        for (; n < bufs.size(); ++n) {
            PacketBuf* b = bufs[n];
            const uint16_t len = b->length();
            if (len == 0 || len > cfg_.max_frame) {
                ++stats_.dropped;  // the NIC cannot send it as one frame
                b->unref();
                continue;
            }
            typename Format::TxPlan plan;
            const bool offload = cfg_.offload && Format::tx_plan(*b, len, plan);
            const bool need_ctx =
                offload && (!ctx_valid_ || std::memcmp(&plan.ctx, &ctx_, sizeof(ctx_)) != 0);
            const uint64_t iova = b->data_iova();
            uint16_t first = len;
            if (cfg_.split != 0) {
                first =
                    static_cast<uint16_t>(std::min<uint64_t>(len, cfg_.split - iova % cfg_.split));
            }
            const uint32_t pieces = first < len ? 2u : 1u;
            if (free_slots(tail) < pieces + (need_ctx ? 1u : 0u)) break;  // ring full
            if (need_ctx) {
                Format::tx_context(ring_[tail], plan);
                std::memcpy(&ctx_, &plan.ctx, sizeof(ctx_));
                ctx_valid_ = true;
                bufs_[tail] = nullptr;
                tail = ring_.next(tail);
                ++since_rs_;
            }
            if (offload) Format::tx_commit(*b, plan);
            uint16_t done = 0;
            for (uint32_t piece = 0; piece < pieces; ++piece) {
                const bool last = piece + 1 == pieces;
                const uint16_t part = last ? static_cast<uint16_t>(len - done) : first;
                Format::tx_data(ring_[tail], iova + done, part, len, offload ? &plan : nullptr,
                                last);
                ++since_rs_;
                done = static_cast<uint16_t>(done + part);
                if (!last) {
                    bufs_[tail] = nullptr;  // the buffer goes home with its last descriptor
                    tail = ring_.next(tail);
                }
            }
            bufs_[tail] = b;
            if (since_rs_ >= cfg_.rs_thresh) report_status(tail);
            last_eop = tail;
            tail = ring_.next(tail);
            ++stats_.packets;
            stats_.bytes += len;
        }
        if (tail != tail_) {
            if (since_rs_ != 0) report_status(last_eop);  // the burst's last packet
            tail_ = tail;
            Mmio::release_fence();
            mmio_->write32(tail_reg_, tail);
            ++stats_.doorbells;
        }
        return n;
    }

    // Returns the buffers of every group whose RS descriptor is done, by done bits only (never
    // the head register: QEMU's e1000 advances it even when the DMA failed).
    void clean() noexcept {
        PacketBuf* done[kCleanBatch];
        size_t n = 0;
        while (rs_head_ != rs_tail_) {
            const uint32_t last = rs_slots_[rs_head_];
            if (!Format::tx_done(ring_[last])) break;
            for (;;) {
                if (PacketBuf* b = std::exchange(bufs_[clean_], nullptr); b != nullptr) {
                    done[n++] = b;
                    if (n == kCleanBatch) {
                        Mempool::unref_batch({done, n});
                        n = 0;
                    }
                }
                const bool end = clean_ == last;
                clean_ = ring_.next(clean_);
                if (end) break;
            }
            rs_head_ = ring_.next(rs_head_);
        }
        if (n != 0) Mempool::unref_batch({done, n});
    }
    // Everything queued has been reaped.
    bool idle() const noexcept { return clean_ == tail_; }
    void release() noexcept {
        for (PacketBuf*& b : bufs_) {
            if (b != nullptr) std::exchange(b, nullptr)->unref();
        }
    }

    uint64_t ring_iova() const noexcept { return ring_.iova(); }
    uint32_t ring_bytes() const noexcept { return ring_.bytes(); }
    uint32_t size() const noexcept { return ring_.size(); }
    uint32_t rs_thresh() const noexcept { return cfg_.rs_thresh; }
    Mempool& pool() noexcept { return *pool_; }
    const TxQueueStats& stats() const noexcept { return stats_; }
    bool ready() const noexcept { return ring_.allocated() && mmio_ != nullptr; }

  private:
    static constexpr size_t kCleanBatch = 32;

    uint32_t free_slots(uint32_t tail) const noexcept {
        return ring_.size() - 1 - ring_.distance(clean_, tail);
    }
    void report_status(uint32_t slot) noexcept {
        Format::tx_set_rs(ring_[slot]);
        rs_slots_[rs_tail_] = slot;
        rs_tail_ = ring_.next(rs_tail_);  // at most one RS per slot: never overflows
        since_rs_ = 0;
        ++stats_.status_reports;
    }

    detail::DescRing<Desc> ring_;
    std::vector<PacketBuf*> bufs_;    // buffer behind each slot (null: context or first piece)
    std::vector<uint32_t> rs_slots_;  // FIFO of slots sent with RS, oldest at rs_head_
    Mmio* mmio_ = nullptr;
    Mempool* pool_ = nullptr;
    Config cfg_{};
    uint32_t tail_reg_ = 0;
    uint32_t tail_ = 0;   // next slot to fill (what the tail register was last set to)
    uint32_t clean_ = 0;  // oldest slot not yet reaped
    uint32_t rs_head_ = 0, rs_tail_ = 0;
    uint32_t since_rs_ = 0;             // descriptors queued since the last RS
    typename Format::TxContext ctx_{};  // last context descriptor handed to the NIC
    bool ctx_valid_ = false;
    TxQueueStats stats_{};
};

}  // namespace shunt
