// Shared by the fuzz targets. A broken property must crash, so that libFuzzer saves the
// input: require() traps, in every build type (unlike assert).
#pragma once

#include "stack/wire/ipv4_addr.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace shunt::fuzz {

inline void require(bool ok) noexcept {
    if (!ok) __builtin_trap();
}

// The fuzzer's bytes as a mutable buffer of exactly their size (views need mutable spans,
// and AddressSanitizer then flags a read one byte past the end).
inline std::vector<uint8_t> mutable_copy(std::span<const uint8_t> bytes) {
    return {bytes.begin(), bytes.end()};
}

// Transport targets take the pseudo header's addresses from the first 8 input bytes, so the
// fuzzer explores those too; the segment or datagram is the rest.
struct AddressedInput {
    wire::Ipv4Addr src, dst;
    std::vector<uint8_t> bytes;
};
inline bool split_addresses(const uint8_t* data, size_t size, AddressedInput& out) {
    if (size < 8) return false;
    out.src = wire::Ipv4Addr::load(data);
    out.dst = wire::Ipv4Addr::load(data + 4);
    out.bytes.assign(data + 8, data + size);
    return true;
}

}  // namespace shunt::fuzz
