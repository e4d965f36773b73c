// The body of GET /bytes/N: byte i is i mod 251. 251 is prime, so the pattern does not line
// up with any power-of-two buffer or segment size, and a misplaced, dropped or duplicated
// chunk shows at its first byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace shunt::app {

constexpr uint32_t kBytePatternPeriod = 251;

constexpr uint8_t pattern_byte(uint64_t index) noexcept {
    return static_cast<uint8_t>(index % kBytePatternPeriod);
}

// Writes pattern bytes [offset, offset + out.size()) into out: the caller hands the buffer
// (a packet buffer's payload room), so no body is ever materialized, whatever N is.
void fill_pattern(std::span<uint8_t> out, uint64_t offset) noexcept;

// Feeds out the first `total` pattern bytes, a caller-sized piece at a time.
class BytePatternProducer {
  public:
    explicit BytePatternProducer(uint64_t total = 0) noexcept : total_(total) {}

    // Fills as much of out as the body has left; returns the bytes written.
    size_t produce(std::span<uint8_t> out) noexcept;
    uint64_t remaining() const noexcept { return total_ - offset_; }
    bool done() const noexcept { return offset_ == total_; }

  private:
    uint64_t total_;
    uint64_t offset_ = 0;
};

}  // namespace shunt::app
