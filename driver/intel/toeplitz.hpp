// The Toeplitz hash that Intel NICs (82576 DS §7.1.1.7.1, 82599 DS §7.1.2.8.1) and Microsoft's
// RSS specification compute over a packet's addresses and ports, in software: to predict which
// queue a flow lands on (RETA[hash & 127]) and to check the hash a NIC wrote back.
//
// For every bit of the input, most significant bit of the first byte first, the 32-bit window
// of the key starting at that bit is XORed into the result when the input bit is set. The key
// must be at least 4 bytes longer than the input (40 bytes cover IPv6 with ports: 36).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace shunt::intel {

inline constexpr size_t kRssKeyBytes = 40;  // RSSRK: ten 32-bit registers

// A symmetric key (Woo and Park, "Scalable TCP Session Monitoring with Symmetric Receive-side
// Scaling", 2012): 0x6d5a repeated. Its 32-bit windows repeat every 16 bits, and the IPv4/L4
// input swaps in whole 32-bit (addresses) and 16-bit (ports) units between the two directions
// of a flow, so both directions hash alike and land on one queue.
inline constexpr std::array<uint8_t, kRssKeyBytes> kSymmetricRssKey = [] {
    std::array<uint8_t, kRssKeyBytes> k{};
    for (size_t i = 0; i < k.size(); ++i) k[i] = i % 2 == 0 ? 0x6d : 0x5a;
    return k;
}();

// 0 when the key is too short for the input (a caller's error, never a valid hash to trust).
constexpr uint32_t toeplitz_hash(std::span<const uint8_t> key,
                                 std::span<const uint8_t> input) noexcept {
    if (key.size() < input.size() + 4) return 0;
    uint32_t hash = 0;
    // The key window for the next input bit: key bits [i, i + 32), shifted in one bit at a time.
    uint32_t window =
        uint32_t{key[0]} << 24 | uint32_t{key[1]} << 16 | uint32_t{key[2]} << 8 | uint32_t{key[3]};
    for (size_t i = 0; i < input.size(); ++i) {
        const uint8_t next = key[i + 4];
        for (int bit = 7; bit >= 0; --bit) {
            if ((input[i] >> bit & 1u) != 0) hash ^= window;
            window = window << 1 | (next >> bit & 1u);
        }
    }
    return hash;
}

// RSS input for IPv4 (Microsoft's "IPv4" hash type): source then destination address, each in
// network byte order (a.b.c.d as {a, b, c, d}).
constexpr uint32_t rss_hash_ipv4(std::span<const uint8_t> key, const std::array<uint8_t, 4>& src,
                                 const std::array<uint8_t, 4>& dst) noexcept {
    const std::array<uint8_t, 8> in{src[0], src[1], src[2], src[3], dst[0], dst[1], dst[2], dst[3]};
    return toeplitz_hash(key, in);
}

// RSS input for IPv4 with TCP (or UDP) ports: source address, destination address, source port,
// destination port, all in network byte order.
constexpr uint32_t rss_hash_ipv4_l4(std::span<const uint8_t> key, const std::array<uint8_t, 4>& src,
                                    const std::array<uint8_t, 4>& dst, uint16_t src_port,
                                    uint16_t dst_port) noexcept {
    const std::array<uint8_t, 12> in{src[0],
                                     src[1],
                                     src[2],
                                     src[3],
                                     dst[0],
                                     dst[1],
                                     dst[2],
                                     dst[3],
                                     static_cast<uint8_t>(src_port >> 8),
                                     static_cast<uint8_t>(src_port),
                                     static_cast<uint8_t>(dst_port >> 8),
                                     static_cast<uint8_t>(dst_port)};
    return toeplitz_hash(key, in);
}

}  // namespace shunt::intel
