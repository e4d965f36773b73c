// Packet buffers, pools and chains: ownership, bounds and IOVAs.
#include "driver/nic.hpp"
#include "packet/memory.hpp"
#include "packet/mempool.hpp"
#include "packet/packet_buf.hpp"
#include "packet/packet_chain.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace shunt {
namespace {

std::unique_ptr<Mempool> make_pool(uint32_t n) {
    MemfdProvider memfd;
    auto pool = Mempool::create(memfd, n, "test");
    EXPECT_TRUE(pool.ok()) << (pool.ok() ? "" : pool.error().message);
    return std::move(pool).value();
}

TEST(Mempool, BatchAllocHandsOutDistinctBuffersUntilEmpty) {
    auto pool = make_pool(100);
    std::array<PacketBuf*, 64> a{};
    std::array<PacketBuf*, 64> b{};
    EXPECT_EQ(pool->alloc_batch(a), 64u);
    EXPECT_EQ(pool->alloc_batch(b), 36u);  // only 36 left
    EXPECT_EQ(pool->available(), 0u);
    EXPECT_EQ(pool->alloc(), nullptr);
    EXPECT_EQ(pool->alloc_failures(), 2u);
    std::set<PacketBuf*> seen(a.begin(), a.end());
    seen.insert(b.begin(), b.begin() + 36);
    EXPECT_EQ(seen.size(), 100u);
    Mempool::unref_batch(a);
    Mempool::unref_batch(std::span(b.data(), 36));
    EXPECT_EQ(pool->available(), 100u);
}

TEST(Mempool, FreshBufferIsEmptyWithFullHeadroomAndOneReference) {
    auto pool = make_pool(4);
    PacketBuf* b = pool->alloc();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->length(), 0u);
    EXPECT_EQ(b->headroom(), PacketBuf::kHeadroom);
    EXPECT_EQ(b->tailroom(), PacketBuf::kDataRoom);
    EXPECT_EQ(b->refcount(), 1u);
    EXPECT_EQ(b->pool(), pool.get());
    b->unref();
}

// Only data rooms are in the DMA region: each buffer's headroom + data room is its own slot
// of the region, with the IOVA of that place; the headers are outside the region.
TEST(Mempool, DataRoomsAreInTheRegionAndHeadersAreNot) {
    auto pool = make_pool(8);
    const MemoryRegion& r = pool->region();
    for (uint32_t i = 0; i < pool->capacity(); ++i) {
        PacketBuf* b = pool->buffer_at(i);
        const uint8_t* room = b->rx_area() - PacketBuf::kHeadroom;
        const auto offset = static_cast<size_t>(room - r.base());
        EXPECT_LT(offset + PacketBuf::kStorage, r.size() + 1);
        EXPECT_EQ(offset, i * PacketBuf::kStorage);
        EXPECT_EQ(b->index(), i);
        EXPECT_EQ(b->rx_iova(), r.iova_at(offset) + PacketBuf::kHeadroom);
        // memfd regions are device-less: the IOVA is the virtual address.
        EXPECT_EQ(b->rx_iova(), reinterpret_cast<uint64_t>(b->rx_area()));
        const auto* h = reinterpret_cast<const uint8_t*>(b);
        EXPECT_TRUE(h + sizeof(PacketBuf) <= r.base() || h >= r.base() + r.size())
            << "header " << i << " lies in device-writable memory";
        EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 0u) << "headers are cache-line aligned";
        EXPECT_EQ(reinterpret_cast<uintptr_t>(room) % 64, 0u) << "data rooms too";
    }
    EXPECT_EQ(pool->buffer_at(8), nullptr);
}

// Whatever the device (or a process sharing the region) writes into the data rooms cannot
// steer a buffer's return: the region is scribbled over entirely and every buffer still goes
// home to its pool.
TEST(Mempool, DeviceWritesToTheRegionCannotRedirectBuffers) {
    auto pool = make_pool(16);
    std::array<PacketBuf*, 16> bufs{};
    ASSERT_EQ(pool->alloc_batch(bufs), 16u);
    std::memset(pool->region().base(), 0xA5, pool->region().size());
    Mempool::unref_batch(bufs);
    EXPECT_EQ(pool->available(), 16u);
}

