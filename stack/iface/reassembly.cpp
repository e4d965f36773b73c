#include "stack/iface/reassembly.hpp"

#include <algorithm>
#include <utility>

namespace shunt {

namespace {

// RFC 791 §3.1: total length is 16 bits and the header is at least 20 bytes.
constexpr size_t kMaxPayload = 65535 - 20;

ReassemblyConfig sanitize(ReassemblyConfig c) {
    c.max_datagrams = std::clamp<size_t>(c.max_datagrams, 1, size_t{1} << 16);
    c.max_fragments_per_datagram = std::clamp<size_t>(c.max_fragments_per_datagram, 1, 8192);
    c.max_datagram_bytes = std::min(c.max_datagram_bytes, kMaxPayload);
    return c;
}

}  // namespace

Reassembler::Reassembler(ReassemblyConfig config, DropCounters& drops)
    : cfg_(sanitize(config)),
      drops_(drops),
      dgrams_(cfg_.max_datagrams),
      frags_(cfg_.max_datagrams * cfg_.max_fragments_per_datagram) {
    free_.reserve(cfg_.max_datagrams);
    for (size_t i = cfg_.max_datagrams; i-- > 0;) free_.push_back(static_cast<uint32_t>(i));
}

Reassembler::~Reassembler() {
    while (head_ != kNil) {
        const uint32_t d = head_;
        for (Frag& f : frags_of(d)) f.buf->unref();
        close(d);
    }
}

// ---- add ---------------------------------------------------------------------------------

PacketChain Reassembler::add(const FragmentInfo& info, Packet payload, Instant now) noexcept {
    if (!payload) return {};
    // RFC 791 §3.2: offset 0 with MF clear is a whole datagram; nothing to put together.
    if (info.offset == 0 && !info.more_fragments) return PacketChain(std::move(payload));
    reap(now);
    if (auto bad = check_fragment(info, payload->length())) {
        drops_.count(*bad);
        return {};
    }
    const Key key{info.src, info.dst, info.ident, info.protocol};
    uint32_t d = find(key);
    if (d == kNil) d = open(key, now);
    if (d == kNil) {
        drops_.count(DropReason::ipv4_frag_limit);
        return {};
    }
    return insert(d, info, std::move(payload));
}

// Checks that need no other fragment.
std::optional<DropReason> Reassembler::check_fragment(const FragmentInfo& info,
                                                      uint32_t len) const noexcept {
    // RFC 791 §3.2: offsets count 8-octet units, so every fragment but the last carries a
    // non-empty multiple of 8 octets.
    if (info.offset % 8 != 0) return DropReason::ipv4_frag_malformed;
    if (info.more_fragments && (len == 0 || len % 8 != 0)) return DropReason::ipv4_frag_malformed;
    // Past the largest datagram: the "ping of death" shape.
    if (uint32_t{info.offset} + len > cfg_.max_datagram_bytes) return DropReason::ipv4_frag_too_big;
    return std::nullopt;
}

uint32_t Reassembler::find(const Key& key) const noexcept {
    for (uint32_t d = head_; d != kNil; d = dgrams_[d].next) {
        if (dgrams_[d].key == key) return d;
    }
    return kNil;
}

// A new datagram at the back of the timer FIFO, or kNil at a limit.
uint32_t Reassembler::open(const Key& key, Instant now) noexcept {
    if (free_.empty() || buffers_held_ >= cfg_.max_buffers) return kNil;
    const uint32_t d = free_.back();
    free_.pop_back();
    Datagram& g = dgrams_[d];
    g = Datagram{};
    g.key = key;
    g.deadline = now + cfg_.timeout;
    g.prev = tail_;
    if (tail_ != kNil) {
        dgrams_[tail_].next = d;
    } else {
        head_ = d;
    }
    tail_ = d;
    return d;
}

PacketChain Reassembler::insert(uint32_t d, const FragmentInfo& info, Packet payload) noexcept {
    Datagram& g = dgrams_[d];
    const uint16_t len = payload->length();
    const uint32_t end = uint32_t{info.offset} + len;
    if (end_conflicts(d, info, end)) {
        drops_.count(DropReason::ipv4_frag_malformed);
        discard(d, DropReason::ipv4_frag_malformed);
        return {};
    }
    std::span<Frag> frags = frags_of(d);
    auto pos = std::lower_bound(frags.begin(), frags.end(), info.offset,
                                [](const Frag& f, uint16_t off) { return f.offset < off; });
    if (pos != frags.end() && pos->offset == info.offset && pos->length == len) {
        drops_.count(DropReason::ipv4_frag_overlap);  // a retransmitted copy: keep the first
        return {};
    }
    // Held fragments are disjoint and sorted, so only the neighbors can overlap.
    const bool overlaps_prev = pos != frags.begin() && (pos - 1)->end() > info.offset;
    const bool overlaps_next = pos != frags.end() && pos->offset < end;
    if (overlaps_prev || overlaps_next) {
        drops_.count(DropReason::ipv4_frag_overlap);
        discard(d, DropReason::ipv4_frag_overlap);
        return {};
    }
    if (g.nfrags >= cfg_.max_fragments_per_datagram || buffers_held_ >= cfg_.max_buffers) {
        drops_.count(DropReason::ipv4_frag_limit);
        return {};
    }
    // Room is preallocated: shift the tail of the sorted slice up by one.
    Frag* base = frags_.data() + size_t{d} * cfg_.max_fragments_per_datagram;
    std::move_backward(pos, frags.end(), base + g.nfrags + 1);
    *pos = Frag{info.offset, len, payload.release()};
    ++g.nfrags;
    ++buffers_held_;
    g.bytes += len;
    if (!info.more_fragments) {
        g.has_end = true;
        g.total = end;
    }
    if (g.has_end && g.bytes == g.total) return complete(d);
    return {};
}

// RFC 791 §3.2: the last fragment fixes the payload length; every fragment must fit in it.
bool Reassembler::end_conflicts(uint32_t d, const FragmentInfo& info, uint32_t end) const noexcept {
    const Datagram& g = dgrams_[d];
    if (info.more_fragments) return g.has_end && end > g.total;
    if (g.has_end) return end != g.total;
    const std::span<const Frag> frags = frags_of(d);
    return !frags.empty() && frags.back().end() > end;
}

PacketChain Reassembler::complete(uint32_t d) noexcept {
    PacketChain out;
    for (Frag& f : frags_of(d)) {
        Packet p(f.buf);
        if (p->length() != 0) out.push_back(std::move(p));  // an empty last fragment adds nothing
    }
    buffers_held_ -= dgrams_[d].nfrags;
    close(d);
    return out;
}

// Drops every buffer of the datagram, each counted under `reason`.
void Reassembler::discard(uint32_t d, DropReason reason) noexcept {
    drops_.count(reason, dgrams_[d].nfrags);
    for (Frag& f : frags_of(d)) f.buf->unref();
    buffers_held_ -= dgrams_[d].nfrags;
    close(d);
}

// ---- timers ------------------------------------------------------------------------------

size_t Reassembler::expire(Instant now, PacketChain& first_fragments) noexcept {
    reap(now);
    buffers_held_ -= expired_first_.count();
    first_fragments.append(std::move(expired_first_));
    return std::exchange(expired_unreported_, 0);
}

std::optional<Instant> Reassembler::next_deadline() const noexcept {
    if (expired_unreported_ != 0) return expired_since_;
    if (head_ == kNil) return std::nullopt;
    return dgrams_[head_].deadline;
}

// Expires every datagram whose timer has fired; the FIFO is in deadline order.
void Reassembler::reap(Instant now) noexcept {
    while (head_ != kNil && dgrams_[head_].deadline <= now) expire_one(head_);
}

void Reassembler::expire_one(uint32_t d) noexcept {
    std::span<Frag> frags = frags_of(d);
    drops_.count(DropReason::ipv4_frag_timeout, frags.size());
    if (expired_unreported_++ == 0) expired_since_ = dgrams_[d].deadline;
    // RFC 1122 §3.3.2: time exceeded goes out only if fragment zero arrived. The stash is
    // bounded by the datagram count in case expire() is never called.
    size_t kept = 0;
    if (!frags.empty() && frags.front().offset == 0 &&
        expired_first_.count() < cfg_.max_datagrams) {
        expired_first_.push_back(Packet(frags.front().buf));
        kept = 1;
    }
    for (Frag& f : frags.subspan(kept)) f.buf->unref();
    buffers_held_ -= frags.size() - kept;
    close(d);
}

// ---- datagram slots ----------------------------------------------------------------------

void Reassembler::close(uint32_t d) noexcept {
    Datagram& g = dgrams_[d];
    if (g.prev != kNil) {
        dgrams_[g.prev].next = g.next;
    } else {
        head_ = g.next;
    }
    if (g.next != kNil) {
        dgrams_[g.next].prev = g.prev;
    } else {
        tail_ = g.prev;
    }
    g = Datagram{};
    free_.push_back(d);
}

std::span<Reassembler::Frag> Reassembler::frags_of(uint32_t d) noexcept {
    return {frags_.data() + size_t{d} * cfg_.max_fragments_per_datagram, dgrams_[d].nfrags};
}

std::span<const Reassembler::Frag> Reassembler::frags_of(uint32_t d) const noexcept {
    return {frags_.data() + size_t{d} * cfg_.max_fragments_per_datagram, dgrams_[d].nfrags};
}

}  // namespace shunt
