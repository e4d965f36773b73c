// Packet buffers: one fixed-size data room per packet, carved from a memory region that the
// NIC can DMA into, and one 64-byte header per packet (one cache line, pinned below by
// static_assert) in ordinary process memory, so a driver touches one header line per packet
// and nothing translates addresses per packet (the data room's IOVA is cached in the header).
//
//   DMA region (device-writable; later shared with applications):
//     [ 128 B headroom | 2048 B data room ] [ headroom | data room ] ...
//       ^ headers are prepended here; the NIC writes received frames at the data room
//   process memory (the pool's header array): refcount, pool, links, offload metadata
//
// Nothing the device (or another process sharing the region) can write steers the stack: the
// header is out of its reach, and what links a header to its pool or to the next buffer is an
// index that is validated before use (a bad one is counted and refused, never followed).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace shunt {

class Mempool;

// Offload results a driver may set on received buffers.
namespace rx_flags {
inline constexpr uint16_t ip_csum_good = 1u << 0;
inline constexpr uint16_t l4_csum_good = 1u << 1;
inline constexpr uint16_t ip_csum_bad = 1u << 2;
inline constexpr uint16_t l4_csum_bad = 1u << 3;
}  // namespace rx_flags

// Offload requests the stack may set on buffers it sends.
namespace tx_flags {
inline constexpr uint16_t ip_csum = 1u << 8;
inline constexpr uint16_t l4_csum = 1u << 9;
}  // namespace tx_flags

// Transport protocols a NIC can checksum (TxMeta::l4_type).
namespace l4_type {
inline constexpr uint8_t none = 0;
inline constexpr uint8_t tcp = 1;
inline constexpr uint8_t udp = 2;
}  // namespace l4_type

// Where a transmitted frame's headers are, recorded by the layers that prepend them (DPDK's
// mbuf l2_len/l3_len/l4_len next to its PKT_TX_*_CKSUM flags; Linux's csum_start/csum_offset),
// so a driver builds its checksum-offload descriptors from these numbers and never parses the
// frame. The IPv4 layer records l3_len, l4_type, l4_len and the seed; the Ethernet layer l2_len.
//
// The seed is kept here rather than written into the TCP/UDP checksum field: the frame bytes
// stay what the stack emitted (the field zero) whatever NIC sends it, so a backend without L4
// offload, a capture or a fake NIC sees the same frame, and each driver applies its hardware's
// convention (the Intel parts add the segment to the field's contents, so theirs store the
// seed there, SDM §3.3.6; a software fallback sums the segment over it).
struct TxMeta {
    uint16_t l2_len = 0;        // Ethernet header and any VLAN tags: where L3 starts
    uint16_t l3_len = 0;        // IPv4 header, options included: where L4 starts after l2_len
    uint16_t l4_len = 0;        // TCP/UDP header and payload (the pseudo header's length field)
    uint16_t l4_csum_seed = 0;  // pseudo-header sum (RFC 768, RFC 9293 §3.1), folded, not
                                // complemented: what the NIC adds the segment to
    uint8_t l4_type = l4_type::none;  // none: no L4 checksum offload (fragment, other protocol)
};

class alignas(64) PacketBuf {
  public:
    static constexpr size_t kHeaderSize = 64;  // the header object, in process memory
    static constexpr size_t kHeadroom = 128;
    static constexpr size_t kDataRoom = 2048;
    static constexpr size_t kStorage = kHeadroom + kDataRoom;

    PacketBuf(const PacketBuf&) = delete;
    PacketBuf& operator=(const PacketBuf&) = delete;

    uint8_t* data() noexcept { return storage_ + data_off_; }
    const uint8_t* data() const noexcept { return storage_ + data_off_; }
    uint16_t length() const noexcept { return data_len_; }
    std::span<uint8_t> bytes() noexcept { return {data(), data_len_}; }
    std::span<const uint8_t> bytes() const noexcept { return {data(), data_len_}; }

    // Device-visible address of the first data byte.
    uint64_t data_iova() const noexcept { return iova_ + data_off_; }
    // Device-visible address where a NIC should write a received frame.
    uint64_t rx_iova() const noexcept { return iova_ + kHeadroom; }
    uint8_t* rx_area() noexcept { return storage_ + kHeadroom; }
    size_t headroom() const noexcept { return data_off_; }
    size_t tailroom() const noexcept { return kStorage - data_off_ - data_len_; }

