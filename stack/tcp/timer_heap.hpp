// The stack's timer queue: one entry per connection with a timer running, in a binary
// min-heap ordered by when the connection must next be looked at, so that `poll` touches only
// connections that are due instead of scanning all of them (O(log n) per change, O(1) to see
// that nothing is due).
//
// An entry's time is a lower bound, not necessarily the connection's exact next deadline: a
// timer that moves later (the retransmission timer restarted by every new ACK, RFC 6298
// (5.3); a stopped timer) leaves the entry where it is, and the stack re-keys it only when it
// reaches the top. Moving earlier (a delayed ACK armed ahead of the RTO) sifts it up at once.
// So the per-segment cost of the common case is one comparison.
//
// Nodes are intrusive (each TCB embeds its TimerNode, which records its heap slot), so
// removal is O(log n) and nothing is allocated per change; the heap's array is reserved by
// the owner.
#pragma once

#include "base/time.hpp"

#include <cstddef>
#include <vector>

namespace shunt::tcp {

struct TimerNode {
    static constexpr size_t kNotQueued = static_cast<size_t>(-1);
    Instant at{};              // the entry's key (a lower bound of the owner's next deadline)
    size_t slot = kNotQueued;  // index in the heap array
    void* owner = nullptr;     // the TCB this node belongs to
    bool queued() const noexcept { return slot != kNotQueued; }
};

class TimerHeap {
  public:
    void reserve(size_t n) { heap_.reserve(n); }
    size_t capacity() const noexcept { return heap_.capacity(); }
    bool empty() const noexcept { return heap_.empty(); }
    size_t size() const noexcept { return heap_.size(); }
    TimerNode* top() const noexcept { return heap_.empty() ? nullptr : heap_.front(); }

    // The node is due no later than `at`: queued with that key, or moved earlier; a later time
    // than its key changes nothing (the key stays a lower bound). The caller reserved room.
    void arm_by(TimerNode& n, Instant at) noexcept {
        if (!n.queued()) {
            n.at = at;
            n.slot = heap_.size();
            heap_.push_back(&n);
            sift_up(n.slot);
        } else if (at < n.at) {
            n.at = at;
            sift_up(n.slot);
        }
    }

    // Re-keys a queued node to exactly `at` (earlier or later).
    void set(TimerNode& n, Instant at) noexcept {
        const bool later = n.at < at;
        n.at = at;
        if (later) {
            sift_down(n.slot);
        } else {
            sift_up(n.slot);
        }
    }

    void remove(TimerNode& n) noexcept {
        if (!n.queued()) return;
        const size_t i = n.slot;
        TimerNode* last = heap_.back();
        heap_.pop_back();
        n.slot = TimerNode::kNotQueued;
        if (last == &n) return;
        heap_[i] = last;
        last->slot = i;
        sift_down(i);
        sift_up(last->slot);
    }

  private:
    void place(size_t i, TimerNode* n) noexcept {
        heap_[i] = n;
        n->slot = i;
    }
    void sift_up(size_t i) noexcept {
        TimerNode* n = heap_[i];
        while (i > 0) {
            const size_t parent = (i - 1) / 2;
            if (!(n->at < heap_[parent]->at)) break;
            place(i, heap_[parent]);
            i = parent;
        }
        place(i, n);
    }
    void sift_down(size_t i) noexcept {
        TimerNode* n = heap_[i];
        const size_t size = heap_.size();
        for (;;) {
            size_t child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap_[child + 1]->at < heap_[child]->at) ++child;
            if (!(heap_[child]->at < n->at)) break;
            place(i, heap_[child]);
            i = child;
        }
        place(i, n);
    }

    std::vector<TimerNode*> heap_;
};

}  // namespace shunt::tcp
