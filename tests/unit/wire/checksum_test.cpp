// RFC 1071 checksum: worked examples, odd lengths, multi-piece sums and a randomized
// comparison against the textbook 16-bit loop over many lengths and start alignments.
#include "stack/wire/checksum.hpp"

#include "golden_frames.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace shunt::wire {
namespace {

// Reference: RFC 1071 §4.1, one big-endian word at a time, folded once at the end.
uint16_t ref_sum16(std::span<const uint8_t> d, uint64_t sum = 0) {
    size_t i = 0;
    for (; i + 1 < d.size(); i += 2) sum += uint64_t{d[i]} << 8 | d[i + 1];
    if (i < d.size()) sum += uint64_t{d[i]} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

uint16_t ref_checksum(std::span<const uint8_t> d) {
    return static_cast<uint16_t>(~ref_sum16(d));
}

// The folded, uncomplemented value of a partial sum.
uint16_t folded(uint32_t partial) {
    return static_cast<uint16_t>(~checksum_fold(partial));
}

TEST(Checksum, Rfc1071WorkedExample) {
    // RFC 1071 §3: these bytes sum to ddf2 (as 16-bit words: 0001 f203 f4f5 f6f7).
    const std::vector<uint8_t> d{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(folded(checksum_partial(d)), 0xddf2);
    EXPECT_EQ(internet_checksum(d), 0x220d);
}

TEST(Checksum, EmptyAndZeroData) {
    EXPECT_EQ(checksum_partial({}), 0u);
    EXPECT_EQ(internet_checksum({}), 0xffff);
    const std::vector<uint8_t> zeros(100, 0);
    EXPECT_EQ(internet_checksum(zeros), 0xffff);
}

TEST(Checksum, OddLengthPadsTheLastByteWithZero) {
    EXPECT_EQ(folded(checksum_partial(std::vector<uint8_t>{0xab})), 0xab00);
    EXPECT_EQ(folded(checksum_partial(std::vector<uint8_t>{0x00, 0x01, 0xf2})), 0xf201);
    // 7 bytes exercise the 4-, 2- and 1-byte tails together.
    const std::vector<uint8_t> d{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde};
    EXPECT_EQ(folded(checksum_partial(d)), ref_sum16(d));
    EXPECT_EQ(folded(checksum_partial(d)), (0x1234 + 0x5678 + 0x9abc + 0xde00) % 0xffff);
}

TEST(Checksum, AllOnesKeepsEveryCarry) {
    // Every 64-bit add overflows; a lost carry would show up here.
    for (size_t n : {8u, 64u, 1500u, 65536u}) {
        const std::vector<uint8_t> d(n, 0xff);
        EXPECT_EQ(folded(checksum_partial(d)), 0xffff) << n;
        EXPECT_EQ(internet_checksum(d), 0) << n;
    }
    // 0xff..ff00-style words make carries land in different lanes.
    std::vector<uint8_t> d(4096);
    for (size_t i = 0; i < d.size(); ++i) d[i] = i % 3 == 0 ? 0 : 0xff;
    EXPECT_EQ(internet_checksum(d), ref_checksum(d));
}

TEST(Checksum, CapturedHeadersVerifyAndRecompute) {
    // The IPv4 header of the captured echo request starts after the 14-byte Ethernet header.
    auto frame = golden::copy_of(golden::kIcmpEchoRequest);
    std::span<uint8_t> ip{frame.data() + 14, 20};
    EXPECT_EQ(checksum_fold(checksum_partial(ip)), 0);
    EXPECT_EQ(ip[10], 0x97);
    EXPECT_EQ(ip[11], 0xa1);
    ip[10] = ip[11] = 0;
    EXPECT_EQ(internet_checksum(ip), 0x97a1);
    ip[1] = 0x04;  // one changed bit must break verification
    EXPECT_NE(internet_checksum(ip), 0x97a1);
}

TEST(Checksum, PiecesSumToTheWhole) {
    std::mt19937 rng(7);
    std::vector<uint8_t> d(1001);
    for (auto& b : d) b = static_cast<uint8_t>(rng());
    const uint16_t whole = internet_checksum(d);
    ASSERT_EQ(whole, ref_checksum(d));
    // Every even split point, and three pieces with the odd remainder last.
    for (size_t cut = 0; cut <= d.size(); cut += 2) {
        std::span<const uint8_t> s{d};
        uint32_t sum = checksum_partial(s.first(cut));
        sum = checksum_partial(s.subspan(cut), sum);
        ASSERT_EQ(checksum_fold(sum), whole) << cut;
    }
    std::span<const uint8_t> s{d};
    uint32_t sum = checksum_partial(s.first(98));
    sum = checksum_partial(s.subspan(98, 802), sum);
    sum = checksum_partial(s.subspan(900), sum);
    EXPECT_EQ(checksum_fold(sum), whole);
}

TEST(Checksum, IncomingSumCarriesAreKept) {
    const std::vector<uint8_t> d(40, 0xee);
    for (uint32_t start : {0u, 1u, 0xffffu, 0x10000u, 0xfffffffeu, 0xffffffffu}) {
        EXPECT_EQ(folded(checksum_partial(d, start)), ref_sum16(d, start)) << start;
    }
}

TEST(Checksum, RandomizedAgainstReferenceAllLengthsAndAlignments) {
    std::mt19937_64 rng(20240611);
    std::vector<uint8_t> buf(70000 + 16);
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    for (size_t align = 0; align < 8; ++align) {
        for (size_t n = 0; n <= 300; ++n) {
            std::span<const uint8_t> s{buf.data() + align, n};
            ASSERT_EQ(internet_checksum(s), ref_checksum(s)) << "len " << n << " align " << align;
        }
    }
    for (int i = 0; i < 300; ++i) {
        const size_t align = rng() % 16;
        const size_t n = rng() % 70000;
        std::span<const uint8_t> s{buf.data() + align, n};
        ASSERT_EQ(internet_checksum(s), ref_checksum(s)) << "len " << n << " align " << align;
    }
}

TEST(Checksum, PseudoHeaderMatchesItsBytes) {
    // RFC 768: src(4) dst(4) zero(1) protocol(1) udp length(2).
    const std::vector<uint8_t> pseudo{192, 0, 2, 1, 192, 0, 2, 2, 0, 17, 0x00, 0x14};
    EXPECT_EQ(checksum_fold(pseudo_header_sum(golden::kIpA, golden::kIpB, 17, 20)),
              ref_checksum(pseudo));
    const auto hi = Ipv4Addr::from_octets(255, 255, 255, 255);
    const std::vector<uint8_t> pseudo2{255, 255, 255, 255, 255, 255, 255, 255, 0, 6, 0xff, 0xff};
    EXPECT_EQ(checksum_fold(pseudo_header_sum(hi, hi, 6, 0xffff)), ref_checksum(pseudo2));
}

}  // namespace
}  // namespace shunt::wire