    // Grow the packet at the front into the headroom (a layer writing its header).
    // Returns nullptr when there is not enough headroom.
    uint8_t* prepend(size_t n) noexcept {
        if (n > data_off_) return nullptr;
        data_off_ = static_cast<uint16_t>(data_off_ - n);
        data_len_ = static_cast<uint16_t>(data_len_ + n);
        return data();
    }
    // Drop n bytes from the front (a layer consuming its header).
    bool trim_front(size_t n) noexcept {
        if (n > data_len_) return false;
        data_off_ = static_cast<uint16_t>(data_off_ + n);
        data_len_ = static_cast<uint16_t>(data_len_ - n);
        return true;
    }
    // Grow at the back; returns where the new bytes go or nullptr if there is no room.
    uint8_t* append(size_t n) noexcept {
        if (n > tailroom()) return nullptr;
        uint8_t* p = data() + data_len_;
        data_len_ = static_cast<uint16_t>(data_len_ + n);
        return p;
    }
    bool trim_back(size_t n) noexcept {
        if (n > data_len_) return false;
        data_len_ = static_cast<uint16_t>(data_len_ - n);
        return true;
    }
    // Set the frame a NIC wrote at rx_area().
    void set_received(uint16_t len) noexcept {
        data_off_ = kHeadroom;
        data_len_ = len;
    }
    // Reset to empty with all headroom available (used by pools and for reuse).
    void reset() noexcept {
        data_off_ = kHeadroom;
        data_len_ = 0;
        flags_ = 0;
        rss_hash_ = 0;
        next_ = kNoLink;
        tx_meta_ = {};
    }

    uint16_t flags() const noexcept { return flags_; }
    void set_flags(uint16_t f) noexcept { flags_ = f; }
    uint32_t rss_hash() const noexcept { return rss_hash_; }
    void set_rss_hash(uint32_t h) noexcept { rss_hash_ = h; }

    // Transmit offload metadata (see TxMeta); cleared by reset().
    const TxMeta& tx_meta() const noexcept { return tx_meta_; }
    void set_l2_len(uint16_t n) noexcept { tx_meta_.l2_len = n; }
    void set_l3_meta(uint16_t l3_len, uint8_t l4, uint16_t l4_len, uint16_t seed) noexcept {
        tx_meta_.l3_len = l3_len;
        tx_meta_.l4_type = l4;
        tx_meta_.l4_len = l4_len;
        tx_meta_.l4_csum_seed = seed;
    }

    // Intrusive link for queues that must not allocate (ARP wait queues, reassembly). Kept as
    // a handle (pool id, index), resolved and checked on every next(): a corrupted link ends
    // the queue there (counted in Mempool::bad_links()) instead of being followed.
    inline PacketBuf* next() const noexcept;
    void set_next(PacketBuf* n) noexcept { next_ = n == nullptr ? kNoLink : n->handle(); }

    // The owner pool (null, counted, if the pool id does not resolve).
    inline Mempool* pool() const noexcept;
    uint32_t index() const noexcept { return index_; }
    uint16_t pool_id() const noexcept { return pool_id_; }
    // (pool id, index) packed: what links name a buffer by.
    static constexpr unsigned kIndexBits = 22;  // 4 Mi buffers per pool, 1024 pools
    static constexpr uint32_t kNoLink = UINT32_MAX;
    uint32_t handle() const noexcept { return uint32_t{pool_id_} << kIndexBits | index_; }
    uint16_t refcount() const noexcept { return refcnt_; }

    // A count that reached this sticks there: the buffer is never returned (a leak, counted
    // in Mempool::saturated_refs()) rather than freed while references remain (the rule of
    // Linux's refcount_t). Checked in every build, not only by assert: one compare each.
    static constexpr uint16_t kRefSaturated = UINT16_MAX;
    // References are per core (not atomic): a buffer never crosses threads while shared.
    // Taking a reference on a free buffer (count 0) is refused and counted as a double free.
    inline void ref() noexcept;
    // Drops one reference; the last one returns the buffer to its pool. Dropping one from a
    // free buffer (a double free) is refused and counted in Mempool::double_frees().
    inline void unref() noexcept;

  private:
    friend class Mempool;
    friend struct PacketBufLayout;
    PacketBuf() = default;  // only pools make headers (Mempool::create)

    uint8_t* storage_ = nullptr;  // this buffer's headroom + data room, in the DMA region
    uint64_t iova_ = 0;           // IOVA of storage_[0]
    uint32_t next_ = kNoLink;     // handle of the next buffer in an intrusive queue
    uint16_t pool_id_ = 0;        // owner pool in the pool registry (Mempool::by_id)
    uint32_t index_ = 0;          // index in the pool
    uint32_t rss_hash_ = 0;       // set by RX when the NIC computes it
    // From here to the end of tx_meta_ is what reset() and alloc clear and set, refcount
    // included, at a 16-byte aligned offset: the compiler writes it with one aligned vector
    // store, which unref's refcount read forwards from. (A refcount outside it, or the block
    // at an unaligned offset, made the store-to-load forward fail: twice the cost per
    // alloc/unref pair in bench_mempool.)
    alignas(16) uint16_t data_off_ = 0;  // offset of the first data byte in storage_
    uint16_t data_len_ = 0;              // bytes of packet data
    uint16_t refcnt_ = 0;                // owners; 0 while in the pool
    uint16_t flags_ = 0;                 // rx_flags / tx_flags
    TxMeta tx_meta_{};                   // transmit offload metadata
};

