// The send/retransmission queue (see send_queue.hpp).
#include "stack/tcp/send_queue.hpp"

#include <new>

namespace shunt::tcp {

// Transmissions walk the queue in order, so the entry found last, or the one after it, is
// nearly always the answer; the binary search is the fallback.
size_t SendQueue::find(SeqNum seq) const noexcept {
    for (size_t i = hint_; i < count_ && i < hint_ + 2; ++i) {
        const TxEntry& e = at(i);
        if (seq_in_window(seq, e.seq, e.len)) {
            hint_ = i;
            return i;
        }
    }
    size_t lo = 0;
    size_t hi = count_;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        const TxEntry& e = at(mid);
        if (seq < e.seq) {
            hi = mid;
        } else if (seq_in_window(seq, e.seq, e.len)) {
            hint_ = mid;
            return mid;
        } else {
            lo = mid + 1;
        }
    }
    return count_;
}

uint64_t SendQueue::ack_to(SeqNum una) noexcept {
    uint64_t released = 0;
    while (count_ > 0) {
        TxEntry& e = ring_[head_];
        if (e.seq + e.len <= una) {
            released += e.len;
            e.buf.reset();
            e.len = 0;
            head_ = (head_ + 1) % ring_.size();
            --count_;
            if (hint_ > 0) --hint_;  // indices count from the head
            continue;
        }
        if (e.seq < una) {
            // Partly acknowledged: keep the unacknowledged tail in place. Only the bookkeeping
            // moves; the bytes stay where they are until a transmission uses them.
            const auto done = static_cast<uint32_t>(una - e.seq);
            e.seq = una;
            e.len -= done;
            e.payload_off = static_cast<uint16_t>(e.payload_off + done);
            released += done;
        }
        break;
    }
    bytes_ -= released;
    return released;
}

// Doubles the ring (up to max_), keeping the entries in sequence order from index 0.
bool SendQueue::grow() noexcept {
    if (ring_.size() >= max_) return false;
    try {
        std::vector<TxEntry> bigger(std::min(ring_.size() * 2, max_));
        for (size_t i = 0; i < count_; ++i) bigger[i] = std::move(at(i));
        ring_.swap(bigger);
    } catch (const std::bad_alloc&) {
        return false;
    }
    head_ = 0;
    return true;
}

void SendQueue::clear() noexcept {
    hint_ = 0;
    while (count_ > 0) {
        ring_[head_].buf.reset();
        head_ = (head_ + 1) % ring_.size();
        --count_;
    }
    bytes_ = 0;
}

}  // namespace shunt::tcp
