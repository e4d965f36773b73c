// LISTEN, SYN-SENT, SYN-RECEIVED (RFC 9293 §3.5, §3.10.7.1-3), closed ports, backlog and
// SYN cookies, ephemeral ports.
#include "tcp_fixture.hpp"

namespace shunt::tcp::test {
namespace {

using TcpOpen = TcpTest;

TEST_F(TcpOpen, NoListenerAnswersSynWithRstAck) {
    send(peer(syn, SeqNum(1000)));
    // RFC 9293 §3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    expect_sent({ours(rst, SeqNum(0), SeqNum(1001), 0)});
    EXPECT_EQ(drops(DropReason::no_socket), 1u);
}

TEST_F(TcpOpen, NoListenerAnswersAckWithRstAtItsAckNumber) {
    send(peer(0, SeqNum(1000), SeqNum(777)).data("xy"));
    expect_sent({ours(rst, SeqNum(777), std::nullopt, 0)});
}

TEST_F(TcpOpen, NoListenerNeverAnswersRst) {
    send(peer(rst, SeqNum(1000)));
    expect_nothing();
    EXPECT_EQ(drops(DropReason::no_socket), 1u);
}

TEST_F(TcpOpen, BadChecksumIsDroppedAndCounted) {
    listener_ = stack_->listen(kLocalPort, 4);
    Seg s = peer(syn, SeqNum(5));
    PacketBuf* b = out_.pool().alloc();
    Packet p(b);
    const size_t hlen = s.r.header_len();
    wire::TcpView view(std::span(p->append(hlen), hlen));
    s.r.emit(view, kRemoteIp, kLocalIp);
    p->data()[4] ^= 0x40;  // corrupt the sequence number after the checksum was made
    stack_->receive(Ipv4Meta{kRemoteIp, kLocalIp, 6, false}, PacketChain(std::move(p)), now_);
    expect_nothing();
    EXPECT_EQ(drops(DropReason::bad_checksum), 1u);
    EXPECT_EQ(listener_->syn_queue_length(), 0u);
}

TEST_F(TcpOpen, TruncatedHeaderIsMalformed) {
    PacketBuf* b = out_.pool().alloc();
    Packet p(b);
    std::memset(p->append(12), 0, 12);
    stack_->receive(Ipv4Meta{kRemoteIp, kLocalIp, 6, false}, PacketChain(std::move(p)), now_);
    EXPECT_EQ(drops(DropReason::malformed), 1u);
}

TEST_F(TcpOpen, BroadcastSegmentsAreDropped) {
    stack_->listen(kLocalPort, 4);
    Seg s = peer(syn, SeqNum(5));
    PacketBuf* b = out_.pool().alloc();
    Packet p(b);
    wire::TcpView view(std::span(p->append(20), 20));
    s.r.emit(view, kRemoteIp, kLocalIp);
    stack_->receive(Ipv4Meta{kRemoteIp, kLocalIp, 6, true}, PacketChain(std::move(p)), now_);
    expect_nothing();
    EXPECT_EQ(drops(DropReason::bad_address), 1u);
}

TEST_F(TcpOpen, PassiveOpenCompletesAndIsAccepted) {
    TcpSocket* s = accept_established();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->remote().port, kRemotePort);
    EXPECT_EQ(s->snd_una(), local_seq_);
    EXPECT_EQ(s->rcv_nxt(), remote_seq_);
    EXPECT_EQ(stack_->counters().passive_opens, 1u);
    EXPECT_NE(s->events() & tcp_event::connected, 0u);
    EXPECT_NE(s->events() & tcp_event::writable, 0u);
    EXPECT_EQ(listener_->accept(), nullptr);
}

TEST_F(TcpOpen, ListenerIgnoresRstAndResetsBareAck) {
    listener_ = stack_->listen(kLocalPort, 4);
    send(peer(rst, SeqNum(1)));
    expect_nothing();
    send(peer(0, SeqNum(1), SeqNum(4242)));
    // RFC 9293 §3.10.7.2: an ACK to a listener draws <SEQ=SEG.ACK><CTL=RST> (not a cookie).
    expect_sent({ours(rst, SeqNum(4242), std::nullopt, 0)});
    EXPECT_EQ(drops(DropReason::listen_invalid), 2u);
}

TEST_F(TcpOpen, SynReceivedRetransmitsSynAckOnTimeoutWithBackoff) {
    listener_ = stack_->listen(kLocalPort, 4);
    send(peer(syn, SeqNum(1000)));
    auto first = sent();
    ASSERT_EQ(first.size(), 1u);
    const SeqNum iss(first[0].r.seq);
    advance(999ms);
    expect_nothing();
    advance(1ms);  // RFC 6298 (2.1): initial RTO 1 s
    expect_sent({ours(syn, iss, SeqNum(1001)).mss(1460)});
    advance(1999ms);
    expect_nothing();
    advance(1ms);  // (5.5) doubled
    expect_sent({ours(syn, iss, SeqNum(1001)).mss(1460)});
}

TEST_F(TcpOpen, SynReceivedAnswersRepeatedSynWithSynAck) {
    listener_ = stack_->listen(kLocalPort, 4);
    send(peer(syn, SeqNum(1000)));
    auto first = sent();
    ASSERT_EQ(first.size(), 1u);
    send(peer(syn, SeqNum(1000)));
    expect_sent({first[0]});
    EXPECT_EQ(listener_->syn_queue_length(), 1u);
}

TEST_F(TcpOpen, SynReceivedWithBadAckSendsRst) {
    listener_ = stack_->listen(kLocalPort, 4);
    send(peer(syn, SeqNum(1000)));
    auto first = sent();
    ASSERT_EQ(first.size(), 1u);
    send(peer(0, SeqNum(1001), SeqNum(first[0].r.seq + 77)));
    expect_sent({ours(rst, SeqNum(first[0].r.seq + 77), std::nullopt, 0)});
    EXPECT_EQ(listener_->accept(), nullptr);
}

TEST_F(TcpOpen, RstInSynReceivedReturnsToListen) {
    listener_ = stack_->listen(kLocalPort, 4);
    send(peer(syn, SeqNum(1000)));
    sent();
    EXPECT_EQ(stack_->connection_count(), 1u);
    send(peer(rst, SeqNum(1001)));
    expect_nothing();
    EXPECT_EQ(stack_->connection_count(), 0u);
    EXPECT_EQ(listener_->syn_queue_length(), 0u);
    // The listener still answers new SYNs.
    send(peer(syn, SeqNum(5000)));
    EXPECT_EQ(sent().size(), 1u);
}

TEST_F(TcpOpen, ActiveOpenSendsSynAndCompletes) {
    TcpSocket* s = connect_established();
    EXPECT_EQ(s->state(), TcpState::established);
    EXPECT_EQ(s->smss(), 1460u);
    EXPECT_EQ(stack_->counters().active_opens, 1u);
}

TEST_F(TcpOpen, SynSentIgnoresRstWithoutAck) {
    TcpSocket* s = connect_syn_sent();
    send(peer(rst, SeqNum(9)));
    expect_nothing();
    EXPECT_EQ(s->state(), TcpState::syn_sent);
    EXPECT_EQ(drops(DropReason::rst_invalid), 1u);
}

TEST_F(TcpOpen, SynSentRstWithAcceptableAckRefuses) {
    TcpSocket* s = connect_syn_sent();
    send(peer(rst, SeqNum(0), local_seq_));
    expect_nothing();
    EXPECT_EQ(s->state(), TcpState::closed);
    EXPECT_EQ(s->error(), TcpError::refused);
    EXPECT_NE(s->events() & tcp_event::error, 0u);
}

TEST_F(TcpOpen, SynSentUnacceptableAckDrawsRst) {
    TcpSocket* s = connect_syn_sent();
    send(peer(syn, SeqNum(500), local_seq_ + 10));
    expect_sent({ours(rst, local_seq_ + 10, std::nullopt, 0)});
    EXPECT_EQ(s->state(), TcpState::syn_sent);
}

TEST_F(TcpOpen, SimultaneousOpen) {
    TcpSocket* s = connect_syn_sent();
    // Their SYN crosses ours: SYN-RECEIVED, and we answer with SYN,ACK (RFC 9293 figure 7).
    send(peer(syn, SeqNum(300)).mss(1460));
    expect_sent({ours(syn, local_isn_, SeqNum(301)).mss(1460)});
    EXPECT_EQ(s->state(), TcpState::syn_received);
    send(peer(syn, SeqNum(300), local_seq_).mss(1460));  // their SYN,ACK
    EXPECT_EQ(s->state(), TcpState::established);
}

TEST_F(TcpOpen, SynSentRetransmitsThenTimesOut) {
    TcpConfig cfg = config_;
    cfg.max_syn_retries = 2;
    make_stack(cfg);
    TcpSocket* s = connect_syn_sent();
    advance(1s);
    expect_sent({ours(syn, local_isn_, std::nullopt).mss(1460)});
    advance(2s);
    expect_sent({ours(syn, local_isn_, std::nullopt).mss(1460)});
    advance(4s);
    expect_nothing();
    EXPECT_EQ(s->state(), TcpState::closed);
    EXPECT_EQ(s->error(), TcpError::timed_out);
}

TEST_F(TcpOpen, ConnectTimeout) {
    TcpConfig cfg = config_;
    cfg.connect_timeout = 2500ms;
    make_stack(cfg);
    TcpSocket* s = connect_syn_sent();
    advance(1s);
    sent();
    advance(1500ms);
    EXPECT_EQ(s->state(), TcpState::closed);
    EXPECT_EQ(s->error(), TcpError::connect_timeout);
}

TEST_F(TcpOpen, FullBacklogWithoutCookiesDropsSyn) {
    make_stack(plain_options(), /*syn_cookies=*/false);
    listener_ = stack_->listen(kLocalPort, 1);
    send(peer(syn, SeqNum(1000)));
    EXPECT_EQ(sent().size(), 1u);
    remote_port_ = 50000;
    send(peer(syn, SeqNum(2000)));
    expect_nothing();
    EXPECT_EQ(drops(DropReason::syn_queue_full), 1u);
}

TEST_F(TcpOpen, FullBacklogAnswersWithSynCookieThatCompletes) {
    listener_ = stack_->listen(kLocalPort, 1);
    send(peer(syn, SeqNum(1000)));
    EXPECT_EQ(sent().size(), 1u);
    remote_port_ = 50000;
    send(peer(syn, SeqNum(2000)).mss(1460));
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].r.flags, syn | ack);
    EXPECT_EQ(out[0].r.ack, 2001u);
    EXPECT_EQ(out[0].r.mss, std::optional<uint16_t>(1460));
    EXPECT_EQ(stack_->counters().syn_cookies_sent, 1u);
    EXPECT_EQ(stack_->connection_count(), 1u);  // no state for the cookie
    // The first SYN's child completes and frees its slot in the backlog? No: a cookie
    // connection goes straight to the accept queue, which has room for one.
    send(peer(0, SeqNum(2001), SeqNum(out[0].r.seq + 1)).data("hi"));
    EXPECT_EQ(stack_->counters().syn_cookies_accepted, 1u);
    TcpSocket* s = listener_->accept();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->state(), TcpState::established);
    EXPECT_EQ(s->remote().port, 50000);
    EXPECT_EQ(s->smss(), 1460u);
    EXPECT_EQ(s->readable_bytes(), 2u);
}

