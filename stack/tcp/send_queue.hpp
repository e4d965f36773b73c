// The send and retransmission queue: the application's own payload buffers, held by
// reference until acknowledged (zero copy). Entries are contiguous in sequence space and sit
// in a ring that starts small (an idle connection costs kInitialSlots entries) and doubles,
// up to its maximum, when the application queues more than it holds: the growth happens on
// the application's send path, a few times per connection, never while segments arrive.
#pragma once

#include "packet/packet_buf.hpp"
#include "stack/tcp/seq.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace shunt::tcp {

struct TxEntry {
    Packet buf;
    SeqNum seq;                // first unacknowledged byte of this buffer
    uint32_t len = 0;          // unacknowledged payload bytes
    uint16_t payload_off = 0;  // buffer headroom where those bytes start
};

class SendQueue {
  public:
    static constexpr size_t kInitialSlots = 8;

    explicit SendQueue(size_t max_capacity)
        : max_(max_capacity == 0 ? 1 : max_capacity), ring_(std::min(kInitialSlots, max_)) {}

    bool full() const noexcept { return count_ == max_; }
    size_t slots() const noexcept { return ring_.size(); }  // allocated now
    bool empty() const noexcept { return count_ == 0; }
    size_t size() const noexcept { return count_; }
    uint64_t bytes() const noexcept { return bytes_; }
    // One past the last queued byte.
    SeqNum end_seq(SeqNum if_empty) const noexcept {
        return empty() ? if_empty : back().seq + back().len;
    }

    // Appends a buffer whose data is the payload. The caller checked full() and the size.
    // False only when the ring had to grow and memory ran out (the buffer is then released).
    bool push(Packet buf, SeqNum seq) noexcept {
        if (count_ == ring_.size() && !grow()) return false;
        TxEntry& e = ring_[(head_ + count_) % ring_.size()];
        e.len = buf->length();
        e.payload_off = static_cast<uint16_t>(buf->headroom());
        e.seq = seq;
        e.buf = std::move(buf);
        ++count_;
        bytes_ += e.len;
        return true;
    }
    // The last buffer grew by n bytes (copy_send topping it up before it was sent).
    void grow_back(uint32_t n) noexcept {
        back().len += n;
        bytes_ += n;
    }
    TxEntry& at(size_t i) noexcept { return ring_[(head_ + i) % ring_.size()]; }
    const TxEntry& at(size_t i) const noexcept { return ring_[(head_ + i) % ring_.size()]; }
    TxEntry& back() noexcept { return at(count_ - 1); }
    const TxEntry& back() const noexcept { return at(count_ - 1); }

    // The index of the entry holding `seq`, or size() when no entry does (binary search:
    // entries are in sequence order).
    size_t find(SeqNum seq) const noexcept;

    // Releases everything below `una` (RFC 9293 §3.10.7.4 fifth check: "Any segments on the
    // retransmission queue that are thereby entirely acknowledged are removed"); a buffer
    // acknowledged in part keeps its tail. Returns the payload bytes released.
    uint64_t ack_to(SeqNum una) noexcept;
    void clear() noexcept;

  private:
    bool grow() noexcept;

    size_t max_;
    std::vector<TxEntry> ring_;
    size_t head_ = 0;
    size_t count_ = 0;
    uint64_t bytes_ = 0;
    mutable size_t hint_ = 0;  // index find() returned last (a guess, always checked)
};

// Makes a buffer's data exactly [headroom, headroom + len) again (after the layers below
// prepended their headers on an earlier transmission).
inline void set_data_window(PacketBuf& b, size_t headroom, size_t len) noexcept {
    if (b.headroom() < headroom) {
        b.trim_front(headroom - b.headroom());
    } else if (b.headroom() > headroom) {
        b.prepend(b.headroom() - headroom);
    }
    if (b.length() > len) {
        b.trim_back(b.length() - len);
    } else if (b.length() < len) {
        b.append(len - b.length());
    }
}

}  // namespace shunt::tcp
