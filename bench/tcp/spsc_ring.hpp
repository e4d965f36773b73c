// Single-producer single-consumer ring of trivially copyable values (packet-buffer pointers).
// Lives in shared memory: only lock-free atomics, no pointers into the owner's heap. The
// producer publishes with a release store of head_, the consumer hands slots back with a
// release store of tail_, so the bytes behind a pointer are visible before the pointer is.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace shunt::bench {

template <typename T, size_t N>
class SpscRing {
    static_assert((N & (N - 1)) == 0, "capacity must be a power of two");
    static_assert(std::is_trivially_copyable_v<T>);
    static_assert(std::atomic<uint64_t>::is_always_lock_free, "must work across processes");

  public:
    static constexpr size_t kCapacity = N;

    // Producer side. Returns how many of items were queued (a prefix).
    size_t push(std::span<const T> items) noexcept {
        const uint64_t head = head_.load(std::memory_order_relaxed);
        if (head - cached_tail_ + items.size() > N) {
            cached_tail_ = tail_.load(std::memory_order_acquire);
        }
        const size_t n = std::min<size_t>(items.size(), N - (head - cached_tail_));
        for (size_t i = 0; i < n; ++i) slots_[(head + i) & (N - 1)] = items[i];
        head_.store(head + n, std::memory_order_release);
        return n;
    }

    // Consumer side. Returns how many items were taken into out (at most out.size()).
    size_t pop(std::span<T> out) noexcept {
        const uint64_t tail = tail_.load(std::memory_order_relaxed);
        if (cached_head_ - tail < out.size()) cached_head_ = head_.load(std::memory_order_acquire);
        const size_t n = std::min<size_t>(out.size(), cached_head_ - tail);
        for (size_t i = 0; i < n; ++i) out[i] = slots_[(tail + i) & (N - 1)];
        tail_.store(tail + n, std::memory_order_release);
        return n;
    }

    // Consumer side: free slots the producer could fill now (a lower bound for the consumer
    // of the *other* direction deciding how much it may take).
    size_t free_slots() const noexcept {
        return N - (head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire));
    }
    size_t size() const noexcept { return N - free_slots(); }

  private:
    // Each index on its own cache line with the other side's cached copy of it, so the two
    // cores only share a line when a cached value runs out.
    alignas(64) std::atomic<uint64_t> head_{0};
    uint64_t cached_tail_ = 0;  // producer's last view of tail_
    alignas(64) std::atomic<uint64_t> tail_{0};
    uint64_t cached_head_ = 0;  // consumer's last view of head_
    alignas(64) T slots_[N];
};

}  // namespace shunt::bench
