// Receive queues: in-order chain, bounded out-of-order table, SACK block generation.
#include "stack/tcp/recv_queue.hpp"

#include <algorithm>
#include <cstring>

namespace shunt::tcp {

// A small segment whose bytes fit the tailroom of the buffer before it, which nobody else
// references (a buffer shared with a capture or a retransmission must not change).
bool RecvQueue::fits_tail(const PacketBuf* tail, const PacketChain& data) noexcept {
    if (tail == nullptr || data.count() != 1 || tail->refcount() != 1) return false;
    const size_t len = data.front()->length();
    return len > 0 && len < kCoalesceMax && len <= tail->tailroom();
}

void RecvQueue::copy_to_tail(PacketBuf& tail, const PacketChain& data) noexcept {
    const PacketBuf* src = data.front();
    uint8_t* dst = tail.append(src->length());
    std::memcpy(dst, src->data(), src->length());
    if (coalesced_ != nullptr) ++*coalesced_;
}

void RecvQueue::count_ooo(size_t added, size_t removed) noexcept {
    ooo_buffers_ = ooo_buffers_ + added - removed;
    if (ooo_total_ != nullptr) *ooo_total_ = *ooo_total_ + added - removed;
}

void RecvQueue::push_in_order(PacketChain data) noexcept {
    readable_ += data.byte_length();
    if (fits_tail(in_order_.back(), data)) return copy_to_tail(*in_order_.back(), data);
    in_order_.append(std::move(data));
}

PacketChain RecvQueue::take(size_t max_bytes) noexcept {
    PacketChain out;
    size_t taken = 0;
    // At least one buffer (a buffer is never split here: that would be a copy), then whole
    // buffers while they fit.
    while (!in_order_.empty() &&
           (out.empty() || taken + in_order_.front()->length() <= max_bytes)) {
        taken += in_order_.front()->length();
        out.push_back(in_order_.pop_front());
    }
    readable_ -= taken;
    return out;
}

// copy_out is the copying convenience behind TcpSocket::copy_recv.
size_t RecvQueue::copy_out(std::span<uint8_t> out) noexcept {
    size_t done = 0;
    while (done < out.size() && !in_order_.empty()) {
        PacketBuf* b = in_order_.front();
        const size_t n = std::min<size_t>(b->length(), out.size() - done);
        std::memcpy(out.data() + done, b->data(), n);
        done += n;
        if (n == b->length()) {
            in_order_.pop_front();
        } else {
            b->trim_front(n);
        }
    }
    readable_ -= done;
    return done;
}

void RecvQueue::erase_ooo(size_t i) noexcept {
    ooo_bytes_ -= ooo_[i].len;
    count_ooo(0, ooo_[i].data.count());
    for (size_t j = i; j + 1 < ooo_count_; ++j) ooo_[j] = std::move(ooo_[j + 1]);
    --ooo_count_;
    ooo_[ooo_count_].data.clear();
}

// Trims [seq, seq+len) so it overlaps no held entry; removes entries it covers entirely.
// False when nothing new remains.
bool RecvQueue::trim_against_neighbours(SeqNum& seq, PacketChain& data, uint32_t& len) noexcept {
    for (size_t i = 0; i < ooo_count_;) {
        const OooEntry& e = ooo_[i];
        const SeqNum end = seq + len;
        if (e.seq >= end || e.end() <= seq) {
            ++i;
        } else if (e.seq <= seq && e.end() >= end) {
            return false;  // already held
        } else if (seq <= e.seq && end >= e.end()) {
            erase_ooo(i);  // the new segment covers it
        } else if (e.seq < seq) {
            const auto cut = static_cast<uint32_t>(e.end() - seq);
            chain_trim_front(data, cut);
            seq += cut;
            len -= cut;
            ++i;
        } else {
            len = static_cast<uint32_t>(e.seq - seq);
            chain_trim_to(data, len);
            ++i;
        }
    }
    return len > 0;
}

RecvQueue::OooResult RecvQueue::insert_ooo(SeqNum seq, PacketChain data) noexcept {
    auto len = static_cast<uint32_t>(data.byte_length());
    if (len == 0 || !trim_against_neighbours(seq, data, len)) return OooResult::duplicate;
    size_t pos = ooo_count_;
    while (pos > 0 && ooo_[pos - 1].seq > seq) --pos;
    // Continues the entry before it: copied into its last buffer when small (no new buffer).
    if (pos > 0 && ooo_[pos - 1].end() == seq && fits_tail(ooo_[pos - 1].data.back(), data)) {
        copy_to_tail(*ooo_[pos - 1].data.back(), data);
        ooo_[pos - 1].len += len;
        ooo_bytes_ += len;
        note_recent(seq);
        return OooResult::stored;
    }
    if (ooo_count_ == ooo_.size()) return OooResult::limit;
    pos = ooo_count_;
    while (pos > 0 && ooo_[pos - 1].seq > seq) {
        ooo_[pos] = std::move(ooo_[pos - 1]);
        --pos;
    }
    ooo_[pos].seq = seq;
    ooo_[pos].len = len;
    count_ooo(data.count(), 0);
    ooo_[pos].data = std::move(data);
    ++ooo_count_;
    ooo_bytes_ += len;
    note_recent(seq);
    return OooResult::stored;
}

SeqNum RecvQueue::drain_ooo(SeqNum rcv_nxt) noexcept {
    while (ooo_count_ > 0 && ooo_[0].seq <= rcv_nxt) {
        OooEntry& e = ooo_[0];
        if (e.end() > rcv_nxt) {
            // Counted out of order as it was held; erase_ooo then finds the chain moved.
            count_ooo(0, e.data.count());
            chain_trim_front(e.data, static_cast<size_t>(rcv_nxt - e.seq));
            rcv_nxt = e.end();
            push_in_order(std::move(e.data));
        }
        erase_ooo(0);
    }
    return rcv_nxt;
}

bool RecvQueue::would_coalesce_ooo(SeqNum seq, const PacketChain& data) const noexcept {
    for (size_t i = ooo_count_; i > 0; --i) {
        if (ooo_[i - 1].end() == seq) return fits_tail(ooo_[i - 1].data.back(), data);
        if (ooo_[i - 1].seq < seq) break;
    }
    return false;
}

size_t RecvQueue::prune_ooo(size_t want, SeqNum keep_below) noexcept {
    size_t freed = 0;
    while (freed < want && ooo_count_ > 0 && ooo_[ooo_count_ - 1].seq > keep_below) {
        freed += ooo_[ooo_count_ - 1].data.count();
        erase_ooo(ooo_count_ - 1);
    }
    return freed;
}

SeqNum RecvQueue::ooo_end(SeqNum rcv_nxt) const noexcept {
    return ooo_count_ == 0 ? rcv_nxt : ooo_[ooo_count_ - 1].end();
}

void RecvQueue::note_recent(SeqNum seq) noexcept {
    const size_t n = std::min(recent_count_ + 1, recent_.size());
    for (size_t i = n - 1; i > 0; --i) recent_[i] = recent_[i - 1];
    recent_[0] = seq;
    recent_count_ = n;
}

// The contiguous run of held entries around entry i, as one SACK block.
wire::SackBlock RecvQueue::block_around(size_t i) const noexcept {
    size_t lo = i;
    size_t hi = i;
    while (lo > 0 && ooo_[lo - 1].end() == ooo_[lo].seq) --lo;
    while (hi + 1 < ooo_count_ && ooo_[hi].end() == ooo_[hi + 1].seq) ++hi;
    return {ooo_[lo].seq.raw(), ooo_[hi].end().raw()};
}

size_t RecvQueue::sack_blocks(std::span<wire::SackBlock> out) const noexcept {
    size_t n = 0;
    auto add = [&](wire::SackBlock b) {
        if (n == out.size()) return;
        for (size_t k = 0; k < n; ++k) {
            if (out[k] == b) return;
        }
        out[n++] = b;
    };
    for (size_t r = 0; r < recent_count_; ++r) {
        for (size_t i = 0; i < ooo_count_; ++i) {
            if (seq_in_window(recent_[r], ooo_[i].seq, ooo_[i].len)) add(block_around(i));
        }
    }
    for (size_t i = ooo_count_; i > 0; --i) add(block_around(i - 1));
    return n;
}

void RecvQueue::clear() noexcept {
    in_order_.clear();
    readable_ = 0;
    while (ooo_count_ > 0) erase_ooo(ooo_count_ - 1);
    recent_count_ = 0;
}

}  // namespace shunt::tcp
