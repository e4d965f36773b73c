// The buffer budget (issue 11; stack/iface/buffer_budget.hpp, stack/tcp/tcp_budget.cpp): its
// arithmetic, the receive queue's coalescing and prune order, out-of-order bounds across the
// stack, the window under pressure, the zero-window abort, and the right-edge ACK.
#include "tcp_fixture.hpp"

#include "stack/iface/buffer_budget.hpp"
#include "stack/tcp/recv_queue.hpp"

#include <vector>

namespace shunt::tcp::test {
namespace {

std::unique_ptr<Mempool> make_pool(uint32_t n) {
    MemfdProvider memfd;
    return Mempool::create(memfd, n, "budget-test").value();
}

// Takes buffers from the pool until only `leave` are free (a hog: the driver's ring, other
// holders).
std::vector<Packet> hog(Mempool& pool, uint32_t leave) {
    std::vector<Packet> held;
    while (pool.available() > leave) held.emplace_back(pool.alloc());
    return held;
}

PacketChain bytes_chain(Mempool& pool, size_t n, uint8_t fill) {
    Packet p(pool.alloc());
    std::memset(p->append(n), fill, n);
    return PacketChain(std::move(p));
}

TEST(BufferBudget, ReserveSharesAndPressureFollowThePool) {
    auto pool = make_pool(1000);
    BudgetConfig c;  // reserve 10 %, pressure 25 %
    BufferBudget b(*pool, c);
    EXPECT_EQ(b.capacity(), 1000u);
    EXPECT_EQ(b.reserve(), 100u);
    EXPECT_EQ(b.pressure_level(), 250u);
    EXPECT_EQ(b.share(10), 90u);  // of the 900 the reserve leaves
    EXPECT_EQ(b.share(0), SIZE_MAX);
    EXPECT_TRUE(b.can_take(900));
    EXPECT_FALSE(b.can_take(901));
    auto held = hog(*pool, 249);
    EXPECT_TRUE(b.under_pressure());
    EXPECT_TRUE(b.reserve_intact());
    held.resize(held.size() - 1);  // 250 free: the pressure level itself is not pressure
    EXPECT_FALSE(b.under_pressure());
    auto more = hog(*pool, 99);
    EXPECT_FALSE(b.reserve_intact());
    EXPECT_FALSE(b.can_take(0));
}

TEST(BufferBudget, ReserveHasAFloorOnSmallPools) {
    auto pool = make_pool(40);
    BufferBudget b(*pool, BudgetConfig{});
    EXPECT_EQ(b.reserve(), 10u);  // min(16, 40 / 4), above 10 % of 40
}

TEST(BufferBudget, ExhaustionIsOneEpisodeUntilThePoolRecovers) {
    auto pool = make_pool(100);
    BufferBudget b(*pool, BudgetConfig{});
    EXPECT_FALSE(b.observe());
    auto all = hog(*pool, 0);
    EXPECT_EQ(pool->alloc(), nullptr);
    EXPECT_TRUE(b.observe());  // the episode starts: logged once
    EXPECT_FALSE(b.observe());
    EXPECT_EQ(pool->alloc(), nullptr);
    EXPECT_FALSE(b.observe());  // still the same episode
    all.resize(50);             // 50 free: above the pressure level (25)
    EXPECT_FALSE(b.observe());
    EXPECT_FALSE(b.exhausted());
    auto again = hog(*pool, 0);
    EXPECT_TRUE(b.observe());  // a second episode
    EXPECT_EQ(b.counters().exhaustion_episodes, 2u);
    EXPECT_GE(b.counters().pressure_episodes, 2u);
}

// Turned off (shuntd --no-buffer-budget): no reserve, no shares, never pressure; an empty
// pool is still one logged episode, not one per refused allocation (the first try of
// netns.tcp_ooo_flood without the budget logged it on every poll).
TEST(BufferBudget, DisabledHasNoBoundsButStillOneEpisode) {
    auto pool = make_pool(100);
    BudgetConfig c;
    c.enabled = false;
    BufferBudget b(*pool, c);
    EXPECT_FALSE(b.enabled());
    EXPECT_EQ(b.reserve(), 0u);
    EXPECT_EQ(b.share(10), SIZE_MAX);
    auto all = hog(*pool, 0);
    EXPECT_FALSE(b.under_pressure());
    EXPECT_TRUE(b.reserve_intact());
    EXPECT_TRUE(b.observe());
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(pool->alloc(), nullptr);
        all.pop_back();  // one comes back, one is refused again: still the same episode
        all.emplace_back(pool->alloc());
        EXPECT_FALSE(b.observe());
    }
    all.resize(50);  // back above 25 free: the episode ends
    EXPECT_FALSE(b.observe());
    EXPECT_FALSE(b.exhausted());
    EXPECT_EQ(b.counters().exhaustion_episodes, 1u);
}

TEST(RecvQueueBudget, SmallInOrderSegmentsShareOneBuffer) {
    auto pool = make_pool(256);
    uint64_t coalesced = 0;
    size_t ooo_total = 0;
    {
        RecvQueue q(64);
        q.set_shared_counts(&ooo_total, &coalesced);
        for (int i = 0; i < 100; ++i) q.push_in_order(bytes_chain(*pool, 1, uint8_t(i)));
        EXPECT_EQ(q.readable_bytes(), 100u);
        EXPECT_EQ(q.buffers(), 1u);  // one buffer, not 100
        EXPECT_EQ(coalesced, 99u);
        EXPECT_EQ(pool->available(), 255u);
        std::array<uint8_t, 100> out{};
        ASSERT_EQ(q.copy_out(out), 100u);
        for (int i = 0; i < 100; ++i) EXPECT_EQ(out[size_t(i)], uint8_t(i));
        // A full-sized segment is not copied.
        q.push_in_order(bytes_chain(*pool, 1, 1));
        q.push_in_order(bytes_chain(*pool, 1400, 2));
        EXPECT_EQ(q.buffers(), 2u);
    }
    EXPECT_EQ(pool->available(), 256u);
}

TEST(RecvQueueBudget, ContiguousOutOfOrderSegmentsCoalesceOthersDoNot) {
    auto pool = make_pool(256);
    size_t ooo_total = 0;
    {
        RecvQueue q(64);
        q.set_shared_counts(&ooo_total, nullptr);
        const SeqNum base(5000);
        for (uint32_t i = 0; i < 10; ++i) {
            ASSERT_EQ(q.insert_ooo(base + 10 + i, bytes_chain(*pool, 1, uint8_t('a' + i))),
                      RecvQueue::OooResult::stored);
        }
        EXPECT_EQ(q.ooo_count(), 1u);
        EXPECT_EQ(q.ooo_buffers(), 1u);
        EXPECT_EQ(ooo_total, 1u);
        // With gaps, each holds its own buffer.
        for (uint32_t i = 0; i < 10; ++i) {
            q.insert_ooo(base + 100 + 2 * i, bytes_chain(*pool, 1, 'z'));
        }
        EXPECT_EQ(q.ooo_buffers(), 11u);
        EXPECT_EQ(ooo_total, 11u);
        // Filling the hole delivers the coalesced run, bytes in order.
        q.push_in_order(bytes_chain(*pool, 10, '.'));
        EXPECT_EQ(q.drain_ooo(base + 10), base + 20);
        EXPECT_EQ(ooo_total, 10u);
        std::array<uint8_t, 20> out{};
        ASSERT_EQ(q.copy_out(out), 20u);
        EXPECT_EQ(std::string(out.begin() + 10, out.end()), "abcdefghij");
    }
    EXPECT_EQ(ooo_total, 0u);  // the destructor gives the stack's count back
    EXPECT_EQ(pool->available(), 256u);
}

TEST(RecvQueueBudget, PruneDropsTheHighestSequenceFirstAndKeepsWhatIsBelow) {
    auto pool = make_pool(64);
    RecvQueue q(64);
    const SeqNum base(100);
    for (uint32_t s : {10u, 40u, 20u, 30u}) q.insert_ooo(base + s, bytes_chain(*pool, 5, 1));
    EXPECT_EQ(q.ooo_count(), 4u);
    EXPECT_EQ(q.prune_ooo(2, base), 2u);
    ASSERT_EQ(q.ooo_count(), 2u);
    EXPECT_EQ(q.ooo_last_seq(), base + 20);  // 40 and 30 went
    // Nothing at or below keep_below goes.
    EXPECT_EQ(q.prune_ooo(10, base + 10), 1u);
    ASSERT_EQ(q.ooo_count(), 1u);
    EXPECT_EQ(q.ooo_last_seq(), base + 10);
    q.clear();
    EXPECT_EQ(pool->available(), 64u);
}

class TcpBudgetTest : public TcpTest {
  protected:
    TcpBudgetTest() {
        SocketOptions o = plain_options();
        o.ooo_max_segments = 1000;  // the per-socket segment bound out of the way
        make_stack(o);
    }
};

// Issue 11's flood, in small: one-byte out-of-order segments with gaps between them. The
// stack-wide out-of-order share bounds what they hold; the rest is dropped and counted.
TEST_F(TcpBudgetTest, OutOfOrderFloodIsBoundedByTheStacksShare) {
    BudgetConfig c;
    c.tcp_ooo_percent = 1;  // (8192 - 819) / 100 = 73 buffers
    out_.enable_budget(c);
    TcpSocket* s = connect_established();
    ASSERT_NE(s, nullptr);
    const size_t share = out_.budget()->share(1);
    ASSERT_EQ(share, 73u);
    const uint32_t before = out_.pool().available();
    for (uint32_t i = 0; i < 200; ++i) {
        send(peer(0, remote_seq_ + 2 + 2 * i, local_seq_).data("x"));
    }
    sent();
    EXPECT_EQ(s->ooo_buffers(), share);
    EXPECT_EQ(stack_->ooo_buffers_held(), share);
    EXPECT_EQ(drops(DropReason::ooo_budget), 200u - share);
    EXPECT_EQ(before - out_.pool().available(), share);
    // A segment below the highest held one takes the place of the highest (newest first).
    send(peer(0, remote_seq_ + 1, local_seq_).data("y"));
    EXPECT_EQ(drops(DropReason::ooo_pruned), 1u);
    EXPECT_EQ(s->ooo_buffers(), share);
    // The first hole filled: "a", "y" and the first "x" become readable (copied into one
    // buffer: each is small), and their buffers leave the out-of-order count.
    send(peer(0, remote_seq_, local_seq_).data("a"));
    EXPECT_EQ(s->readable_bytes(), 3u);
    EXPECT_EQ(stack_->ooo_buffers_held(), share - 2);
    EXPECT_EQ(s->rx_buffers(), 1u + share - 2);
}

TEST_F(TcpBudgetTest, WithoutABudgetTheFloodHoldsABufferPerByte) {
    TcpSocket* s = connect_established();
    ASSERT_NE(s, nullptr);
    for (uint32_t i = 0; i < 200; ++i) {
        send(peer(0, remote_seq_ + 2 + 2 * i, local_seq_).data("x"));
    }
    EXPECT_EQ(s->ooo_buffers(), 200u);  // what the budget is for
}

// Under pressure out-of-order data is not held, and the resource manager releases what is.
TEST_F(TcpBudgetTest, PressurePrunesOutOfOrderData) {
    out_.enable_budget(BudgetConfig{});
    TcpSocket* s = connect_established();
    ASSERT_NE(s, nullptr);
    for (uint32_t i = 0; i < 20; ++i) {
        send(peer(0, remote_seq_ + 2 + 2 * i, local_seq_).data("x"));
    }
    EXPECT_EQ(s->ooo_buffers(), 20u);
    auto held = hog(out_.pool(), out_.budget()->pressure_level() - 10);
    send(peer(0, remote_seq_ + 100, local_seq_).data("x"));
    EXPECT_EQ(drops(DropReason::ooo_budget), 1u);
    advance(std::chrono::milliseconds(1));  // timers: the resource manager runs
    EXPECT_EQ(s->ooo_buffers(), 0u);
    EXPECT_EQ(drops(DropReason::ooo_pruned), 20u);
    // In-order data inside the advertised window is still taken.
    send(peer(0, remote_seq_, local_seq_).data("a"));
    EXPECT_EQ(s->readable_bytes(), 1u);
}

// The window follows the buffers: under pressure a read opens it by a few segments only.
TEST_F(TcpBudgetTest, WindowOpensByAFewSegmentsUnderPressure) {
    out_.enable_budget(BudgetConfig{});
    TcpSocket* s = connect_established();
    ASSERT_NE(s, nullptr);
    SeqNum seq = remote_seq_;
    for (int i = 0; i < 44; ++i) {  // 64240 of the 65535 bytes
        send(peer(0, seq, local_seq_).data(bytes(1460, 'd')));
        seq += 1460;
    }
    sent();
    // Well below the level: the read itself gives 44 buffers back.
    auto held = hog(out_.pool(), out_.budget()->pressure_level() - 100);
    std::vector<uint8_t> sink(70000);
    EXPECT_EQ(s->copy_recv(sink), 64240u);
    auto out = sent();
    ASSERT_FALSE(out.empty());
    EXPECT_LE(out.back().r.window, 4u * 1460u);
    held.clear();  // pressure over: the next read opens it fully
    send(peer(0, seq, local_seq_).data(bytes(1460, 'd')));
    sent();
    EXPECT_EQ(s->copy_recv(sink), 1460u);
    out = sent();
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back().r.window, 65535u);
}

