// Packet buffers: one fixed-size slot per packet, carved from a memory region that the NIC
// can DMA into. The header is 64 bytes (one cache line), pinned below by static_assert, so a
// driver touches one line per packet on the fast path; the IOVA is cached here so nothing
// translates addresses per packet.
//
//   [ 64 B header | 128 B headroom | 2048 B data room ]
//                   ^ headers are prepended here; the NIC writes received frames at data room
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

class PacketBuf {
  public:
    static constexpr size_t kHeaderSize = 64;
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
    uint64_t data_iova() const noexcept { return iova_ + kHeaderSize + data_off_; }
    // Device-visible address where a NIC should write a received frame.
    uint64_t rx_iova() const noexcept { return iova_ + kHeaderSize + kHeadroom; }
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
        next_ = nullptr;
    }

    uint16_t flags() const noexcept { return flags_; }
    void set_flags(uint16_t f) noexcept { flags_ = f; }
    uint32_t rss_hash() const noexcept { return rss_hash_; }
    void set_rss_hash(uint32_t h) noexcept { rss_hash_ = h; }

    // Intrusive link for queues that must not allocate (ARP wait queues, reassembly).
    PacketBuf* next() const noexcept { return next_; }
    void set_next(PacketBuf* n) noexcept { next_ = n; }

    Mempool* pool() const noexcept { return pool_; }
    uint32_t index() const noexcept { return index_; }
    uint16_t refcount() const noexcept { return refcnt_; }

    // References are per core (not atomic): a buffer never crosses threads while shared.
    void ref() noexcept { ++refcnt_; }
    // Drops one reference; the last one returns the buffer to its pool.
    inline void unref() noexcept;

  private:
    friend class Mempool;
    friend struct PacketBufLayout;
    PacketBuf() = default;  // trivial: slots live in mapped memory, set up by Mempool

    uint64_t iova_;                          // IOVA of this slot (header start)
    Mempool* pool_;                          // owner pool
    PacketBuf* next_;                        // intrusive queue link
    uint32_t index_;                         // index in the pool
    uint32_t rss_hash_;                      // set by RX when the NIC computes it
    uint16_t data_off_;                      // offset of the first data byte in storage_
    uint16_t data_len_;                      // bytes of packet data
    uint16_t refcnt_;                        // owners; 0 while in the pool
    uint16_t flags_;                         // rx_flags / tx_flags
    [[maybe_unused]] uint8_t reserved_[24];  // room for offload metadata (l2/l3 lengths, VLAN)
    alignas(64) uint8_t storage_[kStorage];
};

// The layout is part of the design: one cache line of header, then storage.
struct PacketBufLayout {
    static_assert(offsetof(PacketBuf, storage_) == PacketBuf::kHeaderSize,
                  "packet header must be exactly one cache line");
    static_assert(offsetof(PacketBuf, iova_) == 0, "drivers read the IOVA first");
    static_assert(sizeof(PacketBuf) == PacketBuf::kHeaderSize + PacketBuf::kStorage);
    static_assert(PacketBuf::kStorage <= UINT16_MAX, "offsets are 16-bit");
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
inline void PacketBuf::unref() noexcept {
    assert(refcnt_ > 0);
    if (--refcnt_ == 0) pool_->put(this);
}
}  // namespace shunt
