// SackScoreboard against RFC 6675 §4's definitions. Every test runs at several positions of
// the sequence space, including ones whose ranges cross 2^32, and the routines are also
// compared with a literal, octet-by-octet reading of the RFC on seeded random scoreboards.
#include "stack/tcp/sack_scoreboard.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <random>
#include <vector>

namespace shunt::tcp {

void PrintTo(SeqNum s, std::ostream* os) {
    *os << "SeqNum(" << s.raw() << ")";
}

namespace {

constexpr uint32_t kSmss = 1000;

// The fixture's sequence space: segment i is [una + i*SMSS, una + (i+1)*SMSS); ten segments
// are outstanding.
class Scoreboard : public ::testing::TestWithParam<uint32_t> {
  protected:
    SeqNum una() const { return SeqNum{GetParam()}; }
    SeqNum seg(uint32_t i) const { return una() + i * kSmss; }
    SeqNum nxt() const { return seg(10); }
    wire::SackBlock block(uint32_t first_seg, uint32_t end_seg) const {
        return {seg(first_seg).raw(), seg(end_seg).raw()};
    }
    void sack(std::initializer_list<wire::SackBlock> blocks) {
        sb.update(una(), nxt(), std::span<const wire::SackBlock>(blocks.begin(), blocks.size()));
    }
    SackScoreboard sb;
};

// 0x7fffe000 and 0xfffff000 put the outstanding data across the 2^31 and 2^32 boundaries.
INSTANTIATE_TEST_SUITE_P(AcrossTheSequenceSpace, Scoreboard,
                         ::testing::Values(1000u, 0x7fffe000u, 0xfffff000u, 0xffffd8f0u));

TEST_P(Scoreboard, StartsEmpty) {
    EXPECT_TRUE(sb.empty());
    EXPECT_EQ(sb.sacked_bytes(), 0u);
    EXPECT_FALSE(sb.is_sacked(una()));
    EXPECT_EQ(sb.pipe(una(), nxt(), una(), kSmss), 10 * kSmss);
}

TEST_P(Scoreboard, KeepsRangesSortedAndMergesOverlapsAndNeighbours) {
    sack({block(6, 7), block(2, 3)});
    ASSERT_EQ(sb.range_count(), 2u);
    EXPECT_EQ(sb.ranges()[0].start, seg(2));
    EXPECT_EQ(sb.ranges()[1].start, seg(6));
    sack({block(3, 4)});  // touches [2,3): one range [2,4)
    ASSERT_EQ(sb.range_count(), 2u);
    EXPECT_EQ(sb.ranges()[0].end, seg(4));
    sack({{seg(3).raw() + 500, seg(6).raw() + 200}});  // bridges both
    ASSERT_EQ(sb.range_count(), 1u);
    EXPECT_EQ(sb.ranges()[0].start, seg(2));
    EXPECT_EQ(sb.ranges()[0].end, seg(7));
    EXPECT_EQ(sb.sacked_bytes(), 5 * kSmss);
    EXPECT_EQ(sb.highest_sacked(), seg(7));
    EXPECT_TRUE(sb.is_sacked(seg(2)));
    EXPECT_TRUE(sb.is_sacked(seg(7) - 1));
    EXPECT_FALSE(sb.is_sacked(seg(7)));
    EXPECT_FALSE(sb.is_sacked(seg(2) - 1));
}

TEST_P(Scoreboard, IgnoresBogusAndDsackBlocks) {
    sack({
        block(5, 5),                                   // empty
        {seg(6).raw(), seg(5).raw()},                  // inverted
        {seg(8).raw(), seg(11).raw()},                 // beyond snd_nxt
        {(una() - 2000).raw(), (una() - 1000).raw()},  // below snd_una: a D-SACK
        {(una() - 1000).raw(), una().raw()},           // ends at snd_una: also old
    });
    EXPECT_TRUE(sb.empty());
    sack({{(una() - 500).raw(), seg(1).raw()}});  // straddles snd_una: the part above counts
    ASSERT_EQ(sb.range_count(), 1u);
    EXPECT_EQ(sb.ranges()[0].start, una());
    EXPECT_EQ(sb.ranges()[0].end, seg(1));
}

TEST_P(Scoreboard, PrunesBelowTheCumulativeAck) {
    sack({block(2, 3), block(5, 6), block(8, 9)});
    // The ACK advances to segment 5 and a half: [2,3) goes, [5,6) is trimmed.
    const SeqNum new_una = seg(5) + 500;
    sb.update(new_una, nxt(), {});
    ASSERT_EQ(sb.range_count(), 2u);
    EXPECT_EQ(sb.ranges()[0].start, new_una);
    EXPECT_EQ(sb.ranges()[0].end, seg(6));
    EXPECT_EQ(sb.sacked_bytes(), 1500u);
    sb.update(nxt(), nxt(), {});
    EXPECT_TRUE(sb.empty());
}

TEST_P(Scoreboard, IsLostByBytesAboveNeedsMoreThanTwoSmss) {
    // (DupThresh - 1) * SMSS = 2000 bytes: exactly 2000 SACKed above is not enough.
    sack({block(2, 4)});
    EXPECT_FALSE(sb.is_lost(seg(0), kSmss));
    EXPECT_FALSE(sb.is_lost(seg(1), kSmss));
    sack({{seg(4).raw(), seg(4).raw() + 1}});  // 2001 bytes, still one range
    EXPECT_TRUE(sb.is_lost(seg(0), kSmss));
    EXPECT_TRUE(sb.is_lost(seg(1) + 999, kSmss));
    EXPECT_FALSE(sb.is_lost(seg(2), kSmss));  // SACKed octets are not lost
    EXPECT_FALSE(sb.is_lost(seg(5), kSmss));  // nothing SACKed above
}

TEST_P(Scoreboard, IsLostByDupThreshDiscontiguousRanges) {
    // Three small ranges (300 bytes in all) above segment 0: DupThresh of them.
    sack({{seg(2).raw(), seg(2).raw() + 100},
          {seg(4).raw(), seg(4).raw() + 100},
          {seg(6).raw(), seg(6).raw() + 100}});
    EXPECT_EQ(sb.count_ranges_above(seg(0)), 3u);
    EXPECT_TRUE(sb.is_lost(seg(0), kSmss));
    EXPECT_TRUE(sb.is_lost(seg(2) - 1, kSmss));
    // Between the first and second range only two lie above.
    EXPECT_EQ(sb.count_ranges_above(seg(3)), 2u);
    EXPECT_FALSE(sb.is_lost(seg(3), kSmss));
}

TEST_P(Scoreboard, SetPipeCountsUnlostAndRetransmittedOctets) {
    // SACKed: [3,5) and [6,7). Holes: [0,3) lost (2 ranges, 3000 bytes above), [5,6) not
    // lost (1000 bytes above), [7,10) not lost (nothing above).
    sack({block(3, 5), block(6, 7)});
    EXPECT_EQ(sb.pipe(una(), nxt(), una(), kSmss), 1000u + 3000u);
    // After retransmitting segment 0 (HighRxt past it), its octets count once more.
    EXPECT_EQ(sb.pipe(una(), nxt(), seg(1), kSmss), 5000u);
    // Retransmitting everything up to segment 6 (through the not-lost hole [5,6)) counts
    // [0,3) once and [5,6) twice.
    EXPECT_EQ(sb.pipe(una(), nxt(), seg(6), kSmss), 3000u + 2000u + 3000u);
}

TEST_P(Scoreboard, NextSegRuleOneRetransmitsLostHolesInOrder) {
    sack({block(3, 5), block(6, 7)});
    auto s = sb.next_seg(una(), nxt(), una(), kSmss, 5000);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->seq, seg(0));
    EXPECT_EQ(s->len, kSmss);
    s = sb.next_seg(una(), nxt(), seg(2), kSmss, 5000);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->seq, seg(2));
    // A partly retransmitted segment: the rest of it, never past the hole.
    s = sb.next_seg(una(), nxt(), seg(2) + 700, kSmss, 5000);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->seq, seg(2) + 700);
    EXPECT_EQ(s->len, 300u);
}

