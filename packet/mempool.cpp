#include "packet/mempool.hpp"

#include "packet/packet_buf.hpp"

#include <algorithm>

namespace shunt {

Mempool::Mempool(std::unique_ptr<MemoryRegion> region) : region_(std::move(region)) {}

Mempool::~Mempool() = default;

Result<std::unique_ptr<Mempool>> Mempool::create(MemoryProvider& provider, uint32_t count,
                                                 const std::string& name) {
    if (count == 0) return make_error("mempool {}: a pool needs at least one buffer", name);
    constexpr size_t stride = sizeof(PacketBuf);
    // Worst case each page wastes up to one stride when buffers may not cross pages.
    size_t bytes = size_t{count} * stride;
    auto region = provider.allocate(bytes + bytes / 8 + stride, name);
    if (!region) return region.error();
    std::unique_ptr<Mempool> pool(new Mempool(std::move(region).value()));
    const MemoryRegion& r = *pool->region_;

    pool->slots_.reserve(count);
    pool->free_.reserve(count);
    size_t off = 0;
    while (pool->slots_.size() < count) {
        // A buffer is one DMA target: keep it inside one page when pages are not
        // IOVA-contiguous (no-IOMMU physical addresses; buffers never cross a hugepage).
        if (!r.iova_contiguous() && r.page_size() >= stride &&
            off / r.page_size() != (off + stride - 1) / r.page_size()) {
            off = (off / r.page_size() + 1) * r.page_size();
        }
        if (off + stride > r.size()) {
            return make_error("mempool {}: region of {} bytes holds only {} of {} buffers", name,
                              r.size(), pool->slots_.size(), count);
        }
        // PacketBuf is an implicit-lifetime type: mmap'd memory holds it without a constructor.
        auto* pb = reinterpret_cast<PacketBuf*>(r.base() + off);
        pb->iova_ = r.iova_at(off);
        pb->pool_ = pool.get();
        pb->index_ = static_cast<uint32_t>(pool->slots_.size());
        pb->refcnt_ = 0;
        pb->reset();
        pool->slots_.push_back(pb);
        off += stride;
    }
    // Hand out low indices first (better locality in tests and dumps).
    for (uint32_t i = count; i-- > 0;) pool->free_.push_back(i);
    return pool;
}

size_t Mempool::alloc_batch(std::span<PacketBuf*> bufs) noexcept {
    size_t n = std::min(bufs.size(), free_.size());
    for (size_t i = 0; i < n; ++i) {
        PacketBuf* b = slots_[free_.back()];
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

void Mempool::put(PacketBuf* buf) noexcept {
    free_.push_back(buf->index_);
}

void Mempool::unref_batch(std::span<PacketBuf* const> bufs) noexcept {
    for (PacketBuf* b : bufs) b->unref();
}

}  // namespace shunt