// Links are (pool id, index) handles checked on use: one that names no pool or an index out
// of range is counted and ends the chain instead of being followed.
TEST(Mempool, CorruptedLinksAreCountedAndRefused) {
    auto pool = make_pool(4);
    PacketBuf* a = pool->alloc();
    PacketBuf* b = pool->alloc();
    a->set_next(b);
    EXPECT_EQ(a->next(), b);
    EXPECT_EQ(b->pool(), pool.get());
    const uint64_t before = Mempool::bad_links();
    // An index past the pool's end, in this pool.
    const uint32_t bad_index = uint32_t{pool->id()} << PacketBuf::kIndexBits | 1000;
    EXPECT_EQ(Mempool::resolve(bad_index), nullptr);
    // A pool id nobody has.
    const uint32_t bad_pool = (Mempool::kMaxPools - 1) << PacketBuf::kIndexBits;
    EXPECT_EQ(Mempool::resolve(bad_pool), nullptr);
    EXPECT_EQ(Mempool::by_id(Mempool::kMaxPools + 5), nullptr);
    EXPECT_EQ(Mempool::bad_links(), before + 3);
    // A handle made from a real buffer resolves to it.
    EXPECT_EQ(Mempool::resolve(b->handle()), b);
    a->set_next(nullptr);
    a->unref();
    b->unref();
    EXPECT_EQ(pool->available(), 4u);
}

// A double free is refused and counted in every build (not only by assert): the buffer goes
// home once, and the pool never hands it out twice.
TEST(Mempool, DoubleFreeIsRefusedAndCounted) {
    auto pool = make_pool(4);
    PacketBuf* a = pool->alloc();
    const uint64_t before = Mempool::double_frees();
    a->unref();
    EXPECT_EQ(pool->available(), 4u);
    a->unref();  // the bug: a second release
    a->ref();    // and a reference taken on a free buffer
    EXPECT_EQ(Mempool::double_frees(), before + 2);
    EXPECT_EQ(pool->available(), 4u);
    EXPECT_EQ(a->refcount(), 0u);
    std::array<PacketBuf*, 4> all{};
    ASSERT_EQ(pool->alloc_batch(all), 4u);
    std::sort(all.begin(), all.end());
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "handed out twice";
    Mempool::unref_batch(all);
    EXPECT_EQ(pool->available(), 4u);
}

// A reference count that would overflow saturates: the buffer is leaked (counted), never
// freed while references remain.
TEST(Mempool, ReferenceCountSaturatesInsteadOfWrapping) {
    auto pool = make_pool(2);
    PacketBuf* a = pool->alloc();
    const uint64_t before = Mempool::saturated_refs();
    for (uint32_t i = 1; i < PacketBuf::kRefSaturated - 1u; ++i) a->ref();
    EXPECT_EQ(a->refcount(), PacketBuf::kRefSaturated - 1u);
    EXPECT_EQ(Mempool::saturated_refs(), before);
    a->ref();  // would reach the top: sticks there instead
    a->ref();
    EXPECT_EQ(a->refcount(), PacketBuf::kRefSaturated);
    EXPECT_EQ(Mempool::saturated_refs(), before + 1);
    for (uint32_t i = 0; i < 70000; ++i) a->unref();  // more releases than there could be
    EXPECT_EQ(a->refcount(), PacketBuf::kRefSaturated);
    EXPECT_EQ(pool->available(), 1u) << "a saturated buffer is never returned";
}

// A pool's id is freed with it and reused; a buffer of a dead pool resolves to nothing.
TEST(Mempool, PoolIdsAreUniqueWhileAlive) {
    auto p1 = make_pool(1);
    auto p2 = make_pool(1);
    EXPECT_NE(p1->id(), p2->id());
    EXPECT_EQ(Mempool::by_id(p1->id()), p1.get());
    const uint16_t id2 = p2->id();
    p2.reset();
    const uint64_t before = Mempool::bad_links();
    EXPECT_EQ(Mempool::by_id(id2), nullptr);
    EXPECT_EQ(Mempool::bad_links(), before + 1);
}

TEST(Mempool, ZeroBuffersIsAnError) {
    MemfdProvider memfd;
    auto pool = Mempool::create(memfd, 0, "empty");
    ASSERT_FALSE(pool.ok());
    EXPECT_NE(pool.error().message.find("at least one"), std::string::npos);
}

