// SYN cookies: the MSS survives the round trip, the cookie is bound to the 4-tuple, the
// peer's ISN, the secret and a 64-second counter; the TSval carries WS and SACK-permitted.
#include "stack/tcp/syn_cookie.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace shunt::tcp {
namespace {

constexpr std::array<uint8_t, 16> kSecret{0x5e, 0xc7, 0x3e, 0x71, 0x00, 0x11, 0x22, 0x33,
                                          0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
const wire::Ipv4Addr kLocal = wire::Ipv4Addr::from_octets(10, 0, 0, 1);
const wire::Ipv4Addr kRemote = wire::Ipv4Addr::from_octets(10, 0, 0, 2);
constexpr uint16_t kLport = 80;
constexpr uint16_t kRport = 43210;
constexpr SeqNum kPeerIsn{0x12345678};
const Instant kNow{Instant::from_millis(1'000'000)};  // 1000 s: counter 15

class SynCookieTest : public ::testing::Test {
  protected:
    SeqNum make(uint16_t mss, Instant now = kNow) const {
        return cookies.make(kLocal, kLport, kRemote, kRport, kPeerIsn, mss, now);
    }
    std::optional<uint16_t> check(SeqNum cookie, Instant now = kNow) const {
        return cookies.check(kLocal, kLport, kRemote, kRport, kPeerIsn, cookie, now);
    }
    SynCookies cookies{kSecret};
};

TEST_F(SynCookieTest, MssTableEntriesSurviveTheRoundTrip) {
    for (uint16_t mss : SynCookies::kMssTable) {
        EXPECT_EQ(check(make(mss)), mss);
    }
}

TEST_F(SynCookieTest, MssIsRoundedDownToATableEntry) {
    EXPECT_EQ(check(make(1400)), 1300);
    EXPECT_EQ(check(make(1459)), 1440);
    EXPECT_EQ(check(make(9000)), 1460);
    EXPECT_EQ(check(make(100)), 536);  // below the table: the smallest entry
    EXPECT_EQ(SynCookies::mss_index(535), 0u);
    EXPECT_EQ(SynCookies::mss_index(1300), 1u);
    EXPECT_EQ(SynCookies::mss_index(65535), 3u);
}

TEST_F(SynCookieTest, CounterStepsEvery64Seconds) {
    EXPECT_EQ(SynCookies::counter(Instant{0}), 0u);
    EXPECT_EQ(SynCookies::counter(Instant{63'999'999}), 0u);
    EXPECT_EQ(SynCookies::counter(Instant{64'000'000}), 1u);
    EXPECT_EQ(SynCookies::counter(kNow), 15u);
}

TEST_F(SynCookieTest, AcceptsTheCurrentAndThePreviousCounterOnly) {
    const Instant start = Instant{int64_t{15625} * 64'000'000};  // first instant of a step
    const SeqNum cookie = make(1460, start);
    EXPECT_EQ(check(cookie, start + 63s), 1460);               // same step
    EXPECT_EQ(check(cookie, start + 64s), 1460);               // previous step
    EXPECT_EQ(check(cookie, start + 127s), 1460);              // still the previous step
    EXPECT_EQ(check(cookie, start + 128s), std::nullopt);      // two steps old
    EXPECT_EQ(check(cookie, start + 100'000s), std::nullopt);  // long gone
    EXPECT_EQ(check(cookie, start - 64s), std::nullopt);       // from the future
}

TEST_F(SynCookieTest, CounterWrapInTheTopByteIsHandled) {
    // The cookie carries the counter mod 256: 255 -> 256 is one step.
    const Instant step255 = Instant{int64_t{255} * 64'000'000};
    const SeqNum cookie = make(1440, step255);
    EXPECT_EQ(check(cookie, step255 + 64s), 1440);
    EXPECT_EQ(check(cookie, step255 + 128s), std::nullopt);
    // 256 steps later the top byte matches again, but the keyed hash does not.
    EXPECT_EQ(check(cookie, step255 + std::chrono::seconds{64 * 256}), std::nullopt);
}

TEST_F(SynCookieTest, IndexCodesAreNoSingleBitOrSmallOffsetApart) {
    // The differences between the codes of two indexes, k * spacing mod 2^24 for
    // k = 1..3 either way, are never a power of two (a single-bit error) nor small.
    for (uint32_t a = 0; a < 4; ++a) {
        for (uint32_t b = 0; b < 4; ++b) {
            if (a == b) continue;
            const uint32_t diff =
                (SynCookies::index_code(a) - SynCookies::index_code(b)) & 0xffffff;
            EXPECT_NE(diff & (diff - 1), 0u) << a << " " << b;
            EXPECT_GT(diff, 0x10000u) << a << " " << b;
            EXPECT_LT(diff, 0xff0000u) << a << " " << b;
        }
    }
}

TEST_F(SynCookieTest, RejectsTamperedCookies) {
    for (uint16_t mss : SynCookies::kMssTable) {
        const SeqNum cookie = make(mss);
        for (int bit = 0; bit < 32; ++bit) {
            EXPECT_EQ(check(SeqNum{cookie.raw() ^ (1u << bit)}), std::nullopt) << "bit " << bit;
        }
        for (int delta = -1000; delta <= 1000; ++delta) {
            if (delta == 0) continue;
            EXPECT_EQ(check(cookie + delta), std::nullopt) << delta;
        }
    }
    EXPECT_EQ(check(SeqNum{0}), std::nullopt);
}

TEST_F(SynCookieTest, RejectsAnotherFourTupleOrPeerIsn) {
    const SeqNum cookie = make(1460);
    const auto other = wire::Ipv4Addr::from_octets(10, 0, 0, 3);
    EXPECT_EQ(cookies.check(other, kLport, kRemote, kRport, kPeerIsn, cookie, kNow), std::nullopt);
    EXPECT_EQ(cookies.check(kLocal, 81, kRemote, kRport, kPeerIsn, cookie, kNow), std::nullopt);
    EXPECT_EQ(cookies.check(kLocal, kLport, other, kRport, kPeerIsn, cookie, kNow), std::nullopt);
    EXPECT_EQ(cookies.check(kLocal, kLport, kRemote, 43211, kPeerIsn, cookie, kNow), std::nullopt);
    for (int delta : {-1, 1, 2, 1000, 1 << 24}) {
        EXPECT_EQ(cookies.check(kLocal, kLport, kRemote, kRport, kPeerIsn + delta, cookie, kNow),
                  std::nullopt)
            << delta;
    }
    EXPECT_EQ(cookies.check(kLocal, kLport, kRemote, kRport, kPeerIsn, cookie, kNow), 1460);
}

TEST_F(SynCookieTest, RejectsCookiesFromAnotherSecret) {
    std::array<uint8_t, 16> other = kSecret;
    other[7] ^= 4;
    const SeqNum cookie =
        SynCookies{other}.make(kLocal, kLport, kRemote, kRport, kPeerIsn, 1460, kNow);
    EXPECT_EQ(check(cookie), std::nullopt);
}

TEST_F(SynCookieTest, CookiesDifferPerConnection) {
    const SeqNum a = make(1460);
    const SeqNum b = cookies.make(kLocal, kLport, kRemote, kRport + 1, kPeerIsn, 1460, kNow);
    EXPECT_NE(a, b);
    // The peer's ISN enters additively: check() takes it back out.
    EXPECT_EQ(cookies.make(kLocal, kLport, kRemote, kRport, kPeerIsn + 5, 1460, kNow), a + 5);
    // Another MSS, another cookie.
    EXPECT_NE(make(536), a);
}

TEST_F(SynCookieTest, TsvalCarriesWindowScaleAndSackInItsLowSixBits) {
    // 1000 = 0b1111101000: the high bits stay (960), the low 6 are the options.
    EXPECT_EQ(cookies.encode_tsval(1000, uint8_t{7}, true), 960u + 7u + 16u);
    EXPECT_EQ(cookies.encode_tsval(1000, std::nullopt, false), 960u + 15u);
    EXPECT_EQ(cookies.encode_tsval(1000, uint8_t{0}, false), 960u);
    // Never ahead of the clock: 960|23 = 983 > 961, so one 64-tick step back.
    EXPECT_EQ(cookies.encode_tsval(961, uint8_t{7}, true), 919u);
    EXPECT_EQ(cookies.encode_tsval(983, uint8_t{7}, true), 983u);
}

TEST_F(SynCookieTest, TsecrDecodesWhatTsvalEncoded) {
    for (int ws = -1; ws <= 14; ++ws) {
        for (bool sack : {false, true}) {
            const std::optional<uint8_t> wscale =
                ws < 0 ? std::nullopt : std::optional<uint8_t>{static_cast<uint8_t>(ws)};
            const uint32_t tsval = cookies.encode_tsval(0x7654'3210, wscale, sack);
            std::optional<uint8_t> got_ws = uint8_t{99};
            bool got_sack = !sack;
            SynCookies::decode_tsecr(tsval, got_ws, got_sack);
            EXPECT_EQ(got_ws, wscale) << ws;
            EXPECT_EQ(got_sack, sack) << ws;
            EXPECT_LE(tsval, 0x7654'3210u);
            EXPECT_GT(tsval, 0x7654'3210u - 64);
        }
    }
}

}  // namespace
}  // namespace shunt::tcp