TEST_F(TcpOpen, ForgedCookieAckIsReset) {
    listener_ = stack_->listen(kLocalPort, 1);
    send(peer(0, SeqNum(2001), SeqNum(123456)));
    expect_sent({ours(rst, SeqNum(123456), std::nullopt, 0)});
    EXPECT_EQ(listener_->accept(), nullptr);
}

TEST_F(TcpOpen, EphemeralPortsAreDistinctAndInRange) {
    std::vector<uint16_t> ports;
    for (int i = 0; i < 50; ++i) {
        TcpSocket* s = stack_->connect({kRemoteIp, 80}, now_);
        ASSERT_NE(s, nullptr);
        ports.push_back(s->local().port);
        EXPECT_GE(s->local().port, 49152);
    }
    sent();
    std::sort(ports.begin(), ports.end());
    EXPECT_EQ(std::adjacent_find(ports.begin(), ports.end()), ports.end());
}

TEST_F(TcpOpen, EphemeralPortFilterIsObeyed) {
    TcpConfig cfg = config_;
    int calls = 0;
    cfg.ephemeral_port_filter = [](void* ctx, wire::Ipv4Addr, uint16_t port, wire::Ipv4Addr,
                                   uint16_t) {
        ++*static_cast<int*>(ctx);
        return port % 4 == 1;  // a shard that owns one port in four
    };
    cfg.ephemeral_port_filter_ctx = &calls;
    make_stack(cfg);
    for (int i = 0; i < 20; ++i) {
        TcpSocket* s = stack_->connect({kRemoteIp, 80}, now_);
        ASSERT_NE(s, nullptr);
        EXPECT_EQ(s->local().port % 4, 1);
    }
    EXPECT_GT(calls, 20);
}