// The layout is part of the design: one cache line of header, the data room elsewhere.
struct PacketBufLayout {
    static_assert(sizeof(PacketBuf) == PacketBuf::kHeaderSize,
                  "packet header must be exactly one cache line");
    static_assert(alignof(PacketBuf) == 64);
    static_assert(offsetof(PacketBuf, storage_) == 0, "drivers read the data pointer first");
    static_assert(PacketBuf::kStorage <= UINT16_MAX, "offsets are 16-bit");
    static_assert(PacketBuf::kStorage % 64 == 0, "data rooms stay cache-line aligned");
    static_assert(offsetof(PacketBuf, data_off_) == 32 && offsetof(PacketBuf, refcnt_) == 36,
                  "the block reset() writes starts 16-byte aligned and holds the refcount");
};

// Move-only owner of one reference to a PacketBuf (seastar's packet ownership, minus
// fragments: one frame is one buffer; larger data is a chain kept by the layer above).
class Packet {
  public:
    Packet() = default;
    // Adopts a reference the caller already holds.
    explicit Packet(PacketBuf* buf) noexcept : buf_(buf) {}
    Packet(Packet&& o) noexcept : buf_(std::exchange(o.buf_, nullptr)) {}
    Packet& operator=(Packet&& o) noexcept {
        if (this != &o) {
            reset();
            buf_ = std::exchange(o.buf_, nullptr);
        }
        return *this;
    }
    Packet(const Packet&) = delete;
    Packet& operator=(const Packet&) = delete;
    ~Packet() { reset(); }

    // A second owner of the same buffer (e.g. TCP keeps data until it is acknowledged).
    Packet share() const noexcept {
        if (buf_ != nullptr) buf_->ref();
        return Packet(buf_);
    }
    PacketBuf* get() const noexcept { return buf_; }
    PacketBuf* operator->() const noexcept { return buf_; }
    explicit operator bool() const noexcept { return buf_ != nullptr; }
    PacketBuf* release() noexcept { return std::exchange(buf_, nullptr); }
    void reset() noexcept {
        if (buf_ != nullptr) std::exchange(buf_, nullptr)->unref();
    }

  private:
    PacketBuf* buf_ = nullptr;
};

}  // namespace shunt

#include "packet/mempool.hpp"

namespace shunt {
inline void PacketBuf::ref() noexcept {
    // One unsigned compare catches both 0 (free) and the top two values (about to saturate).
    if (refcnt_ - 1u >= kRefSaturated - 2u) [[unlikely]] {
        Mempool::ref_fault(this);
        return;
    }
    ++refcnt_;
}

inline void PacketBuf::unref() noexcept {
    const uint16_t r = refcnt_;
    // 0: a double free; kRefSaturated: the count is stuck, the buffer is never returned.
    if (r - 1u >= kRefSaturated - 1u) [[unlikely]] {
        Mempool::unref_fault(this);
        return;
    }
    refcnt_ = static_cast<uint16_t>(r - 1);
    if (r == 1) Mempool::put(this);
}
inline PacketBuf* PacketBuf::next() const noexcept {
    return next_ == kNoLink ? nullptr : Mempool::resolve(next_);
}
inline Mempool* PacketBuf::pool() const noexcept {
    return Mempool::by_id(pool_id_);
}
inline void Mempool::put(PacketBuf* buf) noexcept {
    const uint16_t id = buf->pool_id_;
    const uint32_t i = buf->index_;
    Mempool* p = id < kMaxPools ? registry_[id].load(std::memory_order_relaxed) : nullptr;
    // A pool id no live pool has, an index past the pool, or a full pool (a second put of one
    // buffer would overflow the stack) is refused. Headers are out of the device's reach, so
    // this guards against software faults; checking also that the header is the one its index
    // names (&headers_[i] == buf) cost 5-10 % more per alloc/unref pair in bench_mempool.
    if (p == nullptr || i >= p->count_ || p->free_.size() == p->free_.capacity()) [[unlikely]] {
        note_bad_link();
        return;
    }
    p->free_.push_back(i);
}
inline PacketBuf* Mempool::buffer_at(uint32_t index) const noexcept {
    return index < count_ ? &headers_[index] : nullptr;
}
static_assert(Mempool::kMaxBuffers < 1u << PacketBuf::kIndexBits);
static_assert(Mempool::kMaxPools << PacketBuf::kIndexBits == 0, "pool ids fill the handle");
}  // namespace shunt
