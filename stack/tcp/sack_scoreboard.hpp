// The sender's record of SACKed data (RFC 6675 §4 "scoreboard") and the RFC 6675 §4
// routines over it: IsLost, SetPipe, NextSeg.
//
// Ranges [start, end) are kept sorted, merged and pruned below SND.UNA in a fixed array: no
// allocation. All comparisons are modulo 2^32 (SeqNum), relative to SND.UNA, so a scoreboard
// spanning the wrap works like any other.
//
// HighRxt: RFC 6675 calls it "the highest sequence number which has been retransmitted";
// here `high_rxt` is exclusive: one past the last octet retransmitted in this recovery, so
// every octet below it has been retransmitted. Start recovery with high_rxt = snd_una.
#pragma once

#include "stack/tcp/seq.hpp"
#include "stack/wire/tcp.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace shunt::tcp {

class SackScoreboard {
  public:
    static constexpr size_t kMaxRanges = 32;
    static constexpr uint32_t kDupThresh = 3;  // RFC 6675 §2 DupThresh

    struct Range {
        SeqNum start;
        SeqNum end;  // exclusive
        uint32_t len() const noexcept { return static_cast<uint32_t>(end - start); }
    };

    void reset() noexcept { count_ = 0; }

    // Records the SACK blocks of an arriving ACK and prunes everything below snd_una. Blocks
    // are ignored when empty or inverted, at or below snd_una (RFC 2883 D-SACKs report
    // duplicates below the cumulative ACK), or reaching beyond snd_nxt (RFC 6675 §5: bogus);
    // a block straddling snd_una keeps its part above it. When all kMaxRanges are in use, a
    // new range that merges with none replaces the highest range, if it lies below it
    // (forgetting SACK information only costs spurious retransmissions).
    void update(SeqNum snd_una, SeqNum snd_nxt, std::span<const wire::SackBlock> blocks) noexcept;

    bool is_sacked(SeqNum seq) const noexcept;
    // RFC 6675 §4 IsLost(SeqNum): an octet not SACKed is lost when DupThresh discontiguous
    // SACKed ranges lie above it, or more than (DupThresh - 1) * SMSS SACKed bytes do.
    bool is_lost(SeqNum seq, uint32_t smss) const noexcept;
    // RFC 6675 §4 SetPipe(): the octets in flight. Each octet of [snd_una, snd_nxt) not
    // SACKed counts once if it is not lost, and once more if it was retransmitted (below
    // high_rxt).
    uint32_t pipe(SeqNum snd_una, SeqNum snd_nxt, SeqNum high_rxt, uint32_t smss) const noexcept;

    // RFC 6675 §4 NextSeg() rules (1)-(3); rule (4), the rescue retransmission, is the
    // caller's. The segment is at most smss long and never covers SACKed octets:
    //  (1) the first lost, un-SACKed octet at or above high_rxt, below the highest SACKed;
    //  (2) else new data at snd_nxt, if send_window_limit (new bytes the receive window and
    //      the application allow) is > 0: min(smss, send_window_limit) bytes;
    //  (3) else the first un-SACKed octet at or above high_rxt below the highest SACKed,
    //      lost or not.
    struct Segment {
        SeqNum seq;
        uint32_t len;
    };
    std::optional<Segment> next_seg(SeqNum snd_una, SeqNum snd_nxt, SeqNum high_rxt, uint32_t smss,
                                    uint32_t send_window_limit) const noexcept;

    bool empty() const noexcept { return count_ == 0; }
    // One past the highest SACKed octet; meaningless (0) when empty().
    SeqNum highest_sacked() const noexcept {
        return count_ == 0 ? SeqNum{} : ranges_[count_ - 1].end;
    }
    uint32_t sacked_bytes() const noexcept;
    // SACKed ranges lying entirely above seq (start > seq).
    uint32_t count_ranges_above(SeqNum seq) const noexcept;

    size_t range_count() const noexcept { return count_; }
    std::span<const Range> ranges() const noexcept { return {ranges_.data(), count_}; }

  private:
    void prune(SeqNum snd_una) noexcept;
    void insert(Range r) noexcept;
    // Is an un-SACKed octet lying before ranges_[first_above] lost? (IsLost is the same for
    // every octet of one hole.)
    bool hole_lost(size_t first_above, uint32_t smss) const noexcept;

    std::array<Range, kMaxRanges> ranges_{};
    size_t count_ = 0;
};

}  // namespace shunt::tcp
