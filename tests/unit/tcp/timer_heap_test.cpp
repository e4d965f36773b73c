// The timer queue (timer_heap.hpp): a min-heap of intrusive nodes whose keys are lower bounds
// of each connection's next deadline. Checked against a plain scan of the same keys.
#include "stack/tcp/timer_heap.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>

namespace shunt::tcp {
namespace {

Instant at_ms(int64_t ms) {
    return Instant(ms * 1'000'000);
}

TEST(TimerHeap, TopIsTheEarliestKey) {
    TimerHeap h;
    h.reserve(4);
    std::array<TimerNode, 4> n{};
    h.arm_by(n[0], at_ms(30));
    h.arm_by(n[1], at_ms(10));
    h.arm_by(n[2], at_ms(20));
    EXPECT_EQ(h.top(), &n[1]);
    h.remove(n[1]);
    EXPECT_FALSE(n[1].queued());
    EXPECT_EQ(h.top(), &n[2]);
    h.remove(n[3]);  // not queued: nothing happens
    EXPECT_EQ(h.size(), 2u);
}

TEST(TimerHeap, ArmByOnlyMovesEarlier) {
    TimerHeap h;
    h.reserve(2);
    std::array<TimerNode, 2> n{};
    h.arm_by(n[0], at_ms(10));
    h.arm_by(n[1], at_ms(20));
    // A later time leaves the key where it was: it stays a lower bound.
    h.arm_by(n[0], at_ms(50));
    EXPECT_EQ(n[0].at, at_ms(10));
    EXPECT_EQ(h.top(), &n[0]);
    // An earlier one moves it (and it overtakes the other node).
    h.arm_by(n[1], at_ms(5));
    EXPECT_EQ(h.top(), &n[1]);
    // set() re-keys exactly, later too.
    h.set(n[1], at_ms(40));
    EXPECT_EQ(h.top(), &n[0]);
    EXPECT_EQ(n[1].at, at_ms(40));
}

TEST(TimerHeap, RandomOperationsAgreeWithAScan) {
    constexpr size_t kNodes = 64;
    std::array<TimerNode, kNodes> n{};
    TimerHeap h;
    h.reserve(kNodes);
    std::mt19937 rng(7);
    for (int step = 0; step < 20000; ++step) {
        TimerNode& x = n[rng() % kNodes];
        const Instant t = at_ms(static_cast<int64_t>(rng() % 1000));
        switch (rng() % 4) {
            case 0:
            case 1:
                h.arm_by(x, t);
                break;
            case 2:
                if (x.queued()) h.set(x, t);
                break;
            default:
                h.remove(x);
        }
        const TimerNode* best = nullptr;
        size_t queued = 0;
        for (const TimerNode& y : n) {
            if (!y.queued()) continue;
            ++queued;
            if (best == nullptr || y.at < best->at) best = &y;
        }
        ASSERT_EQ(h.size(), queued);
        if (best == nullptr) {
            ASSERT_EQ(h.top(), nullptr);
        } else {
            ASSERT_NE(h.top(), nullptr);
            ASSERT_EQ(h.top()->at, best->at);
        }
    }
}

}  // namespace
}  // namespace shunt::tcp
