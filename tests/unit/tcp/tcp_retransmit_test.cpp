// Reliability: the retransmission timer (RFC 6298: RTO, Karn, backoff, give up), zero-copy
// retransmission and its copy fallback, NewReno fast retransmit/recovery (RFC 5681 §3.2,
// RFC 6582) with cwnd numbers from those RFCs, and the small-window additions: limited
// transmit (RFC 3042) and early retransmit (RFC 5827). SACK recovery: tcp_sack_recovery_test.cpp.
#include "tcp_fixture.hpp"

namespace shunt::tcp::test {
namespace {

class TcpRetransmit : public TcpTest {
  protected:
    // The handshake takes 100 ms: SRTT 100 ms, RTTVAR 50 ms, RTO = 100 + 4 * 50 = 300 ms.
    TcpSocket* established_rtt100() {
        TcpSocket* s = connect_syn_sent();
        now_ += 100ms;
        send(peer(syn, remote_isn_, local_seq_).mss(1460));
        remote_seq_ = remote_isn_ + 1;
        expect_sent({ours(0, local_seq_, remote_seq_)});
        EXPECT_EQ(s->rto().srtt(), std::optional<Duration>(100ms));
        EXPECT_EQ(s->rto().rto(), 300ms);
        return s;
    }
    Seg data_seg(uint32_t index, char fill, uint8_t flags = 0) const {
        return ours(flags, local_seq_ + index * 1460, remote_seq_).data(bytes(1460, uint8_t(fill)));
    }
    void queue_segments(TcpSocket* s, int n, char first = 'a') {
        for (int i = 0; i < n; ++i) {
            ASSERT_EQ(s->send(payload(1460, static_cast<uint8_t>(first + i))),
                      TcpSendStatus::queued);
        }
    }
    void dup_ack(uint16_t window = 65535) { send(peer(0, remote_seq_, local_seq_, window)); }
    // plain_options() leaves RFC 3042 and RFC 5827 off; these tests turn them on.
    void small_window_recovery_on() {
        SocketOptions o = plain_options();
        o.limited_transmit = true;
        o.early_retransmit = true;
        make_stack(o);
    }
};

TEST_F(TcpRetransmit, RtoRetransmitsWithBackoffAndKarn) {
    TcpSocket* s = established_rtt100();
    s->send(payload("data"));
    expect_sent({ours(psh, local_seq_, remote_seq_).data("data")});
    advance(299ms);
    expect_nothing();
    advance(1ms);
    expect_sent({ours(psh, local_seq_, remote_seq_).data("data")});
    EXPECT_EQ(stack_->counters().rto_expirations, 1u);
    // RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS), cwnd = 1 SMSS.
    EXPECT_EQ(s->ssthresh(), 2920u);
    EXPECT_EQ(s->cwnd(), 1460u);
    advance(599ms);
    expect_nothing();
    advance(1ms);  // (5.5): doubled to 600 ms
    expect_sent({ours(psh, local_seq_, remote_seq_).data("data")});
    now_ += 500ms;
    send(peer(0, remote_seq_, local_seq_ + 4));
    // Karn: the ACK of a retransmitted segment is no RTT sample; the backoff stays (x4).
    EXPECT_EQ(s->rto().srtt(), std::optional<Duration>(100ms));
    EXPECT_EQ(s->rto().rto(), 1200ms);
    // The next segment is timed: its ACK gives a sample and collapses the backoff.
    s->send(payload("more"));
    sent();
    now_ += 100ms;
    send(peer(0, remote_seq_, local_seq_ + 8));
    EXPECT_EQ(s->rto().rto(), 250ms);  // SRTT 100, RTTVAR 3/4*50 + 1/4*0 = 37.5 -> 100 + 150
}

TEST_F(TcpRetransmit, RtoIsThreeSecondsAfterARetransmittedSyn) {
    TcpSocket* s = connect_syn_sent();
    advance(1s);
    expect_sent({ours(syn, local_isn_, std::nullopt).mss(1460)});
    send(peer(syn, remote_isn_, local_seq_).mss(1460));  // no sample: the SYN was resent
    remote_seq_ = remote_isn_ + 1;
    sent();
    EXPECT_EQ(s->rto().rto(), 3s);  // RFC 6298 (5.7)
    s->send(payload("x"));
    sent();
    advance(2999ms);
    expect_nothing();
    advance(1ms);
    expect_sent({ours(psh, local_seq_, remote_seq_).data("x")});
}

TEST_F(TcpRetransmit, GivesUpAfterMaxRetries) {
    TcpConfig cfg = config_;
    cfg.max_retries = 3;
    make_stack(cfg);
    TcpSocket* s = established_rtt100();
    s->send(payload("x"));
    sent();
    size_t retransmitted = 0;
    for (auto d : {300ms, 600ms, 1200ms}) {
        advance(d);
        retransmitted += sent().size();
    }
    EXPECT_EQ(retransmitted, 3u);
    EXPECT_EQ(s->state(), TcpState::established);
    advance(2400ms);
    expect_nothing();
    EXPECT_EQ(s->state(), TcpState::closed);
    EXPECT_EQ(s->error(), TcpError::timed_out);
}

TEST_F(TcpRetransmit, RetransmissionCopiesWhenTheNicStillHoldsTheBuffer) {
    TcpSocket* s = established_rtt100();
    out_.set_hold(true);  // the TX ring has not completed the first transmission
    s->send(payload("zero-copy?"));
    sent();
    advance(300ms);
    expect_sent({ours(psh, local_seq_, remote_seq_).data("zero-copy?")});
    EXPECT_EQ(stack_->counters().retransmit_copies, 1u);
    EXPECT_EQ(stack_->counters().tx_copy_bytes, 10u);
    out_.release_held();
    out_.set_hold(false);
    advance(600ms);
    expect_sent({ours(psh, local_seq_, remote_seq_).data("zero-copy?")});
    EXPECT_EQ(stack_->counters().retransmit_copies, 1u);  // the headroom is ours again
    EXPECT_EQ(stack_->counters().tx_copy_bytes, 10u);
}

TEST_F(TcpRetransmit, RtoGoesBackToSndUnaAndSlowStarts) {
    TcpSocket* s = established_rtt100();
    queue_segments(s, 4);
    EXPECT_EQ(sent().size(), 4u);
    advance(300ms);
    // One segment (cwnd = 1 SMSS) from SND.UNA.
    expect_sent({data_seg(0, 'a')});
    send(peer(0, remote_seq_, local_seq_ + 1460));
    // Slow start after the RTO: cwnd 2 SMSS, and the rest is resent as the window allows.
    EXPECT_EQ(s->cwnd(), 2920u);
    expect_sent({data_seg(1, 'b'), data_seg(2, 'c')});
}

// RFC 5681 §3.2 / RFC 6582 §3.2 step by step, cwnd and ssthresh checked at each step.
TEST_F(TcpRetransmit, NewRenoFastRetransmitAndRecovery) {
    TcpSocket* s = established_rtt100();
    EXPECT_EQ(s->cwnd(), 14600u);  // IW10: min(10 * SMSS, max(2 * SMSS, 14600))
    queue_segments(s, 14);
    EXPECT_EQ(sent().size(), 10u);  // the initial window
    dup_ack();
    dup_ack();
    expect_nothing();
    dup_ack();
    // Third duplicate: retransmit, ssthresh = FlightSize / 2 = 7300, cwnd = ssthresh + 3 SMSS.
    expect_sent({data_seg(0, 'a')});
    EXPECT_TRUE(s->in_recovery());
    EXPECT_EQ(s->ssthresh(), 7300u);
    EXPECT_EQ(s->cwnd(), 7300u + 3 * 1460u);
    dup_ack();
    dup_ack();
    expect_nothing();  // cwnd 14600 = FlightSize: nothing new fits yet
    dup_ack();
    // cwnd 16060 > FlightSize 14600: one new segment (step 4).
    EXPECT_EQ(s->cwnd(), 16060u);
    expect_sent({data_seg(10, 'k')});
    // A partial ACK (segments 1-5; segment 6 was lost too): retransmit segment 6, deflate by
    // the 7300 bytes acknowledged, add back one SMSS (RFC 6582 step 5).
    send(peer(0, remote_seq_, local_seq_ + 5 * 1460));
    EXPECT_EQ(s->cwnd(), 16060u - 7300u + 1460u);
    // FlightSize is now 6 * 1460 = 8760; cwnd 10220 leaves room for one new segment.
    expect_sent({data_seg(5, 'f'), data_seg(11, 'l')});
    EXPECT_TRUE(s->in_recovery());
    // Full ACK of everything sent before recovery began: cwnd = ssthresh (step 3, option 1).
    send(peer(0, remote_seq_, local_seq_ + 10 * 1460));
    EXPECT_FALSE(s->in_recovery());
    EXPECT_EQ(s->cwnd(), 7300u);
    EXPECT_EQ(stack_->counters().fast_retransmits, 1u);
}

TEST_F(TcpRetransmit, DuplicateAcksWithWindowChangeAreNotDuplicates) {
    TcpSocket* s = established_rtt100();
    queue_segments(s, 4);
    sent();
    dup_ack(60000);
    dup_ack(50000);
    dup_ack(40000);
    expect_nothing();
    EXPECT_FALSE(s->in_recovery());
}

// RFC 3042: one new segment on each of the first two duplicate ACKs; the third starts fast
// retransmit with ssthresh from the FlightSize before those two (RFC 5681 §3.2 step 2).
TEST_F(TcpRetransmit, LimitedTransmitSendsNewDataOnTheFirstTwoDuplicates) {
    small_window_recovery_on();
    TcpSocket* s = established_rtt100();
    queue_segments(s, 14);
    EXPECT_EQ(sent().size(), 10u);
    dup_ack();
    expect_sent({data_seg(10, 'k')});
    EXPECT_EQ(s->cwnd(), 14600u);  // cwnd unchanged
    dup_ack();
    expect_sent({data_seg(11, 'l')});
    dup_ack();
    expect_sent({data_seg(0, 'a')});
    EXPECT_TRUE(s->in_recovery());
    EXPECT_EQ(s->ssthresh(), 7300u);  // 10 segments / 2, not 12 / 2
    EXPECT_EQ(s->cwnd(), 7300u + 3 * 1460u);
    EXPECT_EQ(stack_->counters().fast_retransmits, 1u);
}

// Limited transmit sends nothing the peer's window or the queue does not hold, and nothing
// beyond cwnd + 2 SMSS.
TEST_F(TcpRetransmit, LimitedTransmitKeepsToTheWindowAndToNewData) {
    small_window_recovery_on();
    TcpSocket* s = established_rtt100();
    queue_segments(s, 10);
    EXPECT_EQ(sent().size(), 10u);
    dup_ack();  // nothing new queued
    expect_nothing();
    queue_segments(s, 1, 'k');
    expect_nothing();  // cwnd full: it waits for ACKs
    // The peer's window shrinks to what is in flight: the first such ACK is no duplicate (the
    // window changed), the second is, and limited transmit finds no room in the window.
    dup_ack(static_cast<uint16_t>(10 * 1460));
    dup_ack(static_cast<uint16_t>(10 * 1460));
    expect_nothing();
    EXPECT_FALSE(s->in_recovery());
}

// RFC 5827: three segments outstanding and nothing new to send: the second duplicate ACK
// (threshold = outstanding - 1) retransmits the first segment.
TEST_F(TcpRetransmit, EarlyRetransmitWithThreeSegmentsOutstanding) {
    small_window_recovery_on();
    TcpSocket* s = established_rtt100();
    queue_segments(s, 3);
    EXPECT_EQ(sent().size(), 3u);
    dup_ack();
    expect_nothing();
    dup_ack();
    expect_sent({data_seg(0, 'a')});
    EXPECT_TRUE(s->in_recovery());
    EXPECT_EQ(stack_->counters().fast_retransmits, 1u);
    EXPECT_EQ(stack_->counters().rto_expirations, 0u);
}

// Two segments outstanding: one duplicate suffices. Without early retransmit the same loss
// waits for the RTO.
TEST_F(TcpRetransmit, EarlyRetransmitWithTwoSegmentsOutstandingAndWithoutIt) {
    small_window_recovery_on();
    TcpSocket* s = established_rtt100();
    queue_segments(s, 2);
    EXPECT_EQ(sent().size(), 2u);
    dup_ack();
    expect_sent({data_seg(0, 'a')});
    EXPECT_TRUE(s->in_recovery());

    make_stack(plain_options());
    TcpSocket* t = established_rtt100();
    queue_segments(t, 2);
    EXPECT_EQ(sent().size(), 2u);
    dup_ack();
    expect_nothing();
    EXPECT_FALSE(t->in_recovery());
    advance(300ms);
    expect_sent({data_seg(0, 'a')});
    EXPECT_EQ(stack_->counters().rto_expirations, 1u);
}

}  // namespace
}  // namespace shunt::tcp::test
