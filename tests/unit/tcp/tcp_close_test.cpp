// FIN-WAIT-1/2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT, CLOSED (RFC 9293 §3.6): active,
// passive and simultaneous close, half-close, abort.
#include "tcp_fixture.hpp"

namespace shunt::tcp::test {
namespace {

using TcpClose = TcpTest;

TEST_F(TcpClose, ActiveCloseThroughTimeWait) {
    TcpSocket* s = connect_established();
    s->shutdown_write();
    expect_sent({ours(fin, local_seq_, remote_seq_)});
    EXPECT_EQ(s->state(), TcpState::fin_wait_1);
    send(peer(0, remote_seq_, local_seq_ + 1));
    EXPECT_EQ(s->state(), TcpState::fin_wait_2);
    expect_nothing();
    send(peer(fin, remote_seq_, local_seq_ + 1));
    expect_sent({ours(0, local_seq_ + 1, remote_seq_ + 1, 65534)});
    EXPECT_EQ(s->state(), TcpState::time_wait);
    EXPECT_NE(s->events() & tcp_event::closed, 0u);
    EXPECT_EQ(stack_->time_wait_count(), 1u);
    EXPECT_EQ(stack_->connection_count(), 0u);
    s->close();
    // TIME-WAIT lives on without the socket: a retransmitted FIN is acknowledged again.
    send(peer(fin, remote_seq_, local_seq_ + 1));
    expect_sent({ours(0, local_seq_ + 1, remote_seq_ + 1, 65534)});
    advance(59s);
    EXPECT_EQ(stack_->time_wait_count(), 1u);
    advance(1s);  // 2*MSL after the last FIN
    EXPECT_EQ(stack_->time_wait_count(), 0u);
    // The 4-tuple is free again: a segment now meets a closed port.
    send(peer(0, remote_seq_ + 1, local_seq_ + 1));
    expect_sent({ours(rst, local_seq_ + 1, std::nullopt, 0)});
}

TEST_F(TcpClose, FinAckTogetherGoesStraightToTimeWait) {
    TcpSocket* s = connect_established();
    s->close();
    expect_sent({ours(fin, local_seq_, remote_seq_)});
    send(peer(fin, remote_seq_, local_seq_ + 1));
    expect_sent({ours(0, local_seq_ + 1, remote_seq_ + 1, 65534)});
    EXPECT_EQ(stack_->time_wait_count(), 1u);
    EXPECT_EQ(stack_->connection_count(), 0u);
}

TEST_F(TcpClose, PassiveCloseThroughLastAck) {
    TcpSocket* s = connect_established();
    send(peer(fin, remote_seq_, local_seq_));
    // The FIN is acknowledged at once; the application sees EOF. (The FIN took one number
    // of the window, whose right edge does not move.)
    expect_sent({ours(0, local_seq_, remote_seq_ + 1, 65534)});
    EXPECT_EQ(s->state(), TcpState::close_wait);
    EXPECT_NE(s->events() & tcp_event::peer_closed, 0u);
    EXPECT_NE(s->events() & tcp_event::readable, 0u);
    // Half-closed by the peer, we may still send.
    s->send(payload("bye"));
    expect_sent({ours(psh, local_seq_, remote_seq_ + 1, 65534).data("bye")});
    s->close();
    expect_sent({ours(fin, local_seq_ + 3, remote_seq_ + 1, 65534)});
    EXPECT_EQ(s->state(), TcpState::last_ack);
    send(peer(0, remote_seq_ + 1, local_seq_ + 4));
    EXPECT_EQ(stack_->connection_count(), 0u);
    EXPECT_EQ(stack_->time_wait_count(), 0u);
}

TEST_F(TcpClose, SimultaneousCloseThroughClosing) {
    TcpSocket* s = connect_established();
    s->shutdown_write();
    expect_sent({ours(fin, local_seq_, remote_seq_)});
    // Their FIN crosses ours (it does not acknowledge our FIN).
    send(peer(fin, remote_seq_, local_seq_));
    expect_sent({ours(0, local_seq_ + 1, remote_seq_ + 1, 65534)});
    EXPECT_EQ(s->state(), TcpState::closing);
    send(peer(0, remote_seq_ + 1, local_seq_ + 1));
    EXPECT_EQ(s->state(), TcpState::time_wait);
}

TEST_F(TcpClose, HalfCloseKeepsReceiving) {
    TcpSocket* s = connect_established();
    s->shutdown_write();
    expect_sent({ours(fin, local_seq_, remote_seq_)});
    EXPECT_EQ(s->send(payload("late")), TcpSendStatus::not_open);
    send(peer(0, remote_seq_, local_seq_ + 1).data("still here"));
    EXPECT_EQ(s->state(), TcpState::fin_wait_2);
    EXPECT_EQ(text(s->recv()), "still here");
}

TEST_F(TcpClose, FinWaitsBehindQueuedData) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_, 4));  // a tiny window
    s->send(payload("abcdefgh"));
    s->shutdown_write();
    // Half the largest window seen (65535) is more than 4: the partial segment waits for
    // nothing in flight... which is the case: 4 bytes go, FIN waits for the rest.
    expect_sent({ours(0, local_seq_, remote_seq_).data("abcd")});
    send(peer(0, remote_seq_, local_seq_ + 4, 100));
    expect_sent({ours(psh, local_seq_ + 4, remote_seq_).data("efgh"),
                 ours(fin, local_seq_ + 8, remote_seq_)});
}

