// Mempool batch alloc/free cost per buffer, side by side with malloc/free of the same size
// (the ratio is what to read: absolute numbers move with the machine).
#include "packet/memory.hpp"
#include "packet/mempool.hpp"
#include "packet/packet_buf.hpp"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

namespace {

// What one buffer costs in memory: its header (process memory) and its data room (DMA
// memory); the same 2240 bytes the buffer took when the header sat in front of the data room.
constexpr size_t kBufferBytes = shunt::PacketBuf::kHeaderSize + shunt::PacketBuf::kStorage;

void BM_MempoolBatch(benchmark::State& state) {
    const auto batch = static_cast<size_t>(state.range(0));
    shunt::MemfdProvider memfd;
    auto pool = shunt::Mempool::create(memfd, 4096, "bench").value();
    std::vector<shunt::PacketBuf*> bufs(batch);
    for (auto _ : state) {
        size_t n = pool->alloc_batch(bufs);
        benchmark::DoNotOptimize(bufs.data());
        shunt::Mempool::unref_batch(std::span(bufs.data(), n));
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
    state.counters["ns_per_buffer"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(batch),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_MempoolBatch)->Arg(1)->Arg(8)->Arg(32)->Arg(64);

void BM_MallocBatch(benchmark::State& state) {
    const auto batch = static_cast<size_t>(state.range(0));
    std::vector<void*> bufs(batch);
    for (auto _ : state) {
        for (auto& b : bufs) b = std::malloc(kBufferBytes);
        benchmark::DoNotOptimize(bufs.data());
        for (auto* b : bufs) std::free(b);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
    state.counters["ns_per_buffer"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(batch),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_MallocBatch)->Arg(1)->Arg(8)->Arg(32)->Arg(64);

}  // namespace

BENCHMARK_MAIN();
