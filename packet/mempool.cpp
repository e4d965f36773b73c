#include "packet/mempool.hpp"

#include "packet/packet_buf.hpp"

#include <algorithm>
#include <mutex>

namespace shunt {

namespace {
std::mutex& registry_lock() {
    static std::mutex m;
    return m;
}
}  // namespace

Mempool::Mempool(std::unique_ptr<MemoryRegion> region, uint32_t count)
    : region_(std::move(region)), headers_(new PacketBuf[count]), count_(count) {
    free_.reserve(count);
}

Mempool::~Mempool() {
    std::lock_guard lock(registry_lock());
    if (registry_[id_].load(std::memory_order_relaxed) == this) {
        registry_[id_].store(nullptr, std::memory_order_relaxed);
    }
}

Result<std::unique_ptr<Mempool>> Mempool::create(MemoryProvider& provider, uint32_t count,
                                                 const std::string& name) {
    if (count == 0) return make_error("mempool {}: a pool needs at least one buffer", name);
    if (count > kMaxBuffers) {
        return make_error("mempool {}: {} buffers; a pool holds at most {}", name, count,
                          kMaxBuffers);
    }
    // Only the data rooms are device memory; the headers are allocated below.
    constexpr size_t stride = PacketBuf::kStorage;
    // Worst case each page wastes up to one stride when buffers may not cross pages.
    size_t bytes = size_t{count} * stride;
    auto region = provider.allocate(bytes + bytes / 8 + stride, name);
    if (!region) return region.error();
    std::unique_ptr<Mempool> pool(new Mempool(std::move(region).value(), count));
    {
        std::lock_guard lock(registry_lock());
        uint32_t id = 0;
        while (id < kMaxPools && registry_[id].load(std::memory_order_relaxed) != nullptr) ++id;
        if (id == kMaxPools) {
            return make_error("mempool {}: {} pools exist already", name, kMaxPools);
        }
        pool->id_ = static_cast<uint16_t>(id);
        registry_[id].store(pool.get(), std::memory_order_release);
    }
    const MemoryRegion& r = *pool->region_;
    size_t off = 0;
    for (uint32_t i = 0; i < count; ++i) {
        // A data room is one DMA target: keep it inside one page when pages are not
        // IOVA-contiguous (no-IOMMU physical addresses; buffers never cross a hugepage).
        if (!r.iova_contiguous() && r.page_size() >= stride &&
            off / r.page_size() != (off + stride - 1) / r.page_size()) {
            off = (off / r.page_size() + 1) * r.page_size();
        }
        if (off + stride > r.size()) {
            return make_error("mempool {}: region of {} bytes holds only {} of {} buffers", name,
                              r.size(), i, count);
        }
        PacketBuf& pb = pool->headers_[i];
        pb.storage_ = r.base() + off;
        pb.iova_ = r.iova_at(off);
        pb.pool_id_ = pool->id_;
        pb.index_ = i;
        pb.refcnt_ = 0;
        pb.reset();
        off += stride;
    }
    // Hand out low indices first (better locality in tests and dumps).
    for (uint32_t i = count; i-- > 0;) pool->free_.push_back(i);
    return pool;
}

size_t Mempool::alloc_batch(std::span<PacketBuf*> bufs) noexcept {
    const size_t n = std::min<size_t>(bufs.size(), free_.size());
    for (size_t i = 0; i < n; ++i) {
        PacketBuf* b = &headers_[free_.back()];
        free_.pop_back();
        b->reset();
        b->refcnt_ = 1;
        bufs[i] = b;
    }
    if (n < bufs.size()) ++alloc_failures_;
    return n;
}

PacketBuf* Mempool::alloc() noexcept {
    PacketBuf* b = nullptr;
    alloc_batch({&b, 1});
    return b;
}

PacketBuf* Mempool::resolve(uint32_t handle) noexcept {
    Mempool* p = by_id(static_cast<uint16_t>(handle >> PacketBuf::kIndexBits));
    if (p == nullptr) return nullptr;
    const uint32_t index = handle & ((1u << PacketBuf::kIndexBits) - 1);
    if (index >= p->count_) {
        note_bad_link();
        return nullptr;
    }
    return &p->headers_[index];
}

void Mempool::ref_fault(PacketBuf* buf) noexcept {
    if (buf->refcnt_ == 0) {
        double_frees_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (buf->refcnt_ != PacketBuf::kRefSaturated) {
        buf->refcnt_ = PacketBuf::kRefSaturated;
        saturated_refs_.fetch_add(1, std::memory_order_relaxed);
    }
}

void Mempool::unref_fault(const PacketBuf* buf) noexcept {
    if (buf->refcnt_ == 0) double_frees_.fetch_add(1, std::memory_order_relaxed);
    // A saturated count stays: the buffer was counted (and leaked) when it saturated.
}

void Mempool::unref_batch(std::span<PacketBuf* const> bufs) noexcept {
    for (PacketBuf* b : bufs) b->unref();
}

}  // namespace shunt
