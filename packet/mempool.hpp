// A pool of packet buffers: a stack of free indices (ixy's model) over two arrays, the data
// rooms in one memory region the NIC can DMA into (and that may later be shared with other
// processes) and the headers in process memory (packet/packet_buf.hpp says why).
// One pool per queue/core; nothing here is thread-safe, by design, except the pool registry
// (ids are handed out and returned under a lock; lookups are single atomic loads).
#pragma once

#include "base/result.hpp"
#include "packet/memory.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace shunt {

class PacketBuf;

class Mempool {
  public:
    // Pool ids and indices fit PacketBuf::handle (10 + 22 bits; all ones is "no link").
    static constexpr uint32_t kMaxPools = 1024;
    static constexpr uint32_t kMaxBuffers = (1u << 22) - 1;

    static Result<std::unique_ptr<Mempool>> create(MemoryProvider& provider, uint32_t count,
                                                   const std::string& name);
    Mempool(const Mempool&) = delete;
    Mempool& operator=(const Mempool&) = delete;
    ~Mempool();

    // Fills bufs from the front; returns how many were allocated (all or as many as are free).
    // Each buffer comes with one reference, empty, with full headroom.
    size_t alloc_batch(std::span<PacketBuf*> bufs) noexcept;
    PacketBuf* alloc() noexcept;
    // Drops one reference on each buffer (those reaching zero go back to their pools).
    static void unref_batch(std::span<PacketBuf* const> bufs) noexcept;

    uint32_t capacity() const noexcept { return count_; }
    uint32_t available() const noexcept { return static_cast<uint32_t>(free_.size()); }
    uint64_t alloc_failures() const noexcept { return alloc_failures_; }
    const MemoryRegion& region() const noexcept { return *region_; }
    uint16_t id() const noexcept { return id_; }
    inline PacketBuf* buffer_at(uint32_t index) const noexcept;

    // Returns a buffer whose refcount reached zero to the pool its header names (called by
    // PacketBuf::unref; inline, in packet_buf.hpp). A pool id no live pool has, an index past
    // the pool, or a pool that is already full (a double free) is counted in bad_links() and
    // the buffer is not returned anywhere.
    static inline void put(PacketBuf* buf) noexcept;
    // The pool with this id, or null (counted) for an id no live pool has.
    static Mempool* by_id(uint16_t id) noexcept {
        Mempool* p = id < kMaxPools ? registry_[id].load(std::memory_order_relaxed) : nullptr;
        if (p == nullptr) note_bad_link();
        return p;
    }
    // The buffer a link handle (PacketBuf::handle) names, or null (counted) if none does.
    static PacketBuf* resolve(uint32_t handle) noexcept;
    // Links (pool ids, indices) refused since the process started.
    static uint64_t bad_links() noexcept { return bad_links_.load(std::memory_order_relaxed); }
    // References taken on or dropped from a free buffer, refused, since the process started.
    static uint64_t double_frees() noexcept {
        return double_frees_.load(std::memory_order_relaxed);
    }
    // Buffers whose reference count saturated (each one leaked, never freed while in use).
    static uint64_t saturated_refs() noexcept {
        return saturated_refs_.load(std::memory_order_relaxed);
    }
    // The slow paths of PacketBuf::ref/unref (out of line: they never run in a correct program).
    static void ref_fault(PacketBuf* buf) noexcept;
    static void unref_fault(const PacketBuf* buf) noexcept;

  private:
    Mempool(std::unique_ptr<MemoryRegion> region, uint32_t count);
    static void note_bad_link() noexcept { bad_links_.fetch_add(1, std::memory_order_relaxed); }

    std::unique_ptr<MemoryRegion> region_;
    std::unique_ptr<PacketBuf[]> headers_;  // index -> header, in process memory
    uint32_t count_ = 0;
    uint16_t id_ = 0;
    std::vector<uint32_t> free_;  // stack of free indices (reserved to capacity)
    uint64_t alloc_failures_ = 0;

    static inline std::array<std::atomic<Mempool*>, kMaxPools> registry_{};
    static inline std::atomic<uint64_t> bad_links_{0};
    static inline std::atomic<uint64_t> double_frees_{0};
    static inline std::atomic<uint64_t> saturated_refs_{0};
};

}  // namespace shunt