TEST_F(TcpClose, FinIsRetransmittedByTheTimer) {
    TcpSocket* s = connect_established();
    s->shutdown_write();
    expect_sent({ours(fin, local_seq_, remote_seq_)});
    advance(1s);
    expect_sent({ours(fin, local_seq_, remote_seq_)});
    EXPECT_EQ(s->state(), TcpState::fin_wait_1);
}

TEST_F(TcpClose, FinAfterHoleIsTakenWhenTheHoleFills) {
    TcpSocket* s = connect_established();
    send(peer(fin, remote_seq_ + 3, local_seq_).data("def"));
    expect_sent({ours(0, local_seq_, remote_seq_)});
    EXPECT_EQ(s->state(), TcpState::established);
    send(peer(0, remote_seq_, local_seq_).data("abc"));
    expect_sent({ours(0, local_seq_, remote_seq_ + 7, 65535 - 7)});
    EXPECT_EQ(s->state(), TcpState::close_wait);
    EXPECT_EQ(text(s->recv()), "abcdef");
}

TEST_F(TcpClose, AbortSendsRst) {
    TcpSocket* s = connect_established();
    s->abort();
    // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>.
    expect_sent({ours(rst, local_seq_, std::nullopt, 0)});
    EXPECT_EQ(s->state(), TcpState::closed);
    EXPECT_EQ(s->error(), TcpError::aborted);
    EXPECT_EQ(stack_->connection_count(), 0u);
}

TEST_F(TcpClose, CloseWithUnreadDataResets) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_).data("unread"));
    s->close();
    expect_sent({ours(rst, local_seq_, std::nullopt, 0)});
    EXPECT_EQ(stack_->connection_count(), 0u);
}

TEST_F(TcpClose, CloseInSynSentDeletesTheConnection) {
    TcpSocket* s = connect_syn_sent();
    s->close();
    expect_nothing();
    EXPECT_EQ(stack_->connection_count(), 0u);
}

TEST_F(TcpClose, OrphanedFinWait2TimesOut) {
    TcpSocket* s = connect_established();
    s->close();
    sent();
    send(peer(0, remote_seq_, local_seq_ + 1));
    EXPECT_EQ(stack_->connection_count(), 1u);
    advance(60s);
    EXPECT_EQ(stack_->connection_count(), 0u);
}

TEST_F(TcpClose, TimeWaitTableIsBoundedAndEvictsTheOldest) {
    TcpConfig cfg = config_;
    cfg.time_wait_slots = 2;
    make_stack(cfg);
    for (uint16_t i = 0; i < 3; ++i) {
        remote_port_ = static_cast<uint16_t>(41000 + i);
        TcpSocket* s = stack_->connect({kRemoteIp, remote_port_}, now_, kLocalPort);
        ASSERT_NE(s, nullptr);
        const SeqNum iss(sent().at(0).r.seq);
        send(peer(syn, SeqNum(100), iss + 1));
        s->close();
        sent();  // our FIN leaves in egress
        send(peer(fin, SeqNum(101), iss + 2));
        sent();
    }
    EXPECT_EQ(stack_->time_wait_count(), 2u);
    EXPECT_EQ(stack_->counters().time_wait_evictions, 1u);
}

TEST_F(TcpClose, TimeWaitIgnoresInexactRstAndClosesOnExactOne) {
    TcpSocket* s = connect_established();
    s->close();
    sent();
    send(peer(fin, remote_seq_, local_seq_ + 1));
    sent();
    send(peer(rst, remote_seq_ + 50));
    EXPECT_EQ(stack_->time_wait_count(), 1u);
    send(peer(rst, remote_seq_ + 1));
    EXPECT_EQ(stack_->time_wait_count(), 0u);
}

