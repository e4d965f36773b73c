// A pool of packet buffers: a stack of free indices over one memory region (ixy's model).
// One pool per queue/core; nothing here is thread-safe, by design.
#pragma once

#include "base/result.hpp"
#include "packet/memory.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace shunt {

class PacketBuf;

class Mempool {
  public:
    static Result<std::unique_ptr<Mempool>> create(MemoryProvider& provider, uint32_t count,
                                                   const std::string& name);
    Mempool(const Mempool&) = delete;
    Mempool& operator=(const Mempool&) = delete;
    ~Mempool();

    // Fills bufs from the front; returns how many were allocated (all or as many as are free).
    // Each buffer comes with one reference, empty, with full headroom.
    size_t alloc_batch(std::span<PacketBuf*> bufs) noexcept;
    PacketBuf* alloc() noexcept;
    // Drops one reference on each buffer (those reaching zero come back here).
    static void unref_batch(std::span<PacketBuf* const> bufs) noexcept;

    uint32_t capacity() const noexcept { return static_cast<uint32_t>(slots_.size()); }
    uint32_t available() const noexcept { return static_cast<uint32_t>(free_.size()); }
    uint64_t alloc_failures() const noexcept { return alloc_failures_; }
    const MemoryRegion& region() const noexcept { return *region_; }
    PacketBuf* buffer_at(uint32_t index) const noexcept { return slots_[index]; }

    // Returns a buffer whose refcount reached zero. Called by PacketBuf::unref.
    void put(PacketBuf* buf) noexcept;

  private:
    explicit Mempool(std::unique_ptr<MemoryRegion> region);

    std::unique_ptr<MemoryRegion> region_;
    std::vector<PacketBuf*> slots_;  // index -> buffer
    std::vector<uint32_t> free_;     // stack of free indices (reserved to capacity)
    uint64_t alloc_failures_ = 0;
};

}  // namespace shunt
