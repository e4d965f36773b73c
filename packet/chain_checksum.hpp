// Internet checksum over a datagram spread across buffers (RFC 1071 §2(B): a partial sum
// over bytes that start at an odd offset is byte-swapped before it is added).
#pragma once

#include "packet/packet_chain.hpp"
#include "stack/wire/checksum.hpp"

#include <cstdint>

namespace shunt {

// Returns the folded 16-bit ones'-complement sum (not inverted) of `initial` plus all bytes.
inline uint16_t chain_sum(const PacketChain& chain, uint32_t initial) noexcept {
    uint32_t total = initial;
    bool odd = false;
    for (PacketBuf* b : chain) {
        uint16_t piece = static_cast<uint16_t>(~wire::checksum_fold(
            wire::checksum_partial(std::span<const uint8_t>(b->data(), b->length()))));
        if (odd) piece = static_cast<uint16_t>((piece << 8) | (piece >> 8));
        total += piece;
        if ((b->length() & 1u) != 0) odd = !odd;
    }
    return static_cast<uint16_t>(~wire::checksum_fold(total));
}

// The value to store in a checksum field for a datagram whose field is currently zero.
inline uint16_t chain_checksum(const PacketChain& chain, uint32_t initial = 0) noexcept {
    return static_cast<uint16_t>(~chain_sum(chain, initial));
}

// True when a received datagram (checksum field included) verifies.
inline bool chain_checksum_ok(const PacketChain& chain, uint32_t initial = 0) noexcept {
    return chain_sum(chain, initial) == 0xffff;
}

}  // namespace shunt
