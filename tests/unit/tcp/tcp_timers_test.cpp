// Persist (zero-window probes), keep-alive, delayed ACK timing and the stack's deadlines.
#include "tcp_fixture.hpp"

namespace shunt::tcp::test {
namespace {

using TcpTimers = TcpTest;

TEST_F(TcpTimers, ZeroWindowIsProbedWithOneByteAndBacksOff) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_, 0));  // the peer's window closes
    EXPECT_EQ(s->snd_wnd(), 0u);
    s->send(payload("abc"));
    expect_nothing();
    // Initial RTO (no RTT sample with an instant handshake: 1 ms -> clamped to 200 ms).
    const Duration rto = s->rto().rto();
    EXPECT_EQ(rto, 200ms);
    advance(rto);
    // RFC 9293 §3.8.6.1: one octet of new data.
    expect_sent({ours(0, local_seq_, remote_seq_).data("a")});
    EXPECT_EQ(stack_->counters().window_probes, 1u);
    send(peer(0, remote_seq_, local_seq_, 0));  // still closed; the byte was not taken
    advance(rto);
    expect_nothing();
    advance(rto);  // backed off: 2 * RTO
    expect_sent({ours(0, local_seq_, remote_seq_).data("a")});
    // The window opens: the rest goes (copied: it starts inside the buffer).
    send(peer(0, remote_seq_, local_seq_ + 1, 1000));
    expect_sent({ours(psh, local_seq_ + 1, remote_seq_).data("bc")});
    EXPECT_EQ(s->state(), TcpState::established);
}

// The window opens with an ACK that does not cover the probe byte (it was outside the zero
// window, so the peer dropped it): the byte goes again at the front of the first segment
// instead of leaving a one-byte hole (seen against Linux: the flow then waited on loss
// recovery for that byte).
TEST_F(TcpTimers, WindowOpeningWithoutTakingTheProbeResendsItsByte) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_, 0));
    s->send(payload("abc"));
    expect_nothing();  // the poll that arms the persist timer
    advance(s->rto().rto());
    expect_sent({ours(0, local_seq_, remote_seq_).data("a")});
    send(peer(0, remote_seq_, local_seq_, 1000));
    expect_sent({ours(psh, local_seq_, remote_seq_).data("abc")});
    EXPECT_EQ(stack_->counters().retransmits, 1u);
    send(peer(0, remote_seq_, local_seq_ + 3, 1000));
    EXPECT_EQ(s->bytes_in_flight(), 0u);
}

// Each probe draws an ACK with the same number and the same zero window: by RFC 5681's letter
// a duplicate, but it says nothing about loss. Three of them must not start fast retransmit.
TEST_F(TcpTimers, AcksToWindowProbesAreNotDuplicates) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_, 0));
    s->send(payload("abc"));
    expect_nothing();  // the poll that arms the persist timer
    advance(s->rto().rto());
    expect_sent({ours(0, local_seq_, remote_seq_).data("a")});
    for (int i = 0; i < 4; ++i) send(peer(0, remote_seq_, local_seq_, 0));
    expect_nothing();
    EXPECT_EQ(stack_->counters().fast_retransmits, 0u);
    EXPECT_FALSE(s->in_recovery());
}

// Our ACKs while a probe byte is outstanding at a zero window carry SEG.SEQ = SND.UNA, the
// right edge of the peer's window: SND.MAX (one past it) is unacceptable at a zero window
// (RFC 9293 §3.10.7.4), and the peer would drop the ACK and what it acknowledges.
TEST_F(TcpTimers, AcksStayInsideThePeersZeroWindow) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_, 0));
    s->send(payload("abc"));
    expect_nothing();
    advance(s->rto().rto());
    expect_sent({ours(0, local_seq_, remote_seq_).data("a")});
    send(peer(psh, remote_seq_, local_seq_, 0).data("xy"));
    advance(config_.delayed_ack);
    expect_sent({ours(0, local_seq_, remote_seq_ + 2).win(65533)});
}

TEST_F(TcpTimers, ZeroWindowNeverTimesOutWhileAcked) {
    TcpConfig cfg = config_;
    cfg.max_retries = 2;
    make_stack(cfg);
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_, 0));
    s->send(payload("abc"));
    for (int i = 0; i < 10; ++i) {
        advance(120s);
        send(peer(0, remote_seq_, local_seq_, 0));
    }
    EXPECT_EQ(s->state(), TcpState::established);
    EXPECT_GE(stack_->counters().window_probes, 5u);
}

TEST_F(TcpTimers, KeepaliveIsOffByDefault) {
    TcpSocket* s = connect_established();
    advance(std::chrono::hours(3));
    expect_nothing();
    EXPECT_EQ(s->state(), TcpState::established);
}

