#include "stack/tcp/seq.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>

namespace shunt::tcp {

// gtest prints SeqNum through this (found by ADL) instead of as raw bytes.
void PrintTo(SeqNum s, std::ostream* os) {
    *os << "SeqNum(" << s.raw() << ")";
}

namespace {

constexpr uint32_t kHalf = 0x8000'0000u;  // 2^31
constexpr uint32_t kMax = 0xffff'ffffu;

// Everything is constexpr: the TCP layer may fold these at compile time.
static_assert(SeqNum{kMax} + 1 == SeqNum{0});
static_assert(SeqNum{0} - 1 == SeqNum{kMax});
static_assert(SeqNum{kMax} < SeqNum{0});
static_assert(SeqNum{3} - SeqNum{kMax} == 4);
static_assert(seq_in_window(SeqNum{0}, SeqNum{kMax}, 2));
static_assert(sizeof(SeqNum) == 4);

TEST(SeqNum, DefaultIsZeroAndRawRoundTrips) {
    EXPECT_EQ(SeqNum{}.raw(), 0u);
    EXPECT_EQ(SeqNum{0xdeadbeef}.raw(), 0xdeadbeefu);
    EXPECT_EQ(SeqNum{7}, SeqNum{7});
    EXPECT_NE(SeqNum{7}, SeqNum{8});
}

TEST(SeqNum, AdditionWrapsModulo2To32) {
    EXPECT_EQ(SeqNum{kMax} + 1u, SeqNum{0});
    EXPECT_EQ(SeqNum{kMax - 9} + 20, SeqNum{10});
    EXPECT_EQ(1u + SeqNum{kMax}, SeqNum{0});
    EXPECT_EQ(SeqNum{10} + size_t{1460}, SeqNum{1470});
    // A size_t past 2^32 is still exact modulo 2^32.
    EXPECT_EQ(SeqNum{1} + (size_t{1} << 32), SeqNum{1});
    EXPECT_EQ(SeqNum{5} + uint16_t{0xffff}, SeqNum{0x10004});
    // A negative offset moves backwards, across the wrap too.
    EXPECT_EQ(SeqNum{5} + -10, SeqNum{kMax - 4});
    SeqNum s{kMax};
    s += 2;
    EXPECT_EQ(s, SeqNum{1});
    s += uint32_t{kMax};  // == s - 1
    EXPECT_EQ(s, SeqNum{0});
}

TEST(SeqNum, SubtractionWrapsModulo2To32) {
    EXPECT_EQ(SeqNum{0} - 1, SeqNum{kMax});
    EXPECT_EQ(SeqNum{10} - 20u, SeqNum{kMax - 9});
    EXPECT_EQ(SeqNum{10} - size_t{10}, SeqNum{0});
    EXPECT_EQ(SeqNum{10} - -5, SeqNum{15});
    SeqNum s{3};
    s -= 4;
    EXPECT_EQ(s, SeqNum{kMax});
}

TEST(SeqNum, DifferenceIsSignedDistanceAcrossTheWrap) {
    EXPECT_EQ(SeqNum{5} - SeqNum{kMax - 4}, 10);
    EXPECT_EQ(SeqNum{kMax - 4} - SeqNum{5}, -10);
    EXPECT_EQ(SeqNum{1000} - SeqNum{1000}, 0);
    EXPECT_EQ(SeqNum{kHalf - 1} - SeqNum{0}, INT32_MAX);
    EXPECT_EQ(SeqNum{0} - SeqNum{kHalf - 1}, -INT32_MAX);
    // Exactly 2^31 apart the distance is INT32_MIN whichever way it is taken.
    EXPECT_EQ(SeqNum{kHalf} - SeqNum{0}, INT32_MIN);
    EXPECT_EQ(SeqNum{0} - SeqNum{kHalf}, INT32_MIN);
}

TEST(SeqNum, ComparisonsAcrossTheWrap) {
    const SeqNum before{kMax - 15};
    const SeqNum after{16};
    EXPECT_TRUE(before < after);
    EXPECT_TRUE(before <= after);
    EXPECT_FALSE(before > after);
    EXPECT_FALSE(before >= after);
    EXPECT_TRUE(after > before);
    EXPECT_TRUE(after >= before);
    EXPECT_FALSE(after < before);
    EXPECT_FALSE(after <= before);
    // Equal numbers.
    EXPECT_FALSE(after < after);
    EXPECT_TRUE(after <= after);
    EXPECT_FALSE(after > after);
    EXPECT_TRUE(after >= after);
    // Without a wrap the order is the plain one.
    EXPECT_TRUE(SeqNum{100} < SeqNum{200});
    EXPECT_TRUE(SeqNum{kHalf + 1} < SeqNum{kHalf + 2});
}

TEST(SeqNum, HalfSpaceBoundary) {
    const SeqNum a{0x1234'5678};
    // Up to 2^31 - 1 ahead counts as later.
    EXPECT_TRUE(a < a + (kHalf - 1));
    EXPECT_TRUE(a + (kHalf - 1) > a);
    // 2^31 + 1 ahead is the same as 2^31 - 1 behind: earlier.
    EXPECT_TRUE(a + (kHalf + 1) < a);
    EXPECT_TRUE(a > a + (kHalf + 1));
    // Exactly 2^31 apart: each is less than the other (RFC 1982 leaves this undefined).
    EXPECT_TRUE(a < a + kHalf);
    EXPECT_TRUE(a + kHalf < a);
    EXPECT_FALSE(a == a + kHalf);
}

TEST(SeqNum, OrderAgreesWithSignedDistanceAroundEveryBase) {
    constexpr std::array<uint32_t, 7> bases = {0,           1,        0x7fff'ffff, kHalf,
                                               0xffff'0000, kMax - 1, kMax};
    constexpr std::array<int32_t, 12> deltas = {1,  2,  1460,  65535,  1 << 20,    INT32_MAX,
                                                -1, -2, -1460, -65535, -(1 << 20), -INT32_MAX};
    for (uint32_t b : bases) {
        const SeqNum base{b};
        for (int32_t d : deltas) {
            const SeqNum other = base + d;
            EXPECT_EQ(other - base, d) << b << " " << d;
            EXPECT_EQ(base - other, -d) << b << " " << d;
            EXPECT_EQ(other > base, d > 0) << b << " " << d;
            EXPECT_EQ(other < base, d < 0) << b << " " << d;
            EXPECT_EQ(max(base, other), d > 0 ? other : base) << b << " " << d;
            EXPECT_EQ(min(base, other), d > 0 ? base : other) << b << " " << d;
        }
    }
}

TEST(SeqNum, MaxMinAcrossTheWrap) {
    const SeqNum a{kMax - 1};
    const SeqNum b{2};
    EXPECT_EQ(max(a, b), b);
    EXPECT_EQ(max(b, a), b);
    EXPECT_EQ(min(a, b), a);
    EXPECT_EQ(min(b, a), a);
    EXPECT_EQ(max(a, a), a);
    EXPECT_EQ(min(b, b), b);
}

TEST(SeqInWindow, HalfOpenAndWraps) {
    const SeqNum start{kMax - 2};  // window of 6: kMax-2, kMax-1, kMax, 0, 1, 2
    EXPECT_FALSE(seq_in_window(start - 1, start, 6));
    EXPECT_TRUE(seq_in_window(start, start, 6));
    EXPECT_TRUE(seq_in_window(SeqNum{kMax}, start, 6));
    EXPECT_TRUE(seq_in_window(SeqNum{0}, start, 6));
    EXPECT_TRUE(seq_in_window(SeqNum{2}, start, 6));
    EXPECT_FALSE(seq_in_window(SeqNum{3}, start, 6));  // start + len is outside
    // An empty window holds nothing, not even its start.
    EXPECT_FALSE(seq_in_window(start, start, 0));
    EXPECT_TRUE(seq_in_window(start, start, 1));
    EXPECT_FALSE(seq_in_window(start + 1, start, 1));
    // The largest window holds everything but the number just before its start.
    EXPECT_TRUE(seq_in_window(start + (kMax - 1), start, kMax));
    EXPECT_FALSE(seq_in_window(start - 1, start, kMax));
}

TEST(SeqInRange, ClosedAndWraps) {
    const SeqNum lo{kMax - 1};
    const SeqNum hi{1};
    EXPECT_FALSE(seq_in_range(lo - 1, lo, hi));
    EXPECT_TRUE(seq_in_range(lo, lo, hi));
    EXPECT_TRUE(seq_in_range(SeqNum{0}, lo, hi));
    EXPECT_TRUE(seq_in_range(hi, lo, hi));
    EXPECT_FALSE(seq_in_range(hi + 1, lo, hi));
    EXPECT_TRUE(seq_in_range(lo, lo, lo));
    EXPECT_FALSE(seq_in_range(lo + 1, lo, lo));
}

// RFC 9293 §3.10.7.4, "first, check sequence number": the four rows of the table.
TEST(SegmentAcceptable, ZeroLengthZeroWindow) {
    const SeqNum nxt{kMax};
    EXPECT_TRUE(segment_acceptable(nxt, 0, nxt, 0));
    EXPECT_FALSE(segment_acceptable(nxt + 1, 0, nxt, 0));
    EXPECT_FALSE(segment_acceptable(nxt - 1, 0, nxt, 0));
}

TEST(SegmentAcceptable, ZeroLengthOpenWindow) {
    const SeqNum nxt{kMax - 99};  // window [kMax-99, kMax-99+1000) wraps
    EXPECT_TRUE(segment_acceptable(nxt, 0, nxt, 1000));
    EXPECT_TRUE(segment_acceptable(nxt + 999, 0, nxt, 1000));
    EXPECT_TRUE(segment_acceptable(SeqNum{0}, 0, nxt, 1000));
    EXPECT_FALSE(segment_acceptable(nxt + 1000, 0, nxt, 1000));
    EXPECT_FALSE(segment_acceptable(nxt - 1, 0, nxt, 1000));  // an old keepalive probe
}

TEST(SegmentAcceptable, DataIntoZeroWindow) {
    const SeqNum nxt{1000};
    EXPECT_FALSE(segment_acceptable(nxt, 1, nxt, 0));  // a zero-window probe byte
    EXPECT_FALSE(segment_acceptable(nxt, 1460, nxt, 0));
}

TEST(SegmentAcceptable, DataIntoOpenWindow) {
    const SeqNum nxt{kMax - 499};  // window [kMax-499, kMax-499+2000) wraps
    const uint32_t wnd = 2000;
    EXPECT_TRUE(segment_acceptable(nxt, 1460, nxt, wnd));         // in order
    EXPECT_TRUE(segment_acceptable(nxt + 1000, 1460, nxt, wnd));  // starts inside, runs past
    EXPECT_TRUE(segment_acceptable(nxt - 100, 101, nxt, wnd));    // old, last byte is RCV.NXT
    EXPECT_FALSE(segment_acceptable(nxt - 100, 100, nxt, wnd));   // entirely old
    EXPECT_TRUE(segment_acceptable(nxt + (wnd - 1), 1, nxt, wnd));
    EXPECT_FALSE(segment_acceptable(nxt + wnd, 1, nxt, wnd));  // just past the window
    // A segment that starts before the window and ends past it: neither end is inside, so
    // the RFC's test rejects it (a retransmission covering more than the window).
    EXPECT_FALSE(segment_acceptable(nxt - 10, wnd + 20, nxt, wnd));
}

// RFC 9293 §3.10.7.4, "fifth, check the ACK field": SND.UNA < SEG.ACK =< SND.NXT.
TEST(AckAcceptable, NewDuplicateAndFuture) {
    const SeqNum una{kMax - 9};
    const SeqNum nxt{una + 20};                       // wraps to 10
    EXPECT_FALSE(ack_acceptable(una, una, nxt));      // duplicate
    EXPECT_FALSE(ack_acceptable(una - 1, una, nxt));  // old
    EXPECT_TRUE(ack_acceptable(una + 1, una, nxt));
    EXPECT_TRUE(ack_acceptable(SeqNum{0}, una, nxt));
    EXPECT_TRUE(ack_acceptable(nxt, una, nxt));
    EXPECT_FALSE(ack_acceptable(nxt + 1, una, nxt));  // acks data never sent
    // Nothing outstanding: no ACK is new.
    EXPECT_FALSE(ack_acceptable(una, una, una));
    EXPECT_FALSE(ack_acceptable(una + 1, una, una));
}

}  // namespace
}  // namespace shunt::tcp