TEST_F(TcpOpen, ConnectToTupleInUseFails) {
    connect_syn_sent();
    EXPECT_EQ(stack_->connect({kRemoteIp, kRemotePort}, now_, kLocalPort), nullptr);
}

TEST_F(TcpOpen, SecondListenOnPortFails) {
    EXPECT_NE(stack_->listen(8080, 4), nullptr);
    EXPECT_EQ(stack_->listen(8080, 4), nullptr);
}

TEST_F(TcpOpen, AcceptQueueHoldsBacklogConnections) {
    listener_ = stack_->listen(kLocalPort, 2);
    for (uint16_t i = 0; i < 2; ++i) {
        remote_port_ = static_cast<uint16_t>(40000 + i);
        send(peer(syn, SeqNum(100)));
        auto out = sent();
        ASSERT_EQ(out.size(), 1u);
        send(peer(0, SeqNum(101), SeqNum(out[0].r.seq + 1)));
    }
    EXPECT_EQ(listener_->pending(), 2u);
    EXPECT_NE(listener_->events() & tcp_event::accepted, 0u);
    TcpSocket* a = listener_->accept();
    TcpSocket* b = listener_->accept();
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(a->remote().port, 40000);
    EXPECT_EQ(b->remote().port, 40001);
    EXPECT_EQ(listener_->pending(), 0u);
}