TEST_P(Scoreboard, NextSegRuleTwoSendsNewDataWhenNothingIsLost) {
    sack({block(3, 5), block(6, 7)});
    // [0,3) retransmitted; [5,6) is not lost: new data first, limited by the window.
    auto s = sb.next_seg(una(), nxt(), seg(3), kSmss, 5000);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->seq, nxt());
    EXPECT_EQ(s->len, kSmss);
    s = sb.next_seg(una(), nxt(), seg(3), kSmss, 400);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->len, 400u);
}

TEST_P(Scoreboard, NextSegRuleThreeRetransmitsAnUnlostHoleWithoutNewData) {
    sack({block(3, 5), block(6, 7)});
    auto s = sb.next_seg(una(), nxt(), seg(3), kSmss, 0);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->seq, seg(5));
    EXPECT_EQ(s->len, kSmss);
    // Everything below the highest SACK retransmitted and no new data: nothing to send
    // (rule 4, the rescue retransmission, is the caller's).
    EXPECT_FALSE(sb.next_seg(una(), nxt(), seg(7), kSmss, 0));
}

TEST_P(Scoreboard, FixedCapacityForgetsTheHighestRanges) {
    // 40 one-byte ranges, every 200 bytes: only kMaxRanges fit; the lowest are kept.
    for (uint32_t i = 0; i < 40; ++i) {
        const SeqNum s = una() + 100 + 200 * i;
        const wire::SackBlock b{s.raw(), (s + 1).raw()};
        sb.update(una(), nxt(), std::span<const wire::SackBlock>(&b, 1));
    }
    EXPECT_EQ(sb.range_count(), SackScoreboard::kMaxRanges);
    EXPECT_EQ(sb.highest_sacked(), una() + 100 + 200 * 31 + 1);
    // A new low range evicts the current highest.
    const wire::SackBlock low{(una() + 50).raw(), (una() + 51).raw()};
    sb.update(una(), nxt(), std::span<const wire::SackBlock>(&low, 1));
    EXPECT_EQ(sb.range_count(), SackScoreboard::kMaxRanges);
    EXPECT_TRUE(sb.is_sacked(una() + 50));
    EXPECT_EQ(sb.highest_sacked(), una() + 100 + 200 * 30 + 1);
}

