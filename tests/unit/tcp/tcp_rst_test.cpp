// RST and SYN handling in synchronized states with RFC 5961's defences, and the ACK
// acceptability rule of RFC 5961 §5.
#include "tcp_fixture.hpp"

namespace shunt::tcp::test {
namespace {

using TcpRst = TcpTest;

TEST_F(TcpRst, ExactRstResetsTheConnection) {
    TcpSocket* s = connect_established();
    send(peer(rst, remote_seq_));
    expect_nothing();
    EXPECT_EQ(s->state(), TcpState::closed);
    EXPECT_EQ(s->error(), TcpError::reset);
    EXPECT_EQ(stack_->counters().resets_rx, 1u);
    EXPECT_EQ(stack_->connection_count(), 0u);
    EXPECT_EQ(s->send(payload("x")), TcpSendStatus::not_open);
}

TEST_F(TcpRst, InWindowRstDrawsChallengeAck) {
    TcpSocket* s = connect_established();
    send(peer(rst, remote_seq_ + 1));
    // RFC 5961 §3.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    expect_sent({ours(0, local_seq_, remote_seq_)});
    EXPECT_EQ(s->state(), TcpState::established);
    EXPECT_EQ(drops(DropReason::rst_challenged), 1u);
    EXPECT_EQ(stack_->counters().challenge_acks, 1u);
}

TEST_F(TcpRst, OutOfWindowRstIsSilentlyDropped) {
    TcpSocket* s = connect_established();
    send(peer(rst, remote_seq_ + 100000));
    send(peer(rst, remote_seq_ - 1));
    expect_nothing();
    EXPECT_EQ(s->state(), TcpState::established);
    EXPECT_EQ(drops(DropReason::rst_invalid), 2u);
}

TEST_F(TcpRst, SynInEstablishedDrawsChallengeAck) {
    TcpSocket* s = connect_established();
    send(peer(syn, remote_seq_ + 10));
    expect_sent({ours(0, local_seq_, remote_seq_)});
    EXPECT_EQ(s->state(), TcpState::established);
    EXPECT_EQ(drops(DropReason::syn_challenged), 1u);
}

TEST_F(TcpRst, OldSynOutsideTheWindowGetsAnAckToo) {
    TcpSocket* s = connect_established();
    send(peer(syn, remote_isn_));
    expect_sent({ours(0, local_seq_, remote_seq_)});
    EXPECT_EQ(s->state(), TcpState::established);
}

TEST_F(TcpRst, AckOfUnsentDataIsDroppedWithAnAck) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_ + 10).data("abc"));
    expect_sent({ours(0, local_seq_, remote_seq_)});
    EXPECT_EQ(s->readable_bytes(), 0u);  // the whole segment is dropped
    EXPECT_EQ(drops(DropReason::ack_invalid), 1u);
}

TEST_F(TcpRst, AckTooFarBehindIsDroppedWithAnAck) {
    TcpSocket* s = connect_established();
    // RFC 5961 §5.2: SEG.ACK < SND.UNA - MAX.SND.WND (65535 here) is unacceptable.
    send(peer(0, remote_seq_, local_seq_ - 70000).data("abc"));
    expect_sent({ours(0, local_seq_, remote_seq_)});
    EXPECT_EQ(s->readable_bytes(), 0u);
    // An old ACK within MAX.SND.WND is fine: the data is taken.
    send(peer(0, remote_seq_, local_seq_ - 100).data("abc"));
    EXPECT_EQ(s->readable_bytes(), 3u);
}

TEST_F(TcpRst, SegmentWithoutAckIsDropped) {
    TcpSocket* s = connect_established();
    send(peer(psh, remote_seq_).data("abc"));
    expect_nothing();
    EXPECT_EQ(s->readable_bytes(), 0u);
    EXPECT_EQ(drops(DropReason::no_ack_bit), 1u);
}

TEST_F(TcpRst, RstInCloseWaitAndLastAck) {
    TcpSocket* s = connect_established();
    send(peer(fin, remote_seq_, local_seq_));
    sent();
    s->shutdown_write();
    sent();
    EXPECT_EQ(s->state(), TcpState::last_ack);
    send(peer(rst, remote_seq_ + 1));
    EXPECT_EQ(s->state(), TcpState::closed);
    EXPECT_EQ(s->error(), TcpError::none);  // LAST-ACK: "enter CLOSED", no error to report
}

TEST_F(TcpRst, RstWhileDataQueuedReleasesBuffers) {
    TcpSocket* s = connect_established();
    const uint32_t before = out_.pool().available();
    s->send(payload(1000, 'a'));
    sent();
    send(peer(rst, remote_seq_));
    EXPECT_EQ(out_.pool().available(), before);
    EXPECT_EQ(s->error(), TcpError::reset);
}

}  // namespace
}  // namespace shunt::tcp::test
