// The send queue's ring: small while idle, doubling on the application's send path up to its
// maximum, entries kept in sequence order across the growth and the ring's wrap.
#include "stack/tcp/send_queue.hpp"
#include "packet/memory.hpp"
#include "packet/mempool.hpp"

#include <gtest/gtest.h>

#include <random>

namespace shunt::tcp {
namespace {

class SendQueueTest : public ::testing::Test {
  protected:
    Packet buf(uint16_t len) {
        Packet p(pool_->alloc());
        p->append(len);
        return p;
    }
    std::unique_ptr<Mempool> pool_ = [] {
        MemfdProvider memfd;
        return Mempool::create(memfd, 256, "sendq").value();
    }();
};

TEST_F(SendQueueTest, StartsSmallAndDoublesUpToItsMaximum) {
    SendQueue q(100);
    EXPECT_EQ(q.slots(), SendQueue::kInitialSlots);
    SeqNum seq(4000000000u);  // wraps while filling
    for (uint32_t i = 0; i < 100; ++i) {
        ASSERT_FALSE(q.full());
        ASSERT_TRUE(q.push(buf(static_cast<uint16_t>(10 + i)), seq));
        seq += 10 + i;
    }
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.slots(), 100u);  // 8, 16, 32, 64, then capped at 100
    EXPECT_FALSE(q.push(buf(1), seq));
    SeqNum expect(4000000000u);
    for (uint32_t i = 0; i < 100; ++i) {
        EXPECT_EQ(q.at(i).seq, expect);
        EXPECT_EQ(q.at(i).len, 10 + i);
        expect += 10 + i;
    }
    EXPECT_EQ(pool_->available(), pool_->capacity() - 100);
}

TEST_F(SendQueueTest, GrowthAfterTheRingWrappedKeepsTheOrder) {
    SendQueue q(64);
    SeqNum seq(1);
    for (int i = 0; i < 8; ++i) {
        q.push(buf(100), seq);
        seq += 100;
    }
    EXPECT_EQ(q.ack_to(SeqNum(1 + 500)), 500u);  // head moves to slot 5
    for (int i = 0; i < 12; ++i) {               // wraps, then grows past 8 slots
        q.push(buf(100), seq);
        seq += 100;
    }
    ASSERT_EQ(q.size(), 15u);
    EXPECT_EQ(q.slots(), 16u);
    for (uint32_t i = 0; i < q.size(); ++i) EXPECT_EQ(q.at(i).seq, SeqNum(501 + 100 * i));
    EXPECT_EQ(q.find(SeqNum(501 + 100 * 14 + 99)), 14u);
    q.clear();
    EXPECT_EQ(pool_->available(), pool_->capacity());
}

TEST_F(SendQueueTest, FindAgreesWithAScanWhileTheQueueMoves) {
    // find() starts from the entry it found last; pushes, partial and whole ACKs and the
    // ring's growth must never make it answer wrongly.
    SendQueue q(64);
    std::mt19937 gen(3);
    auto rng = [&gen] { return static_cast<uint32_t>(gen()); };
    SeqNum una(4294960000u);  // wraps on the way
    SeqNum end = una;
    for (int step = 0; step < 5000; ++step) {
        const uint32_t r = rng() % 10;
        if (r < 4 && !q.full() && pool_->available() > 0) {
            const auto len = static_cast<uint16_t>(1 + rng() % 1400);
            ASSERT_TRUE(q.push(buf(len), end));
            end += len;
        } else if (r < 6 && end > una) {
            una += 1 + rng() % static_cast<uint32_t>(end - una);
            q.ack_to(una);
        } else if (end > una) {
            const SeqNum seq = una + rng() % static_cast<uint32_t>(end - una);
            size_t want = q.size();
            for (size_t i = 0; i < q.size(); ++i) {
                if (seq_in_window(seq, q.at(i).seq, q.at(i).len)) want = i;
            }
            ASSERT_EQ(q.find(seq), want) << "step " << step;
            ASSERT_LT(want, q.size());
        }
        ASSERT_EQ(q.find(end), q.size());  // one past the end is in no entry
    }
    q.clear();
    EXPECT_EQ(pool_->available(), pool_->capacity());
}

}  // namespace
}  // namespace shunt::tcp
