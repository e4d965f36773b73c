// The bounded TIME-WAIT table (see time_wait.hpp).
#include "stack/tcp/time_wait.hpp"

namespace shunt::tcp {

TimeWaitTable::TimeWaitTable(size_t capacity) : ring_(capacity == 0 ? 1 : capacity) {
    index_.reserve(ring_.size());
}

void TimeWaitTable::pop_front() noexcept {
    TimeWaitEntry& e = ring_[head_];
    if (e.live) index_.erase(e.key);
    e.live = false;
    head_ = (head_ + 1) % ring_.size();
    --count_;
}

bool TimeWaitTable::add(const TimeWaitEntry& e) noexcept {
    remove(e.key);
    bool evicted = false;
    // Dead slots at the front are free; a live oldest entry is evicted.
    while (count_ == ring_.size()) {
        evicted = evicted || ring_[head_].live;
        pop_front();
    }
    const size_t slot = (head_ + count_) % ring_.size();
    ring_[slot] = e;
    ring_[slot].live = true;
    ++count_;
    index_[e.key] = slot;
    return evicted;
}

TimeWaitEntry* TimeWaitTable::find(const FourTuple& key) noexcept {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &ring_[it->second];
}

void TimeWaitTable::remove(const FourTuple& key) noexcept {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    ring_[it->second].live = false;
    index_.erase(it);
}

// Entries all live 2*MSL and a restart re-adds at the back, so the ring is in expiry order.
size_t TimeWaitTable::expire(Instant now) noexcept {
    size_t n = 0;
    while (count_ > 0 && (!ring_[head_].live || ring_[head_].expires <= now)) {
        if (ring_[head_].live) ++n;
        pop_front();
    }
    return n;
}

std::optional<Instant> TimeWaitTable::next_deadline() const noexcept {
    for (size_t i = 0; i < count_; ++i) {
        const TimeWaitEntry& e = ring_[(head_ + i) % ring_.size()];
        if (e.live) return e.expires;
    }
    return std::nullopt;
}

}  // namespace shunt::tcp