// RFC 9293's test refuses a segment without data at RCV.NXT + RCV.WND; Linux accepts it, and
// so do we (a window probe must not be dropped because the window just filled).
TEST_F(TcpBudgetTest, EmptySegmentAtTheRightEdgeIsAcceptable) {
    TcpSocket* s = connect_established();
    ASSERT_NE(s, nullptr);
    send(peer(0, remote_seq_ + 65535, local_seq_));
    EXPECT_EQ(drops(DropReason::out_of_window), 0u);
    send(peer(0, remote_seq_ + 65536, local_seq_));
    EXPECT_EQ(drops(DropReason::out_of_window), 1u);
}

// A socket's send share binds only under pressure: alone, a socket fills the send buffer it
// was given (packetdrill's cubic-bulk-166k.pkt: 400 buffers of 1000 bytes at once); when the
// pool is under pressure it keeps to its share.
TEST_F(TcpBudgetTest, SocketSendShareBindsOnlyUnderPressure) {
    BudgetConfig c;
    c.tcp_socket_tx_percent = 1;  // 73 buffers of the 8192
    out_.enable_budget(c);
    TcpSocket* s = connect_established();
    ASSERT_NE(s, nullptr);
    const size_t share = out_.budget()->share(1);
    // The peer's window is closed: everything stays queued.
    send(peer(0, remote_seq_, local_seq_, 0));
    sent();
    for (size_t i = 0; i < share + 27; ++i) {
        ASSERT_EQ(s->send(payload(1000, 'a')), TcpSendStatus::queued) << i;
    }
    EXPECT_EQ(s->tx_buffers(), share + 27);
    auto held = hog(out_.pool(), out_.budget()->pressure_level() - 10);
    EXPECT_EQ(s->send(payload(1000, 'b')), TcpSendStatus::would_block);
    EXPECT_EQ(s->send_space(), 0u);
    held.clear();
    EXPECT_EQ(s->send(payload(1000, 'c')), TcpSendStatus::queued);
}