TEST(PacketBuf, PrependAndTrimRespectBounds) {
    auto pool = make_pool(1);
    Packet p(pool->alloc());
    uint8_t* payload = p->append(100);
    ASSERT_NE(payload, nullptr);
    payload[0] = 0xab;
    uint8_t* hdr = p->prepend(20);
    ASSERT_EQ(hdr + 20, payload);
    EXPECT_EQ(p->length(), 120u);
    EXPECT_EQ(p->headroom(), PacketBuf::kHeadroom - 20);
    EXPECT_EQ(p->prepend(PacketBuf::kHeadroom), nullptr) << "more than the headroom left";
    EXPECT_EQ(p->length(), 120u) << "a failed prepend changes nothing";
    EXPECT_TRUE(p->trim_front(20));
    EXPECT_EQ(p->data()[0], 0xab);
    EXPECT_FALSE(p->trim_front(101));
    EXPECT_FALSE(p->trim_back(101));
    EXPECT_EQ(p->append(p->tailroom() + 1), nullptr);
    EXPECT_NE(p->append(p->tailroom()), nullptr);
    EXPECT_EQ(p->tailroom(), 0u);
}

TEST(PacketBuf, DataIovaFollowsTheDataPointer) {
    auto pool = make_pool(1);
    Packet p(pool->alloc());
    p->set_received(60);
    EXPECT_EQ(p->data_iova(), p->rx_iova());
    p->trim_front(14);
    EXPECT_EQ(p->data_iova(), p->rx_iova() + 14);
    EXPECT_EQ(p->data_iova(), reinterpret_cast<uint64_t>(p->data()));
}

TEST(Packet, LastOwnerReturnsTheBufferToItsPool) {
    auto pool = make_pool(2);
    {
        Packet a(pool->alloc());
        Packet b = a.share();
        EXPECT_EQ(a->refcount(), 2u);
        EXPECT_EQ(pool->available(), 1u);
        a.reset();
        EXPECT_EQ(pool->available(), 1u) << "b still owns it";
        Packet c = std::move(b);
        EXPECT_FALSE(b);
        EXPECT_EQ(c->refcount(), 1u);
    }
    EXPECT_EQ(pool->available(), 2u);
}

TEST(PacketChain, KeepsOrderAndReleasesEverything) {
    auto pool = make_pool(8);
    {
        PacketChain chain;
        for (int i = 0; i < 5; ++i) {
            Packet p(pool->alloc());
            p->append(static_cast<size_t>(10 * (i + 1)))[0] = static_cast<uint8_t>(i);
            chain.push_back(std::move(p));
        }
        EXPECT_EQ(chain.count(), 5u);
        EXPECT_EQ(chain.byte_length(), 150u);
        Packet first = chain.pop_front();
        EXPECT_EQ(first->data()[0], 0);
        PacketChain other;
        other.push_back(std::move(first));
        other.append(std::move(chain));
        EXPECT_TRUE(chain.empty());
        int expect = 0;
        for (PacketBuf* b : other) EXPECT_EQ(b->data()[0], expect++);
        EXPECT_EQ(expect, 5);
        EXPECT_EQ(pool->available(), 3u);
    }
    EXPECT_EQ(pool->available(), 8u);
}

// A Nic that records when it is stopped and destroyed, for NicSet's ordering.
class RecordingNic final : public Nic {
  public:
    RecordingNic(std::string name, std::vector<std::string>& log)
        : name_(std::move(name)), log_(log) {}
    ~RecordingNic() override { log_.push_back("destroy " + name_); }
    std::string name() const override { return name_; }
    std::string driver() const override { return "recording"; }
    MacAddr mac() const override { return {}; }
    uint16_t mtu() const override { return 1500; }
    LinkStatus link() override { return {}; }
    uint16_t queue_count() const override { return 1; }
    NicCaps caps() const override { return {}; }
    NicCounters counters() override { return {}; }
    size_t rx_batch(uint16_t, std::span<PacketBuf*>) noexcept override { return 0; }
    size_t tx_batch(uint16_t, std::span<PacketBuf*>) noexcept override { return 0; }
    int wait_fd(uint16_t) const override { return -1; }
    Mempool& tx_pool(uint16_t) override { std::abort(); }  // never called here
    void stop() noexcept override { log_.push_back("stop " + name_); }

  private:
    std::string name_;
    std::vector<std::string>& log_;
};

TEST(NicSet, StopsEveryNicBeforeDestroyingAny) {
    std::vector<std::string> log;
    {
        std::vector<std::unique_ptr<Nic>> nics;
        nics.push_back(std::make_unique<RecordingNic>("a", log));
        nics.push_back(std::make_unique<RecordingNic>("b", log));
        NicSet set(std::move(nics));
        ASSERT_EQ(set.size(), 2u);
        EXPECT_EQ(set[1].name(), "b");
        NicSet moved = std::move(set);  // the moved-from set owns nothing and stops nothing
    }
    EXPECT_EQ(log, (std::vector<std::string>{"stop a", "stop b", "destroy a", "destroy b"}));
}

}  // namespace
}  // namespace shunt
