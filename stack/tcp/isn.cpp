#include "stack/tcp/isn.hpp"

#include "base/byte_order.hpp"

#include <bit>

namespace shunt::tcp {

namespace {

uint64_t load_le64(const uint8_t* p) noexcept {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

// One SipRound (SipHash paper §2, Figure 1 of the round function).
struct SipState {
    uint64_t v0, v1, v2, v3;

    void round() noexcept {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }
    // c = 2 compression rounds per message word.
    void compress(uint64_t m) noexcept {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

}  // namespace

uint64_t siphash24(const std::array<uint8_t, 16>& key, std::span<const uint8_t> data) noexcept {
    const uint64_t k0 = load_le64(key.data());
    const uint64_t k1 = load_le64(key.data() + 8);
    // Initialization: the constants are "somepseudorandomlygeneratedbytes" in ASCII.
    SipState s{k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull, k0 ^ 0x6c7967656e657261ull,
               k1 ^ 0x7465646279746573ull};

    const size_t full = data.size() / 8 * 8;
    for (size_t i = 0; i < full; i += 8) s.compress(load_le64(data.data() + i));

    // The last word: the remaining 0..7 bytes, little-endian, with the length mod 256 in
    // the top byte.
    uint64_t last = static_cast<uint64_t>(data.size() & 0xff) << 56;
    for (size_t i = full; i < data.size(); ++i) last |= uint64_t{data[i]} << (8 * (i - full));
    s.compress(last);

    // Finalization: d = 4 rounds.
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

IsnGenerator::IsnGenerator(std::array<uint8_t, 16> secret) noexcept : secret_(secret) {}

SeqNum IsnGenerator::isn(wire::Ipv4Addr local, uint16_t lport, wire::Ipv4Addr remote,
                         uint16_t rport, Instant now) const noexcept {
    // RFC 6528 §3: F(localip, localport, remoteip, remoteport, secretkey).
    std::array<uint8_t, 12> id{};
    local.store(id.data());
    store_be16(id.data() + 4, lport);
    remote.store(id.data() + 6);
    store_be16(id.data() + 10, rport);
    const auto f = static_cast<uint32_t>(siphash24(secret_, id));
    // M: the 4-microsecond timer of RFC 9293 §3.4.1, modulo 2^32.
    const auto m = static_cast<uint32_t>(now.micros() / 4);
    return SeqNum{m} + f;
}

}  // namespace shunt::tcp
