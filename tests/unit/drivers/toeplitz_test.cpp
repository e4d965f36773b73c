// The software Toeplitz hash against Microsoft's RSS verification vectors ("Verifying the RSS
// Hash Calculation", Windows hardware docs; the same table is in the 82599 datasheet
// §7.1.2.8.3): the documented 40-byte key, five IPv4 flows, their IPv4 and IPv4/TCP hashes.
#include "driver/intel/toeplitz.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace shunt::intel {
namespace {

constexpr std::array<uint8_t, kRssKeyBytes> kMsKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

struct Vector {
    std::array<uint8_t, 4> dst;
    uint16_t dst_port;
    std::array<uint8_t, 4> src;
    uint16_t src_port;
    uint32_t ipv4;
    uint32_t ipv4_tcp;
};

// Destination, then source, as the Microsoft table lists them.
constexpr std::array<Vector, 5> kVectors = {{
    {{161, 142, 100, 80}, 1766, {66, 9, 149, 187}, 2794, 0x323e8fc2, 0x51ccc178},
    {{65, 69, 140, 83}, 4739, {199, 92, 111, 2}, 14230, 0xd718262a, 0xc626b0ea},
    {{12, 22, 207, 184}, 38024, {24, 19, 198, 95}, 12898, 0xd2d0a5de, 0x5c2b394a},
    {{209, 142, 163, 6}, 2217, {38, 27, 205, 30}, 48228, 0x82989176, 0xafc7327f},
    {{202, 188, 127, 2}, 1303, {153, 39, 163, 191}, 44251, 0x5d1809c5, 0x10e828a2},
}};

TEST(Toeplitz, MicrosoftIpv4Vectors) {
    for (const Vector& v : kVectors) {
        EXPECT_EQ(rss_hash_ipv4(kMsKey, v.src, v.dst), v.ipv4)
            << int{v.src[0]} << "." << int{v.src[1]} << " -> " << int{v.dst[0]};
    }
}

TEST(Toeplitz, MicrosoftIpv4TcpVectors) {
    for (const Vector& v : kVectors) {
        EXPECT_EQ(rss_hash_ipv4_l4(kMsKey, v.src, v.dst, v.src_port, v.dst_port), v.ipv4_tcp)
            << int{v.src[0]} << "." << int{v.src[1]} << " -> " << int{v.dst[0]};
    }
}

TEST(Toeplitz, IsComputableAtCompileTime) {
    static_assert(rss_hash_ipv4(kMsKey, {66, 9, 149, 187}, {161, 142, 100, 80}) == 0x323e8fc2);
}

TEST(Toeplitz, SwappingDirectionsChangesTheHashWithThisKey) {
    // The Microsoft key is not symmetric: the reply direction of a flow hashes differently.
    const Vector& v = kVectors[0];
    EXPECT_NE(rss_hash_ipv4_l4(kMsKey, v.src, v.dst, v.src_port, v.dst_port),
              rss_hash_ipv4_l4(kMsKey, v.dst, v.src, v.dst_port, v.src_port));
}

TEST(Toeplitz, TheSymmetricKeyHashesBothDirectionsOfAFlowAlike) {
    EXPECT_EQ(kSymmetricRssKey[0], 0x6d);
    EXPECT_EQ(kSymmetricRssKey[39], 0x5a);
    for (const Vector& v : kVectors) {
        const uint32_t fwd =
            rss_hash_ipv4_l4(kSymmetricRssKey, v.src, v.dst, v.src_port, v.dst_port);
        EXPECT_EQ(fwd, rss_hash_ipv4_l4(kSymmetricRssKey, v.dst, v.src, v.dst_port, v.src_port));
        EXPECT_EQ(rss_hash_ipv4(kSymmetricRssKey, v.src, v.dst),
                  rss_hash_ipv4(kSymmetricRssKey, v.dst, v.src));
        // Not a key that hashes everything alike: the flows still differ from each other.
        EXPECT_NE(fwd, rss_hash_ipv4_l4(kSymmetricRssKey, v.src, v.dst, v.src_port,
                                        static_cast<uint16_t>(v.dst_port + 1)));
    }
}

TEST(Toeplitz, AKeyTooShortForTheInputGivesZero) {
    const std::array<uint8_t, 11> key{};
    const std::array<uint8_t, 8> in{1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_EQ(toeplitz_hash(key, in), 0u);
    const std::array<uint8_t, 12> ok{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                     0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    // An all-ones key: every window is all ones, so the hash is the input's bit count parity
    // repeated over 32 bits.
    EXPECT_EQ(toeplitz_hash(ok, in),
              (__builtin_popcountll(0x0102030405060708ull) & 1) != 0 ? 0xFFFFFFFFu : 0u);
}

}  // namespace
}  // namespace shunt::intel