TEST_F(TcpClose, NewerSynEndsTimeWaitForAListener) {
    listener_ = stack_->listen(kLocalPort, 4);
    send(peer(syn, remote_isn_));
    const SeqNum iss(sent().at(0).r.seq);
    send(peer(0, remote_isn_ + 1, iss + 1));
    TcpSocket* s = listener_->accept();
    ASSERT_NE(s, nullptr);
    s->close();
    sent();
    send(peer(fin, remote_isn_ + 1, iss + 2));
    sent();
    EXPECT_EQ(stack_->time_wait_count(), 1u);
    // RFC 6191 / RFC 1122 §4.2.2.13: a SYN above the old sequence space reopens.
    send(peer(syn, remote_isn_ + 100000));
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].r.flags, syn | ack);
    EXPECT_EQ(stack_->time_wait_count(), 0u);
}

TEST_F(TcpClose, OldSynInTimeWaitIsAnsweredWithAnAck) {
    listener_ = stack_->listen(kLocalPort, 4);
    TcpSocket* s = connect_established();
    s->close();
    sent();
    send(peer(fin, remote_seq_, local_seq_ + 1));
    sent();
    send(peer(syn, remote_isn_));  // not beyond the old connection's sequence space
    expect_sent({ours(0, local_seq_ + 1, remote_seq_ + 1, 65534)});
    EXPECT_EQ(stack_->time_wait_count(), 1u);
    EXPECT_EQ(stack_->connection_count(), 0u);
}

TEST_F(TcpClose, LastAckRetransmitsItsFin) {
    TcpSocket* s = connect_established();
    send(peer(fin, remote_seq_, local_seq_));
    sent();
    s->close();
    expect_sent({ours(fin, local_seq_, remote_seq_ + 1, 65534)});
    advance(1s);
    expect_sent({ours(fin, local_seq_, remote_seq_ + 1, 65534)});
    send(peer(0, remote_seq_ + 1, local_seq_ + 1));
    EXPECT_EQ(stack_->connection_count(), 0u);
}

TEST_F(TcpClose, TextAfterThePeersFinIsIgnored) {
    TcpSocket* s = connect_established();
    send(peer(fin, remote_seq_, local_seq_));
    sent();
    send(peer(0, remote_seq_ + 1, local_seq_).data("ghost"));
    // RFC 9293 §3.10.7.4 seventh: CLOSE-WAIT ignores segment text.
    EXPECT_EQ(s->readable_bytes(), 0u);
    EXPECT_EQ(s->state(), TcpState::close_wait);
}

TEST_F(TcpClose, RstInClosingCloses) {
    TcpSocket* s = connect_established();
    s->shutdown_write();
    sent();
    send(peer(fin, remote_seq_, local_seq_));
    sent();
    ASSERT_EQ(s->state(), TcpState::closing);
    send(peer(rst, remote_seq_ + 1));
    EXPECT_EQ(s->state(), TcpState::closed);
    EXPECT_EQ(s->error(), TcpError::none);
}

}  // namespace
// RFC 9293 §3.10.4: CLOSE in SYN-RECEIVED queues a FIN and goes to FIN-WAIT-1 without ever
// being ESTABLISHED; when that FIN's retransmission timer fires, loss recovery must have a
// congestion controller to consult. (fuzz_tcp_stack found the null controller.)
TEST_F(TcpClose, CloseInSynReceivedRetransmitsItsFin) {
    TcpSocket* s = connect_syn_sent();
    send(peer(syn, SeqNum(300)).mss(1460));  // simultaneous open: SYN-RECEIVED
    expect_sent({ours(syn, local_isn_, SeqNum(301)).mss(1460)});
    ASSERT_EQ(s->state(), TcpState::syn_received);
    s->shutdown_write();
    EXPECT_EQ(s->state(), TcpState::fin_wait_1);
    sent();
    send(peer(0, SeqNum(301), local_seq_));  // acknowledges the SYN, not the FIN
    sent();
    advance(5s);  // the FIN's retransmission timeout, with backoff, fires
    bool fin_again = false;
    for (const auto& seg : sent()) fin_again = fin_again || (seg.r.flags & fin) != 0;
    EXPECT_TRUE(fin_again);
    EXPECT_NE(s->cwnd(), 0u);
}

}  // namespace shunt::tcp::test
