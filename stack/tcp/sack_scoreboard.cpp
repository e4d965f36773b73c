#include "stack/tcp/sack_scoreboard.hpp"

#include <algorithm>

namespace shunt::tcp {

void SackScoreboard::prune(SeqNum snd_una) noexcept {
    size_t dead = 0;
    while (dead < count_ && ranges_[dead].end <= snd_una) ++dead;
    std::copy(ranges_.begin() + static_cast<std::ptrdiff_t>(dead),
              ranges_.begin() + static_cast<std::ptrdiff_t>(count_), ranges_.begin());
    count_ -= dead;
    if (count_ > 0 && ranges_[0].start < snd_una) ranges_[0].start = snd_una;
}

void SackScoreboard::insert(Range r) noexcept {
    // Ranges wholly before r that do not touch it stay; the ones r overlaps or touches
    // ([i, j)) merge with it into one.
    size_t i = 0;
    while (i < count_ && ranges_[i].end < r.start) ++i;
    size_t j = i;
    while (j < count_ && ranges_[j].start <= r.end) {
        r.start = min(r.start, ranges_[j].start);
        r.end = max(r.end, ranges_[j].end);
        ++j;
    }
    const auto begin = ranges_.begin();
    if (j > i) {
        ranges_[i] = r;
        std::copy(begin + static_cast<std::ptrdiff_t>(j),
                  begin + static_cast<std::ptrdiff_t>(count_),
                  begin + static_cast<std::ptrdiff_t>(i + 1));
        count_ -= j - i - 1;
        return;
    }
    if (count_ == kMaxRanges) {
        if (i == count_) return;  // r would be the highest: it is the one forgotten
        --count_;                 // forget the highest range
    }
    std::copy_backward(begin + static_cast<std::ptrdiff_t>(i),
                       begin + static_cast<std::ptrdiff_t>(count_),
                       begin + static_cast<std::ptrdiff_t>(count_ + 1));
    ranges_[i] = r;
    ++count_;
}

void SackScoreboard::update(SeqNum snd_una, SeqNum snd_nxt,
                            std::span<const wire::SackBlock> blocks) noexcept {
    prune(snd_una);
    for (const wire::SackBlock& b : blocks) {
        SeqNum left{b.left};
        const SeqNum right{b.right};
        if (!(left < right)) continue;  // empty or inverted
        // The right edge must lie in (snd_una, snd_nxt]: at or below snd_una it reports
        // old data (a D-SACK, RFC 2883), beyond snd_nxt data never sent.
        if (right == snd_una || !seq_in_range(right, snd_una, snd_nxt)) continue;
        if (!seq_in_range(left, snd_una, right)) left = snd_una;  // straddles snd_una
        insert(Range{left, right});
    }
}

bool SackScoreboard::is_sacked(SeqNum seq) const noexcept {
    for (size_t i = 0; i < count_; ++i) {
        if (seq_in_window(seq, ranges_[i].start, ranges_[i].len())) return true;
    }
    return false;
}

bool SackScoreboard::hole_lost(size_t first_above, uint32_t smss) const noexcept {
    const size_t discontiguous = count_ - first_above;
    uint64_t bytes = 0;
    for (size_t i = first_above; i < count_; ++i) bytes += ranges_[i].len();
    return discontiguous >= kDupThresh || bytes > uint64_t{kDupThresh - 1} * smss;
}

bool SackScoreboard::is_lost(SeqNum seq, uint32_t smss) const noexcept {
    if (is_sacked(seq)) return false;
    size_t first_above = 0;
    while (first_above < count_ && ranges_[first_above].start <= seq) ++first_above;
    if (first_above == count_) return false;
    return hole_lost(first_above, smss);
}

uint32_t SackScoreboard::pipe(SeqNum snd_una, SeqNum snd_nxt, SeqNum high_rxt,
                              uint32_t smss) const noexcept {
    uint64_t pipe = 0;
    // One hole [a, b) of un-SACKed octets: (a) each counts unless lost, (b) and again if it
    // was retransmitted (lies below high_rxt).
    auto count_hole = [&](SeqNum a, SeqNum b, bool lost) {
        if (!(a < b)) return;
        if (!lost) pipe += static_cast<uint32_t>(b - a);
        if (a < high_rxt) pipe += static_cast<uint32_t>(min(b, high_rxt) - a);
    };
    SeqNum cursor = snd_una;
    for (size_t i = 0; i < count_; ++i) {
        if (ranges_[i].end <= snd_una) continue;  // not pruned yet for this snd_una
        count_hole(cursor, ranges_[i].start, hole_lost(i, smss));
        cursor = max(cursor, ranges_[i].end);
    }
    count_hole(cursor, snd_nxt, false);  // nothing SACKed above: never lost
    return static_cast<uint32_t>(std::min<uint64_t>(pipe, UINT32_MAX));
}

std::optional<SackScoreboard::Segment> SackScoreboard::next_seg(
    SeqNum snd_una, SeqNum snd_nxt, SeqNum high_rxt, uint32_t smss,
    uint32_t send_window_limit) const noexcept {
    // The first octet of each hole below the highest SACKed octet that is not yet
    // retransmitted: S2 / S3 candidates ((1.a), (1.b)); lost_only adds (1.c).
    auto first_hole = [&](bool lost_only) -> std::optional<Segment> {
        SeqNum cursor = snd_una;
        for (size_t i = 0; i < count_; ++i) {
            const SeqNum a = max(cursor, high_rxt);
            const SeqNum b = ranges_[i].start;
            cursor = max(cursor, ranges_[i].end);
            if (!(a < b)) continue;
            if (lost_only && !hole_lost(i, smss)) continue;
            return Segment{a, std::min(smss, static_cast<uint32_t>(b - a))};
        }
        return std::nullopt;
    };
    if (auto s2 = first_hole(true)) return s2;  // rule (1)
    if (send_window_limit > 0) {                // rule (2)
        return Segment{snd_nxt, std::min(smss, send_window_limit)};
    }
    return first_hole(false);  // rule (3)
}

uint32_t SackScoreboard::sacked_bytes() const noexcept {
    uint32_t total = 0;
    for (size_t i = 0; i < count_; ++i) total += ranges_[i].len();
    return total;
}

uint32_t SackScoreboard::count_ranges_above(SeqNum seq) const noexcept {
    uint32_t n = 0;
    for (size_t i = 0; i < count_; ++i) {
        if (ranges_[i].start > seq) ++n;
    }
    return n;
}

}  // namespace shunt::tcp