TEST_F(TcpOpen, ClosingAListenerResetsItsQueuedConnections) {
    listener_ = stack_->listen(kLocalPort, 4);
    send(peer(syn, SeqNum(100)));  // stays in SYN-RECEIVED
    const SeqNum iss_a(sent().at(0).r.seq);
    remote_port_ = 40001;
    send(peer(syn, SeqNum(200)));
    const SeqNum iss_b(sent().at(0).r.seq);
    send(peer(0, SeqNum(201), iss_b + 1));  // completed, waiting in accept()
    EXPECT_EQ(stack_->connection_count(), 2u);
    stack_->close_listener(listener_);
    auto out = sent();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].r.flags | out[1].r.flags, rst);
    EXPECT_EQ(stack_->connection_count(), 0u);
    (void)iss_a;
    // The port is closed now.
    remote_port_ = 40002;
    send(peer(syn, SeqNum(300)));
    expect_sent({ours(rst, SeqNum(0), SeqNum(301), 0)});
}

TEST_F(TcpOpen, DataOnASynIsNotAcknowledged) {
    listener_ = stack_->listen(kLocalPort, 4);
    send(peer(syn, SeqNum(100)).data("early"));
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].r.ack, 101u);  // only the SYN: the peer sends the data again
}

}  // namespace
}  // namespace shunt::tcp::test
