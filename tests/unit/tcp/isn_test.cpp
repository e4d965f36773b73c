// SipHash-2-4 against the reference implementation's vectors, and the RFC 6528 ISN built on it.
#include "stack/tcp/isn.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace shunt::tcp {
namespace {

// vectors_sip64 of the SipHash reference implementation (vectors.h): key = 00 01 .. 0f,
// message i = 00 01 .. (i-1). Each 8-byte output read little-endian.
constexpr std::array<uint64_t, 64> kSip64Vectors{
    0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
    0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
    0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
    0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
    0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull, 0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull,
    0xbed65cf21aa2ee98ull, 0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
    0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull, 0x2f2e6163076bcfadull,
    0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull, 0xad87a3535c49ef28ull, 0x32d892fad841c342ull,
    0x7127512f72f27cceull, 0xa7f32346f95978e3ull, 0x12e0b01abb051238ull, 0x15e034d40fa197aeull,
    0x314dffbe0815a3b4ull, 0x027990f029623981ull, 0xcadcd4e59ef40c4dull, 0x9abfd8766a33735cull,
    0x0e3ea96b5304a7d0ull, 0xad0c42d6fc585992ull, 0x187306c89bc215a9ull, 0xd4a60abcf3792b95ull,
    0xf935451de4f21df2ull, 0xa9538f0419755787ull, 0xdb9acddff56ca510ull, 0xd06c98cd5c0975ebull,
    0xe612a3cb9ecba951ull, 0xc766e62cfcadaf96ull, 0xee64435a9752fe72ull, 0xa192d576b245165aull,
    0x0a8787bf8ecb74b2ull, 0x81b3e73d20b49b6full, 0x7fa8220ba3b2eceaull, 0x245731c13ca42499ull,
    0xb78dbfaf3a8d83bdull, 0xea1ad565322a1a0bull, 0x60e61c23a3795013ull, 0x6606d7e446282b93ull,
    0x6ca4ecb15c5f91e1ull, 0x9f626da15c9625f3ull, 0xe51b38608ef25f57ull, 0x958a324ceb064572ull,
};

constexpr std::array<uint8_t, 16> kKey{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

TEST(SipHash24, MatchesReferenceVectorsForEveryLength0To63) {
    std::vector<uint8_t> msg;
    for (size_t len = 0; len < kSip64Vectors.size(); ++len) {
        EXPECT_EQ(siphash24(kKey, msg), kSip64Vectors[len]) << "message length " << len;
        msg.push_back(static_cast<uint8_t>(len));
    }
}

TEST(SipHash24, PaperAppendixAExample) {
    // The SipHash paper, Appendix A: the 15-byte message 00..0e gives a129ca6149be45e5.
    std::array<uint8_t, 15> msg{};
    for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i);
    EXPECT_EQ(siphash24(kKey, msg), 0xa129ca6149be45e5ull);
}

TEST(SipHash24, KeyMatters) {
    std::array<uint8_t, 16> other = kKey;
    other[15] ^= 1;
    const std::array<uint8_t, 3> msg{0, 1, 2};
    EXPECT_NE(siphash24(other, msg), kSip64Vectors[3]);
}

const wire::Ipv4Addr kLocal = wire::Ipv4Addr::from_octets(10, 0, 0, 1);
const wire::Ipv4Addr kRemote = wire::Ipv4Addr::from_octets(192, 168, 7, 9);

TEST(IsnGenerator, IsTimerPlusSipHashOfTheConnectionId) {
    IsnGenerator gen{kKey};
    // F's input: local address, local port, remote address, remote port, big-endian.
    const std::array<uint8_t, 12> id{10, 0, 0, 1, 0x1f, 0x90, 192, 168, 7, 9, 0xc3, 0x50};
    const auto f = static_cast<uint32_t>(siphash24(kKey, id));
    const Instant now{1'000'000};  // 1 s = 250000 ticks of 4 us
    EXPECT_EQ(gen.isn(kLocal, 8080, kRemote, 50000, now), SeqNum{250'000u + f});
}

TEST(IsnGenerator, AdvancesOneTickEvery4Microseconds) {
    IsnGenerator gen{kKey};
    const Instant t0{123'456'789};
    const SeqNum base = gen.isn(kLocal, 80, kRemote, 40000, t0);
    // 123456789 us is inside the tick [123456788, 123456792).
    EXPECT_EQ(gen.isn(kLocal, 80, kRemote, 40000, Instant{123'456'791}), base);
    EXPECT_EQ(gen.isn(kLocal, 80, kRemote, 40000, Instant{123'456'788}), base);
    EXPECT_EQ(gen.isn(kLocal, 80, kRemote, 40000, Instant{123'456'792}), base + 1);
    EXPECT_EQ(gen.isn(kLocal, 80, kRemote, 40000, Instant{123'456'788 + 4'000'000}),
              base + 1'000'000);
}

TEST(IsnGenerator, TimerWrapsModulo2To32AfterAbout4Point77Hours) {
    IsnGenerator gen{kKey};
    const Instant t0{0};
    const Instant wrap{int64_t{4} << 32};  // 2^32 ticks of 4 us: 17179.9 s
    EXPECT_EQ(gen.isn(kLocal, 80, kRemote, 40000, t0), gen.isn(kLocal, 80, kRemote, 40000, wrap));
}

TEST(IsnGenerator, EveryFieldOfTheFourTupleAndTheSecretChangesF) {
    IsnGenerator gen{kKey};
    const Instant now{42};
    const SeqNum base = gen.isn(kLocal, 80, kRemote, 40000, now);
    EXPECT_NE(gen.isn(wire::Ipv4Addr::from_octets(10, 0, 0, 2), 80, kRemote, 40000, now), base);
    EXPECT_NE(gen.isn(kLocal, 81, kRemote, 40000, now), base);
    EXPECT_NE(gen.isn(kLocal, 80, wire::Ipv4Addr::from_octets(192, 168, 7, 8), 40000, now), base);
    EXPECT_NE(gen.isn(kLocal, 80, kRemote, 40001, now), base);
    // Swapping the ends is another connection.
    EXPECT_NE(gen.isn(kRemote, 40000, kLocal, 80, now), base);
    std::array<uint8_t, 16> other = kKey;
    other[0] ^= 0x80;
    EXPECT_NE(IsnGenerator{other}.isn(kLocal, 80, kRemote, 40000, now), base);
}

}  // namespace
}  // namespace shunt::tcp
