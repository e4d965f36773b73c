// Descriptor ring index arithmetic. Ring sizes are powers of two (8..4096), so wrapping is a mask.
// Ownership follows SDM §3.2.6/§3.3.1: the NIC owns [head, tail); software owns the rest. One
// slot stays empty so that head == tail always means "nothing for the NIC".
#pragma once

#include <cstdint>

namespace shunt::e1000 {

inline constexpr uint32_t kMinRing = 8;  // RDLEN/TDLEN must be a multiple of 128 bytes
inline constexpr uint32_t kMaxRing = 4096;

constexpr bool valid_ring_size(uint32_t n) {
    return n >= kMinRing && n <= kMaxRing && (n & (n - 1)) == 0;
}
constexpr uint32_t ring_next(uint32_t i, uint32_t size) {
    return (i + 1) & (size - 1);
}
constexpr uint32_t ring_prev(uint32_t i, uint32_t size) {
    return (i - 1) & (size - 1);
}
// Slots from `from` up to, not including, `to`, going forward.
constexpr uint32_t ring_distance(uint32_t from, uint32_t to, uint32_t size) {
    return (to - from) & (size - 1);
}
// Slots software may still fill on a transmit ring whose oldest unfinished slot is `clean`
// and whose next slot to fill is `tail`.
constexpr uint32_t ring_free(uint32_t clean, uint32_t tail, uint32_t size) {
    return size - 1 - ring_distance(clean, tail, size);
}

}  // namespace shunt::e1000
