#include "stack/app/byte_pattern.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace shunt::app {

namespace {
// Two periods back to back: any window of up to one period starts at some phase and is one
// memcpy away.
constexpr std::array<uint8_t, 2 * kBytePatternPeriod> make_table() {
    std::array<uint8_t, 2 * kBytePatternPeriod> t{};
    for (size_t i = 0; i < t.size(); ++i) t[i] = pattern_byte(i);
    return t;
}
constexpr auto kTable = make_table();
}  // namespace

void fill_pattern(std::span<uint8_t> out, uint64_t offset) noexcept {
    auto phase = static_cast<size_t>(offset % kBytePatternPeriod);
    size_t done = 0;
    while (done < out.size()) {
        const size_t n = std::min<size_t>(out.size() - done, kBytePatternPeriod);
        std::memcpy(out.data() + done, kTable.data() + phase, n);
        done += n;
        phase = (phase + n) % kBytePatternPeriod;
    }
}

size_t BytePatternProducer::produce(std::span<uint8_t> out) noexcept {
    const auto n = static_cast<size_t>(std::min<uint64_t>(out.size(), remaining()));
    fill_pattern(out.first(n), offset_);
    offset_ += n;
    return n;
}

}  // namespace shunt::app
