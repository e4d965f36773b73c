// Single-producer/single-consumer rings in memory shared by two processes that do not trust
// each other (docs/libshunt.md, "The design it is built to"): the daemon and one attached app.
//
// Each side keeps its own copy of the index it advances and reads the other side's index from
// shared memory only to learn how far it may go; that index is bounded before use (a garbage
// value is reported as corrupt, never followed), and an entry is copied into the caller's
// memory once before anyone looks at it (the other side may rewrite the slot meanwhile).
// Indices are free-running uint32_t; a slot is index & (capacity - 1), capacity a power of two.
// Publication uses release stores and acquire loads (the entry's bytes are visible before the
// index that covers them). The producer index, the consumer index and the consumer's
// "sleeping" flag each have their own cache line, so the two sides do not false-share.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace shunt::attach {

inline constexpr size_t kCacheLine = 64;

// In shared memory: the ring's control block, in front of its slots.
struct RingControl {
    alignas(kCacheLine) std::atomic<uint32_t> produced;  // written by the producer only
    alignas(kCacheLine) std::atomic<uint32_t> consumed;  // written by the consumer only
    // Written by the consumer: nonzero while it sleeps on its eventfd, so the producer knows
    // a wakeup is needed (signalled only then: no syscall per entry while both are busy).
    alignas(kCacheLine) std::atomic<uint32_t> consumer_sleeping;
};
static_assert(std::atomic<uint32_t>::is_always_lock_free, "shared atomics must be lock-free");
static_assert(sizeof(RingControl) == 3 * kCacheLine);

constexpr bool is_power_of_two(uint32_t v) noexcept {
    return v != 0 && (v & (v - 1)) == 0;
}

enum class RingStatus : uint8_t {
    ok,
    empty,    // pop: nothing to read
    full,     // push: no free slot
    corrupt,  // the other side's index is impossible (ahead of what exists, or gone back)
};

// The producer's view of a ring. `control` and `slots` point into the shared region;
// `capacity` is the value this side decided (not re-read from shared memory).
template <typename Entry>
class RingProducer {
    static_assert(std::is_trivially_copyable_v<Entry>);

  public:
    RingProducer() = default;
    RingProducer(RingControl* control, Entry* slots, uint32_t capacity) noexcept
        : control_(control), slots_(slots), capacity_(capacity) {
        produced_ = control_->produced.load(std::memory_order_relaxed);
        consumed_ = produced_;
    }

    // Free slots as far as this side can tell (re-reads the consumer's index); corrupt when
    // the consumer claims to have read entries that were never written or went backwards.
    RingStatus space(uint32_t& free) noexcept {
        const uint32_t c = control_->consumed.load(std::memory_order_acquire);
        // Valid: consumed_ <= c <= produced_ in modular order.
        if (c - consumed_ > produced_ - consumed_) return RingStatus::corrupt;
        consumed_ = c;
        free = capacity_ - (produced_ - consumed_);
        return RingStatus::ok;
    }

    RingStatus push(const Entry& e) noexcept {
        if (produced_ - consumed_ == capacity_) {
            uint32_t free = 0;
            if (RingStatus s = space(free); s != RingStatus::ok) return s;
            if (free == 0) return RingStatus::full;
        }
        std::memcpy(&slots_[produced_ & (capacity_ - 1)], &e, sizeof(Entry));
        ++produced_;
        control_->produced.store(produced_, std::memory_order_release);
        return RingStatus::ok;
    }

    // After a push, before deciding whether to signal: true when the consumer said it sleeps.
    // The seq_cst fence pairs with the consumer's (see RingConsumer::prepare_sleep): either
    // the consumer sees the new entry before sleeping, or this side sees its flag.
    bool consumer_sleeping() const noexcept {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        return control_->consumer_sleeping.load(std::memory_order_relaxed) != 0;
    }

    uint32_t capacity() const noexcept { return capacity_; }
    uint32_t produced() const noexcept { return produced_; }

  private:
    RingControl* control_ = nullptr;
    Entry* slots_ = nullptr;
    uint32_t capacity_ = 0;
    uint32_t produced_ = 0;  // our own copy: the shared one is only ever written from it
    uint32_t consumed_ = 0;  // the last consumer index seen and accepted
};

// The consumer's view of a ring.
template <typename Entry>
class RingConsumer {
    static_assert(std::is_trivially_copyable_v<Entry>);

  public:
    RingConsumer() = default;
    RingConsumer(RingControl* control, Entry* slots, uint32_t capacity) noexcept
        : control_(control), slots_(slots), capacity_(capacity) {
        consumed_ = control_->consumed.load(std::memory_order_relaxed);
        produced_ = consumed_;
    }

    // Copies the oldest entry into `out` (read once: the slot may change after).
    RingStatus pop(Entry& out) noexcept {
        if (produced_ == consumed_) {
            if (RingStatus s = refresh(); s != RingStatus::ok) return s;
            if (produced_ == consumed_) return RingStatus::empty;
        }
        std::memcpy(&out, &slots_[consumed_ & (capacity_ - 1)], sizeof(Entry));
        ++consumed_;
        control_->consumed.store(consumed_, std::memory_order_release);
        return RingStatus::ok;
    }

    // Entries waiting (re-reads the producer's index).
    RingStatus pending(uint32_t& n) noexcept {
        if (RingStatus s = refresh(); s != RingStatus::ok) return s;
        n = produced_ - consumed_;
        return RingStatus::ok;
    }

    // Before sleeping: raise the flag, then look once more (the fence pairs with the
    // producer's). Returns false when entries arrived meanwhile (the caller must not sleep;
    // the flag is lowered again).
    bool prepare_sleep() noexcept {
        control_->consumer_sleeping.store(1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        uint32_t n = 0;
        if (pending(n) != RingStatus::ok || n > 0) {
            woke();
            return false;
        }
        return true;
    }
    void woke() noexcept { control_->consumer_sleeping.store(0, std::memory_order_relaxed); }

    uint32_t capacity() const noexcept { return capacity_; }

  private:
    RingStatus refresh() noexcept {
        const uint32_t p = control_->produced.load(std::memory_order_acquire);
        // Valid: produced_ <= p <= consumed_ + capacity in modular order.
        if (p - produced_ > capacity_ - (produced_ - consumed_)) return RingStatus::corrupt;
        produced_ = p;
        return RingStatus::ok;
    }

    RingControl* control_ = nullptr;
    Entry* slots_ = nullptr;
    uint32_t capacity_ = 0;
    uint32_t consumed_ = 0;  // our own copy
    uint32_t produced_ = 0;  // the last producer index seen and accepted
};

}  // namespace shunt::attach
