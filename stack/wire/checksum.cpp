// RFC 1071 checksum, summed 8 bytes at a time.
//
// RFC 1071 §2(B): the ones' complement sum does not depend on byte order, so the bulk
// loop adds the data as native 64-bit words (one unaligned load each) and only the final
// 16-bit value is swapped to network order. Each 64-bit add counts its carry-out; the
// carries are added back at the end (the end-around carry of §2(A), deferred). Two
// independent accumulators give the CPU two add/adc chains to run in parallel.
// §2(C): a wide sum folds to 16 bits by adding its halves, since 2^16 == 1 mod 0xffff.
#include "stack/wire/checksum.hpp"

#include <bit>
#include <cstring>

namespace shunt::wire {
namespace {

inline uint64_t load_ne64(const uint8_t* p) noexcept {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

inline uint32_t load_ne32(const uint8_t* p) noexcept {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

inline uint16_t load_ne16(const uint8_t* p) noexcept {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// acc += w, returning the carry out of bit 63 (compiles to add + adc $0).
inline uint64_t add_carry(uint64_t& acc, uint64_t w) noexcept {
    return __builtin_add_overflow(acc, w, &acc) ? 1 : 0;
}

// Ones' complement add in 64 bits: the carry out wraps into bit 0.
inline uint64_t add_end_around(uint64_t a, uint64_t b) noexcept {
    uint64_t s = a + b;
    return s + (s < b ? 1 : 0);
}

inline uint16_t fold_to_16(uint64_t s) noexcept {
    s = (s & 0xffffffffu) + (s >> 32);  // at most 0x1'ffff'fffe
    s = (s & 0xffffffffu) + (s >> 32);  // at most 0xffff'ffff
    s = (s & 0xffffu) + (s >> 16);      // at most 0x1'fffe
    s = (s & 0xffffu) + (s >> 16);      // at most 0xffff
    return static_cast<uint16_t>(s);
}

}  // namespace

uint32_t checksum_partial(std::span<const uint8_t> data, uint32_t sum) noexcept {
    const uint8_t* p = data.data();
    size_t n = data.size();
    uint64_t a0 = 0, a1 = 0;  // sums of alternate words
    uint64_t c0 = 0, c1 = 0;  // their carries (at most one per word: cannot overflow)

    while (n >= 64) {
        c0 += add_carry(a0, load_ne64(p));
        c1 += add_carry(a1, load_ne64(p + 8));
        c0 += add_carry(a0, load_ne64(p + 16));
        c1 += add_carry(a1, load_ne64(p + 24));
        c0 += add_carry(a0, load_ne64(p + 32));
        c1 += add_carry(a1, load_ne64(p + 40));
        c0 += add_carry(a0, load_ne64(p + 48));
        c1 += add_carry(a1, load_ne64(p + 56));
        p += 64;
        n -= 64;
    }
    while (n >= 8) {
        c0 += add_carry(a0, load_ne64(p));
        p += 8;
        n -= 8;
    }
    // The tail starts at an even offset, so each piece lands in the same byte lanes of a
    // 16-bit word as it would have in a 64-bit load.
    if (n >= 4) {
        c1 += add_carry(a1, load_ne32(p));
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        c1 += add_carry(a1, load_ne16(p));
        p += 2;
        n -= 2;
    }
    if (n == 1) {
        // RFC 1071 §4.1: an odd last byte is the high byte of a word whose low byte is 0.
        const uint64_t last = std::endian::native == std::endian::little ? *p : uint64_t{*p} << 8;
        c1 += add_carry(a1, last);
    }

    uint16_t s16 = fold_to_16(add_end_around(add_end_around(a0, a1), c0 + c1));
    if constexpr (std::endian::native == std::endian::little) {
        s16 = static_cast<uint16_t>((s16 >> 8) | (s16 << 8));
    }
    // Add to the caller's running sum, again wrapping the carry so none is lost.
    uint64_t r = uint64_t{sum} + s16;
    r = (r & 0xffffffffu) + (r >> 32);
    return static_cast<uint32_t>(r);
}

}  // namespace shunt::wire