TEST_F(TcpTimers, KeepaliveProbesThenAborts) {
    SocketOptions o = plain_options();
    o.keepalive = true;
    o.keepalive_idle = 10s;
    o.keepalive_interval = 2s;
    o.keepalive_probes = 3;
    make_stack(o);
    TcpSocket* s = connect_established();
    advance(9s);
    expect_nothing();
    advance(1s);
    // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1, no data.
    expect_sent({ours(0, local_seq_ - 1, remote_seq_)});
    // An answer restarts the idle time.
    send(peer(0, remote_seq_, local_seq_));
    advance(9s);
    expect_nothing();
    advance(1s);
    expect_sent({ours(0, local_seq_ - 1, remote_seq_)});
    advance(2s);
    expect_sent({ours(0, local_seq_ - 1, remote_seq_)});
    advance(2s);
    expect_sent({ours(0, local_seq_ - 1, remote_seq_)});
    advance(2s);
    EXPECT_EQ(s->state(), TcpState::closed);
    EXPECT_EQ(s->error(), TcpError::keepalive);
}

TEST_F(TcpTimers, SetKeepaliveOnOneSocket) {
    TcpSocket* s = connect_established();
    s->set_keepalive(true);
    advance(7199s);
    expect_nothing();
    advance(1s);
    expect_sent({ours(0, local_seq_ - 1, remote_seq_)});
}

TEST_F(TcpTimers, DelayedAckIsPiggybackedOnData) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_).data("question"));
    advance(10ms);
    s->send(payload("answer"));
    expect_sent({ours(psh, local_seq_, remote_seq_ + 8, 65535 - 8).data("answer")});
    advance(40ms);
    expect_nothing();  // the data carried the ACK; the timer was cancelled
}

TEST_F(TcpTimers, NextDeadlineReportsTheEarliestTimer) {
    EXPECT_EQ(stack_->next_deadline(), std::nullopt);
    TcpSocket* s = connect_established();
    EXPECT_EQ(stack_->next_deadline(), std::nullopt);  // idle connection: no timers
    send(peer(0, remote_seq_, local_seq_).data("x"));
    // The arrival marked the socket: there is egress work now, before any timer.
    EXPECT_EQ(stack_->next_deadline(), std::optional<Instant>(now_));
    expect_nothing();
    EXPECT_EQ(stack_->next_deadline(), std::optional<Instant>(now_ + 40ms));
    s->send(payload("y"));
    sent();
    EXPECT_EQ(stack_->next_deadline(), std::optional<Instant>(now_ + 200ms));  // the RTO
}

// The timer queue: each connection's timers fire at their own deadline, in deadline order,
// however the connections were created; on_timers looks only at due connections.
TEST_F(TcpTimers, ConnectionsTimeOutAtTheirOwnDeadlines) {
    std::vector<TcpSocket*> socks;
    for (uint16_t i = 0; i < 8; ++i) {
        TcpSocket* s = stack_->connect({kRemoteIp, kRemotePort}, kStart + 10ms * i,
                                       static_cast<uint16_t>(2000 + i));
        ASSERT_NE(s, nullptr);
        socks.push_back(s);
    }
    sent();
    // Every SYN is retransmitted after the initial RTO of 1 s (RFC 6298 (2.1)): one
    // connection per deadline, and nothing a millisecond before it.
    for (uint16_t i = 0; i < 8; ++i) {
        const Instant due = kStart + 1s + 10ms * i;
        EXPECT_EQ(stack_->next_deadline(), std::optional<Instant>(due));
        now_ = due - 1ms;
        stack_->on_timers(now_);
        expect_nothing();
        advance(1ms);
        auto out = sent();
        ASSERT_EQ(out.size(), 1u) << "connection " << i;
        EXPECT_EQ(out[0].r.flags, syn);
        EXPECT_EQ(out[0].r.src_port, 2000 + i);
    }
    // Backed off to 2 s (5.5): all eight are due by then and go in one call.
    EXPECT_EQ(stack_->next_deadline(), std::optional<Instant>(kStart + 3s));
    now_ = kStart + 3s + 70ms;
    stack_->on_timers(now_);
    EXPECT_EQ(sent().size(), 8u);
    // Restarted from now with 4 s (5.6), for all eight alike.
    EXPECT_EQ(stack_->next_deadline(), std::optional<Instant>(now_ + 4s));
    advance(4s);
    EXPECT_EQ(sent().size(), 8u);
    for (TcpSocket* s : socks) s->abort();
    EXPECT_EQ(stack_->next_deadline(), std::nullopt);
}

TEST_F(TcpTimers, ClosedConnectionsLeaveNoDeadline) {
    TcpSocket* a = connect_established();
    send(peer(0, remote_seq_, local_seq_).data("x"));  // a delayed ACK runs
    expect_nothing();
    EXPECT_EQ(stack_->next_deadline(), std::optional<Instant>(now_ + 40ms));
    a->abort();
    sent();
    EXPECT_EQ(stack_->next_deadline(), std::nullopt);
    a->close();  // the stack frees it
    advance(1s);
    expect_nothing();
    EXPECT_EQ(stack_->connection_count(), 0u);
}

TEST_F(TcpTimers, AStoppedTimerFiresNothing) {
    TcpSocket* s = connect_established();
    s->send(payload("abc"));
    expect_sent({ours(psh, local_seq_, remote_seq_).data("abc")});
    send(peer(0, remote_seq_, local_seq_ + 3));  // all acknowledged: the RTO stops (5.2)
    expect_nothing();
    EXPECT_EQ(stack_->next_deadline(), std::nullopt);
    advance(10s);
    expect_nothing();
    EXPECT_EQ(stack_->counters().rto_expirations, 0u);
}

}  // namespace
}  // namespace shunt::tcp::test