class ZeroWindowAbortTest : public TcpBudgetTest {
  protected:
    TcpSocket* stuck_socket() {
        TcpSocket* s = connect_established();
        if (s == nullptr) return nullptr;
        EXPECT_EQ(s->send(payload(1000, 'a')), TcpSendStatus::queued);
        sent();
        // The peer takes it and closes its window; more data waits in the send queue.
        send(peer(0, remote_seq_, local_seq_ + 1000, 0));
        local_seq_ += 1000;
        EXPECT_EQ(s->send(payload(1000, 'b')), TcpSendStatus::queued);
        sent();
        EXPECT_EQ(s->tx_buffers(), 1u);
        return s;
    }
};

TEST_F(ZeroWindowAbortTest, StuckConnectionIsAbortedUnderPressure) {
    out_.enable_budget(BudgetConfig{});
    TcpSocket* s = stuck_socket();
    ASSERT_NE(s, nullptr);
    auto held = hog(out_.pool(), out_.budget()->pressure_level() - 10);
    advance(config_.zero_window_timeout - std::chrono::seconds(1));
    sent();
    EXPECT_EQ(s->state(), TcpState::established);  // not stuck for long enough yet
    // The peer keeps answering our probes with a zero window: RFC 1122 would let this go
    // on for ever; RFC 6429 lets a resource manager end it.
    send(peer(0, remote_seq_, local_seq_, 0));
    advance(std::chrono::seconds(2));
    bool rst_sent = false;
    for (const Seg& g : sent()) rst_sent |= (g.r.flags & rst) != 0;
    EXPECT_TRUE(rst_sent);
    EXPECT_EQ(s->state(), TcpState::closed);
    EXPECT_EQ(s->error(), TcpError::aborted);
    EXPECT_EQ(drops(DropReason::zero_window_abort), 1u);
    EXPECT_EQ(stack_->counters().zero_window_aborts, 1u);
    EXPECT_EQ(stack_->send_buffers_held(), 0u);
    s->close();
}

TEST_F(ZeroWindowAbortTest, NoPressureNoAbort) {
    out_.enable_budget(BudgetConfig{});
    TcpSocket* s = stuck_socket();
    ASSERT_NE(s, nullptr);
    advance(config_.zero_window_timeout + std::chrono::seconds(5));
    EXPECT_EQ(s->state(), TcpState::established);
    EXPECT_EQ(drops(DropReason::zero_window_abort), 0u);
}

TEST_F(ZeroWindowAbortTest, TimeoutZeroTurnsItOff) {
    TcpConfig cfg = config_;
    cfg.zero_window_timeout = Duration(0);
    make_stack(cfg);
    out_.enable_budget(BudgetConfig{});
    TcpSocket* s = stuck_socket();
    ASSERT_NE(s, nullptr);
    auto held = hog(out_.pool(), out_.budget()->pressure_level() - 10);
    advance(std::chrono::seconds(600));
    EXPECT_EQ(s->state(), TcpState::established);
}

}  // namespace
}  // namespace shunt::tcp::test