// A literal model of RFC 6675 §4 over a small window, one bool per octet.
struct OctetModel {
    std::vector<bool> sacked;

    // "DupThresh discontiguous SACKed sequences" above s: maximal SACKed runs starting
    // above s; and the SACKed bytes above s.
    bool is_lost(size_t s, uint32_t smss) const {
        if (sacked[s]) return false;
        uint32_t runs = 0, bytes = 0;
        for (size_t i = s + 1; i < sacked.size(); ++i) {
            if (sacked[i]) {
                ++bytes;
                if (!sacked[i - 1]) ++runs;
            }
        }
        return runs >= 3 || bytes > 2 * smss;
    }
    uint32_t pipe(size_t high_rxt, uint32_t smss) const {
        uint32_t pipe = 0;
        for (size_t s = 0; s < sacked.size(); ++s) {
            if (sacked[s]) continue;
            if (!is_lost(s, smss)) ++pipe;  // (a)
            if (s < high_rxt) ++pipe;       // (b)
        }
        return pipe;
    }
    size_t highest_sacked_end() const {
        size_t end = 0;
        for (size_t i = 0; i < sacked.size(); ++i) {
            if (sacked[i]) end = i + 1;
        }
        return end;
    }
    // NextSeg (1) and (3): the first un-SACKed octet >= high_rxt below the highest SACKed
    // one, lost (1) or not (3); the segment runs to the next SACKed octet, at most smss.
    std::optional<std::pair<size_t, uint32_t>> first(size_t high_rxt, uint32_t smss,
                                                     bool lost_only) const {
        for (size_t s = high_rxt; s < highest_sacked_end(); ++s) {
            if (sacked[s] || (lost_only && !is_lost(s, smss))) continue;
            uint32_t len = 0;
            while (s + len < sacked.size() && !sacked[s + len] && len < smss) ++len;
            return std::pair{s, len};
        }
        return std::nullopt;
    }
};

TEST_P(Scoreboard, AgreesWithTheOctetByOctetDefinitionOnRandomScoreboards) {
    constexpr uint32_t kWindow = 120;
    constexpr uint32_t kSmallSmss = 8;
    std::mt19937 rng{GetParam()};
    for (int trial = 0; trial < 200; ++trial) {
        SackScoreboard board;
        OctetModel model{std::vector<bool>(kWindow, false)};
        const int n_blocks = static_cast<int>(rng() % 7);
        for (int b = 0; b < n_blocks; ++b) {
            const auto left = static_cast<uint32_t>(1 + rng() % (kWindow - 1));
            const auto len = static_cast<uint32_t>(1 + rng() % 12);
            const uint32_t right = std::min(left + len, kWindow);
            const wire::SackBlock blk{(una() + left).raw(), (una() + right).raw()};
            board.update(una(), una() + kWindow, std::span<const wire::SackBlock>(&blk, 1));
            for (uint32_t i = left; i < right; ++i) model.sacked[i] = true;
        }
        for (uint32_t s = 0; s < kWindow; ++s) {
            ASSERT_EQ(board.is_sacked(una() + s), model.sacked[s]) << trial << " " << s;
            ASSERT_EQ(board.is_lost(una() + s, kSmallSmss), model.is_lost(s, kSmallSmss))
                << "trial " << trial << " octet " << s;
        }
        for (uint32_t h = 0; h <= kWindow; h += 3) {
            const SeqNum high_rxt = una() + h;
            ASSERT_EQ(board.pipe(una(), una() + kWindow, high_rxt, kSmallSmss),
                      model.pipe(h, kSmallSmss))
                << "trial " << trial << " high_rxt +" << h;
            for (uint32_t limit : {0u, 5u}) {
                const auto got =
                    board.next_seg(una(), una() + kWindow, high_rxt, kSmallSmss, limit);
                auto want = model.first(h, kSmallSmss, true);
                if (!want && limit > 0) want = std::pair<size_t, uint32_t>{kWindow, limit};
                if (!want) want = model.first(h, kSmallSmss, false);
                ASSERT_EQ(got.has_value(), want.has_value()) << trial << " " << h;
                if (got) {
                    EXPECT_EQ(got->seq, una() + want->first) << trial << " " << h;
                    EXPECT_EQ(got->len, want->second) << trial << " " << h;
                }
            }
        }
    }
}

}  // namespace
}  // namespace shunt::tcp
