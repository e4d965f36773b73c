// Internet checksum throughput (bytes/s) for typical packet sizes: shunt's 64-bit
// summation against the textbook 16-bit loop of RFC 1071 §4.1, in one binary so the
// ratio is measured under the same conditions. Not a pass/fail test.
#include "stack/wire/checksum.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <vector>

namespace {

using shunt::wire::checksum_fold;
using shunt::wire::internet_checksum;

// RFC 1071 §4.1, one big-endian 16-bit word per iteration.
uint16_t naive_checksum(const uint8_t* p, size_t n) {
    uint32_t sum = 0;
    while (n > 1) {
        sum += static_cast<uint32_t>((p[0] << 8) | p[1]);
        p += 2;
        n -= 2;
    }
    if (n > 0) sum += static_cast<uint32_t>(p[0] << 8);
    return checksum_fold(sum);
}

std::vector<uint8_t> make_data(size_t n) {
    std::vector<uint8_t> v(n + 64);
    uint32_t x = 12345;
    for (auto& b : v) {
        x = x * 1664525u + 1013904223u;  // any bytes will do; keep them non-trivial
        b = static_cast<uint8_t>(x >> 24);
    }
    return v;
}

// `offset` moves the start off 8-byte alignment, as a payload after a 14-byte Ethernet
// header would be.
void run(benchmark::State& state, bool fast, size_t offset) {
    const auto n = static_cast<size_t>(state.range(0));
    auto data = make_data(n);
    std::span<const uint8_t> bytes{data.data() + offset, n};
    for (auto _ : state) {
        benchmark::DoNotOptimize(bytes.data());
        uint16_t c = fast ? internet_checksum(bytes) : naive_checksum(bytes.data(), n);
        benchmark::DoNotOptimize(c);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_internet_checksum(benchmark::State& s) {
    run(s, true, 0);
}
void BM_internet_checksum_unaligned(benchmark::State& s) {
    run(s, true, 14);
}
void BM_naive_rfc1071(benchmark::State& s) {
    run(s, false, 0);
}

// Minimum frame, RFC 791 minimum datagram, Ethernet MTU, jumbo frame, a 64 KiB GSO buffer.
void sizes(benchmark::internal::Benchmark* b) {
    for (int64_t n : {64, 576, 1500, 9000, 65536}) b->Arg(n);
}
BENCHMARK(BM_internet_checksum)->Apply(sizes);
BENCHMARK(BM_internet_checksum_unaligned)->Apply(sizes);
BENCHMARK(BM_naive_rfc1071)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
