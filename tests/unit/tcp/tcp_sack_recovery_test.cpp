// SACK-based loss recovery (RFC 6675) driven by the scoreboard: which segment goes when,
// and cwnd/pipe numbers from the RFC.
#include "tcp_fixture.hpp"

namespace shunt::tcp::test {
namespace {

class TcpSackRecovery : public TcpTest {
  protected:
    TcpSackRecovery() {
        SocketOptions o = plain_options();
        o.sack = true;
        make_stack(o);
    }
    Seg data_seg(uint32_t index, char fill, uint8_t flags = 0) const {
        return ours(flags, local_seq_ + index * 1460, remote_seq_)
            .data(bytes(1460, static_cast<uint8_t>(fill)));
    }
    void queue_segments(TcpSocket* s, int n, char first = 'a') {
        for (int i = 0; i < n; ++i) {
            ASSERT_EQ(s->send(payload(1460, static_cast<uint8_t>(first + i))),
                      TcpSendStatus::queued);
        }
    }
    TcpSocket* established_sack() {
        TcpSocket* s = stack_->connect({kRemoteIp, kRemotePort}, now_, kLocalPort);
        local_seq_ = SeqNum(sent().at(0).r.seq + 1);
        now_ += 100ms;
        send(peer(syn, remote_isn_, local_seq_).mss(1460).sack_perm());
        remote_seq_ = remote_isn_ + 1;
        sent();
        EXPECT_TRUE(s->sack_enabled());
        return s;
    }
    // A duplicate ACK SACKing segments [from, to) (indices of 1460-byte segments).
    void sack_ack(uint32_t from, uint32_t to) {
        send(peer(0, remote_seq_, local_seq_)
                 .sack({{local_seq_ + from * 1460, local_seq_ + to * 1460}}));
    }
};

// RFC 6675 §5: loss recovery driven by the scoreboard and pipe.
TEST_F(TcpSackRecovery, RetransmitsTheHoleAndSendsWhatPipeAllows) {
    TcpSocket* s = established_sack();
    queue_segments(s, 12);
    EXPECT_EQ(sent().size(), 10u);
    sack_ack(1, 2);
    sack_ack(1, 3);
    expect_nothing();
    sack_ack(1, 4);
    // IsLost(segment 0): three segments SACKed above it. ssthresh = cwnd = 7300.
    expect_sent({data_seg(0, 'a')});
    EXPECT_TRUE(s->in_recovery());
    EXPECT_EQ(s->cwnd(), 7300u);
    // pipe = 1460 (the retransmission) + 6 * 1460 (segments 4-9) = 10220 > cwnd.
    sack_ack(1, 5);
    sack_ack(1, 6);
    expect_nothing();
    sack_ack(1, 7);
    // pipe = 1460 + 3 * 1460 = 5840: cwnd - pipe = 1 SMSS: one new segment (NextSeg rule 2).
    expect_sent({data_seg(10, 'k')});
    sack_ack(1, 8);
    expect_sent({data_seg(11, 'l', psh)});
    send(peer(0, remote_seq_, local_seq_ + 10 * 1460));
    EXPECT_FALSE(s->in_recovery());
    EXPECT_EQ(s->cwnd(), 7300u);
}

TEST_F(TcpSackRecovery, SecondHoleIsRetransmittedBeforeNewData) {
    TcpSocket* s = established_sack();
    queue_segments(s, 12);
    EXPECT_EQ(sent().size(), 10u);
    // Segments 0 and 2 lost: the peer SACKs 1 and then 3..
    send(peer(0, remote_seq_, local_seq_).sack({{local_seq_ + 1460, local_seq_ + 2920}}));
    auto two_blocks = [&](uint32_t to) {
        send(peer(0, remote_seq_, local_seq_)
                 .sack({{local_seq_ + 3 * 1460, local_seq_ + to * 1460},
                        {local_seq_ + 1460, local_seq_ + 2920}}));
    };
    two_blocks(4);
    two_blocks(5);
    expect_sent({data_seg(0, 'a')});
    EXPECT_TRUE(s->in_recovery());
    two_blocks(6);
    two_blocks(7);
    two_blocks(8);
    // Segment 2 has three SACKed segments (and > 2 SMSS) above it: lost, resent first.
    auto out = sent();
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0], data_seg(2, 'c'));
}

TEST_F(TcpSackRecovery, RescueRetransmissionOfALostTail) {
    TcpSocket* s = established_sack();
    queue_segments(s, 10);
    EXPECT_EQ(sent().size(), 10u);
    // Segments 0 and 9 are lost; SACKs for 1.. arrive.
    sack_ack(1, 2);
    sack_ack(1, 3);
    sack_ack(1, 4);
    expect_sent({data_seg(0, 'a')});
    sack_ack(1, 5);
    sack_ack(1, 6);
    expect_nothing();  // pipe 1460 + 4 * 1460 = cwnd
    sack_ack(1, 7);
    // pipe 1460 + 3 * 1460 = 5840 leaves one SMSS; no new data and nothing below the SACKed
    // data to resend: rule (4), the segment holding the highest unSACKed octet.
    expect_sent({data_seg(9, 'j', psh)});
    sack_ack(1, 8);
    sack_ack(1, 9);
    expect_nothing();  // once per recovery
    EXPECT_TRUE(s->in_recovery());
}

}  // namespace
}  // namespace shunt::tcp::test
