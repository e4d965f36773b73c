// The attach rings and region (lib/attach/): SPSC wrap-around, full and empty, the other
// side's impossible indices reported as corrupt (never followed), the region's layout and
// seals, the app's check of the header, and the daemon's bound check of (room, len).
#include "lib/attach/region.hpp"
#include "lib/attach/ring.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace shunt::attach {
namespace {

struct Entry {
    uint32_t a;
    uint32_t b;
};

struct Ring {
    explicit Ring(uint32_t cap)
        : slots(cap), prod(&control, slots.data(), cap), cons(&control, slots.data(), cap) {}
    RingControl control{};
    std::vector<Entry> slots;
    RingProducer<Entry> prod;
    RingConsumer<Entry> cons;
};

TEST(AttachRing, FillsEmptiesAndWrapsManyTimes) {
    Ring r(8);
    Entry e{};
    EXPECT_EQ(r.cons.pop(e), RingStatus::empty);
    uint32_t next_in = 0, next_out = 0;
    for (int round = 0; round < 100; ++round) {
        // Fill to capacity, one more is full.
        for (int i = 0; i < 8; ++i) ASSERT_EQ(r.prod.push({next_in++, 7}), RingStatus::ok);
        EXPECT_EQ(r.prod.push({999, 0}), RingStatus::full);
        // Take some (3 or 5), keeping the indices moving through the wrap.
        const int take = round % 2 == 0 ? 3 : 8;
        for (int i = 0; i < take; ++i) {
            ASSERT_EQ(r.cons.pop(e), RingStatus::ok);
            ASSERT_EQ(e.a, next_out++);
        }
        for (int i = take; i < 8; ++i) {
            ASSERT_EQ(r.cons.pop(e), RingStatus::ok);
            ASSERT_EQ(e.a, next_out++);
        }
        EXPECT_EQ(r.cons.pop(e), RingStatus::empty);
    }
    EXPECT_EQ(next_in, 800u);
}

TEST(AttachRing, IndicesNearUint32WrapStillWork) {
    RingControl control{};
    control.produced.store(0xfffffffc);
    control.consumed.store(0xfffffffc);
    std::vector<Entry> slots(4);
    RingProducer<Entry> prod(&control, slots.data(), 4);
    RingConsumer<Entry> cons(&control, slots.data(), 4);
    for (uint32_t i = 0; i < 20; ++i) {
        ASSERT_EQ(prod.push({i, 0}), RingStatus::ok);
        Entry e{};
        ASSERT_EQ(cons.pop(e), RingStatus::ok);
        EXPECT_EQ(e.a, i);
    }
    EXPECT_EQ(control.produced.load(), 0xfffffffcu + 20);  // wrapped past zero
}

TEST(AttachRing, ConsumerRejectsAProducerIndexBeyondCapacity) {
    Ring r(8);
    ASSERT_EQ(r.prod.push({1, 0}), RingStatus::ok);
    // A hostile producer claims 9 entries in a ring of 8: never followed.
    r.control.produced.store(9);
    Entry e{};
    EXPECT_EQ(r.cons.pop(e), RingStatus::corrupt);
    uint32_t n = 0;
    EXPECT_EQ(r.cons.pending(n), RingStatus::corrupt);
    // Going backwards (below what was already accepted) is as impossible.
    Ring back(8);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(back.prod.push({1, 0}), RingStatus::ok);
    ASSERT_EQ(back.cons.pending(n), RingStatus::ok);
    EXPECT_EQ(n, 4u);
    back.control.produced.store(2);
    EXPECT_EQ(back.cons.pending(n), RingStatus::corrupt);
    back.control.produced.store(0xffffffff);
    // The 4 entries already accepted are still read; the next look at the index fails.
    for (int i = 0; i < 4; ++i) EXPECT_EQ(back.cons.pop(e), RingStatus::ok);
    EXPECT_EQ(back.cons.pop(e), RingStatus::corrupt);
}

TEST(AttachRing, ProducerRejectsAConsumerIndexAheadOfWhatWasWritten) {
    Ring r(8);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(r.prod.push({1, 0}), RingStatus::ok);
    uint32_t free = 0;
    ASSERT_EQ(r.prod.space(free), RingStatus::ok);
    EXPECT_EQ(free, 5u);
    r.control.consumed.store(4);  // read 4 of 3 written
    EXPECT_EQ(r.prod.space(free), RingStatus::corrupt);
    r.control.consumed.store(0xfffffff0);
    EXPECT_EQ(r.prod.space(free), RingStatus::corrupt);
    // A full ring whose consumer lies is corrupt, not "free".
    Ring f(4);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(f.prod.push({1, 0}), RingStatus::ok);
    f.control.consumed.store(100);
    EXPECT_EQ(f.prod.push({1, 0}), RingStatus::corrupt);
}

TEST(AttachRing, AnEntryIsReadOnceIntoTheCallersCopy) {
    Ring r(4);
    ASSERT_EQ(r.prod.push({42, 43}), RingStatus::ok);
    Entry e{};
    ASSERT_EQ(r.cons.pop(e), RingStatus::ok);
    r.slots[0] = Entry{0, 0};  // the other side rewrites the slot afterwards
    EXPECT_EQ(e.a, 42u);
    EXPECT_EQ(e.b, 43u);
}

TEST(AttachRing, SleepFlagPairsWithTheProducersCheck) {
    Ring r(4);
    EXPECT_FALSE(r.prod.consumer_sleeping());
    ASSERT_TRUE(r.cons.prepare_sleep());  // empty: may sleep, flag up
    EXPECT_TRUE(r.prod.consumer_sleeping());
    r.cons.woke();
    EXPECT_FALSE(r.prod.consumer_sleeping());
    ASSERT_EQ(r.prod.push({1, 0}), RingStatus::ok);
    EXPECT_FALSE(r.cons.prepare_sleep());  // an entry is there: do not sleep
    EXPECT_FALSE(r.prod.consumer_sleeping());
}

TEST(AttachRegion, LayoutIsCheckedAndAligned) {
    Layout bad;
    bad.command_capacity = 100;
    EXPECT_FALSE(bad.compute().ok());
    Layout zero;
    zero.room_count = 0;
    EXPECT_FALSE(zero.compute().ok());
    Layout huge;
    huge.room_count = 1u << 20;  // 2 GiB of rooms
    EXPECT_FALSE(huge.compute().ok());
    Layout l;
    ASSERT_TRUE(l.compute().ok());
    EXPECT_EQ(l.command_offset % kCacheLine, 0u);
    EXPECT_EQ(l.completion_offset % kCacheLine, 0u);
    EXPECT_EQ(l.rooms_offset % 4096, 0u);
    EXPECT_GE(l.completion_offset,
              l.command_offset + sizeof(RingControl) + l.command_capacity * sizeof(Command));
    EXPECT_GE(l.region_bytes, l.rooms_offset + l.room_count * kRoomSize);
}

TEST(AttachRegion, AppMapsTheDaemonsRegionAndSharesItsRings) {
    auto daemon = Region::create(Layout{});
    ASSERT_TRUE(daemon.ok()) << daemon.error().message;
    const int dup = ::fcntl((*daemon)->fd(), F_DUPFD_CLOEXEC, 0);
    auto app = Region::map(dup);
    ASSERT_TRUE(app.ok()) << app.error().message;
    EXPECT_EQ((*app)->layout().rooms_offset, (*daemon)->layout().rooms_offset);
    RingProducer<Command> prod((*app)->command_control(), (*app)->command_slots(),
                               (*app)->layout().command_capacity);
    RingConsumer<Command> cons((*daemon)->command_control(), (*daemon)->command_slots(),
                               (*daemon)->layout().command_capacity);
    Command c{};
    c.seq = 5;
    c.op = 3;
    ASSERT_EQ(prod.push(c), RingStatus::ok);
    Command got{};
    ASSERT_EQ(cons.pop(got), RingStatus::ok);
    EXPECT_EQ(got.seq, 5u);
    std::memcpy((*app)->rooms(3, 5), "hello", 5);
    EXPECT_EQ(std::memcmp((*daemon)->rooms(3, 5), "hello", 5), 0);
}

TEST(AttachRegion, TheAppCannotShrinkOrGrowIt) {
    auto daemon = Region::create(Layout{});
    ASSERT_TRUE(daemon.ok());
    // What a hostile app would try with its copy of the fd (same file): refused by the seals.
    EXPECT_LT(::ftruncate((*daemon)->fd(), 4096), 0);
    EXPECT_LT(::ftruncate((*daemon)->fd(), 512 << 20), 0);
    EXPECT_LT(::fcntl((*daemon)->fd(), F_ADD_SEALS, F_SEAL_WRITE), 0);  // F_SEAL_SEAL
}

TEST(AttachRegion, MapRejectsAForeignOrLyingHeader) {
    // Not a region at all: too small.
    int fd = ::memfd_create("t", MFD_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 16), 0);
    EXPECT_FALSE(Region::map(fd).ok());
    // A real header whose room count claims more than the file holds.
    auto daemon = Region::create(Layout{});
    ASSERT_TRUE(daemon.ok());
    RegionHeader h{};
    std::memcpy(&h, (*daemon)->base(), sizeof h);
    h.room_count *= 4;
    std::memcpy((*daemon)->base(), &h, sizeof h);
    EXPECT_FALSE(Region::map(::fcntl((*daemon)->fd(), F_DUPFD_CLOEXEC, 0)).ok());
    // A wrong magic.
    h.room_count /= 4;
    h.magic ^= 1;
    std::memcpy((*daemon)->base(), &h, sizeof h);
    EXPECT_FALSE(Region::map(::fcntl((*daemon)->fd(), F_DUPFD_CLOEXEC, 0)).ok());
}

TEST(AttachRegion, RoomsOutsideTheRegionAreRefused) {
    auto r = Region::create(Layout{});
    ASSERT_TRUE(r.ok());
    const uint32_t n = (*r)->layout().room_count;
    EXPECT_NE((*r)->rooms(0, kMaxIo), nullptr);
    EXPECT_NE((*r)->rooms(n - 1, kRoomSize), nullptr);
    EXPECT_EQ((*r)->rooms(n - 1, kRoomSize + 1), nullptr);  // runs off the end
    EXPECT_EQ((*r)->rooms(n, 0), nullptr);
    EXPECT_EQ((*r)->rooms(0xffffffff, 1), nullptr);
    EXPECT_EQ((*r)->rooms(0, kMaxIo + 1), nullptr);  // above one command's bound
    EXPECT_EQ((*r)->rooms(0, 0xffffffff), nullptr);
}

}  // namespace
}  // namespace shunt::attach
