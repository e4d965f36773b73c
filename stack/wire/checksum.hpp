// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of
// the data taken as big-endian 16-bit words. Used by IPv4, ICMP, UDP and TCP.
//
// A sum can be built from several pieces (pseudo header, transport header, payload in
// another buffer): pass the value returned for one piece as `sum` for the next, then fold
// once at the end. Every piece except the last must have an EVEN length, because the
// 16-bit word boundaries of a piece are counted from its own first byte; an odd trailing
// byte is treated as padded with a zero byte (RFC 1071 §4.1), which is only right at the end.
#pragma once

#include "stack/wire/ipv4_addr.hpp"

#include <cstdint>
#include <span>

namespace shunt::wire {

// Partial ones' complement sum of `data` added to `sum`. The result is not complemented
// and may exceed 16 bits; it keeps every carry (end-around), so it is only meaningful
// through checksum_fold() or as the `sum` of another call. Any alignment is fine.
uint32_t checksum_partial(std::span<const uint8_t> data, uint32_t sum = 0) noexcept;

// Folds carries into 16 bits and complements: the value to store in a header, in host
// order (write it with store_be16). A correct header+data sums to 0xffff, so
// checksum_fold(checksum_partial(whole)) == 0 verifies it.
constexpr uint16_t checksum_fold(uint32_t sum) noexcept {
    sum = (sum & 0xffffu) + (sum >> 16);  // at most 0x1fffe
    sum = (sum & 0xffffu) + (sum >> 16);  // at most 0xffff
    return static_cast<uint16_t>(~sum);
}

inline uint16_t internet_checksum(std::span<const uint8_t> data) noexcept {
    return checksum_fold(checksum_partial(data));
}

// Partial sum of the 12-byte IPv4 pseudo header that UDP (RFC 768) and TCP (RFC 9293
// §3.1) prepend for their checksums: src, dst, zero, protocol, transport length.
constexpr uint32_t pseudo_header_sum(Ipv4Addr src, Ipv4Addr dst, uint8_t protocol,
                                     uint16_t length) noexcept {
    return (src.value >> 16) + (src.value & 0xffffu) + (dst.value >> 16) + (dst.value & 0xffffu) +
           protocol + length;
}

}  // namespace shunt::wire
