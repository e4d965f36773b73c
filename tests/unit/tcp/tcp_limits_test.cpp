// Issue 11's per-peer limits in TCP: the RFC 5961 §7 reply rate limits (challenge ACKs per
// connection and stack-wide, ACKs for unacceptable segments per connection, RSTs for no
// connection) and the per-source connection cap (TcpConfig::max_per_source).
#include "tcp_fixture.hpp"

namespace shunt::tcp::test {
namespace {

class TcpLimits : public TcpTest {
  protected:
    // A configuration like the fixture's, with the limits under test.
    TcpConfig limits_config() {
        TcpConfig cfg;
        cfg.defaults = plain_options();
        cfg.secret = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        return cfg;
    }
    // A segment from any remote address (the fixture's send() is from kRemoteIp only).
    void send_from(wire::Ipv4Addr src, const Seg& s) {
        PacketBuf* b = out_.pool().alloc();
        ASSERT_NE(b, nullptr);
        Packet p(b);
        const size_t hlen = s.r.header_len();
        uint8_t* h = p->append(hlen + s.payload.size());
        wire::TcpRepr r = s.r;
        r.payload_len = 0;
        wire::TcpView view(std::span(h, hlen));
        r.emit(view, src, kLocalIp);
        Ipv4Meta meta{src, kLocalIp, wire::ip_proto::tcp, false};
        stack_->receive(meta, PacketChain(std::move(p)), now_);
    }
    Seg syn_from_port(uint16_t port) const {
        Seg s = peer(syn, remote_isn_);
        s.r.src_port = port;
        return s;
    }
    size_t count_flags(const std::vector<Seg>& segs, uint8_t flags) const {
        size_t n = 0;
        for (const Seg& s : segs) n += s.r.flags == flags ? 1 : 0;
        return n;
    }
};

TEST_F(TcpLimits, ChallengeAcksAreLimitedPerConnection) {
    TcpSocket* s = connect_established();
    // RFC 5961 §3.2: an in-window RST draws a challenge ACK; a burst of them draws one per
    // invalid_ack_interval (500 ms), as Linux's tcp_invalid_ratelimit.
    for (int i = 0; i < 10; ++i) send(peer(rst, remote_seq_ + 1 + i));
    expect_sent({ours(0, local_seq_, remote_seq_)});
    EXPECT_EQ(drops(DropReason::rst_challenged), 10u);
    EXPECT_EQ(drops(DropReason::challenge_limited), 9u);
    EXPECT_EQ(stack_->counters().challenge_acks, 1u);
    advance(std::chrono::milliseconds(499));
    send(peer(syn, remote_seq_ + 5));
    expect_nothing();
    advance(std::chrono::milliseconds(1));
    send(peer(syn, remote_seq_ + 5));
    expect_sent({ours(0, local_seq_, remote_seq_)});
    EXPECT_EQ(s->state(), TcpState::established);
}

TEST_F(TcpLimits, ChallengeAcksHaveAStackWideBudget) {
    TcpConfig cfg = limits_config();
    cfg.challenge_ack_limit = 3;
    cfg.invalid_ack_interval = Duration(0);  // per connection: off, to see the global one
    make_stack(cfg);
    connect_established();
    for (int i = 0; i < 10; ++i) send(peer(rst, remote_seq_ + 1 + i));
    EXPECT_EQ(sent().size(), 3u);
    EXPECT_EQ(stack_->counters().challenge_acks, 3u);
    EXPECT_EQ(drops(DropReason::challenge_limited), 7u);
    // The budget refills at challenge_ack_limit per second.
    advance(std::chrono::seconds(1));
    for (int i = 0; i < 10; ++i) send(peer(rst, remote_seq_ + 1 + i));
    EXPECT_EQ(stack_->counters().challenge_acks, 6u);
}

TEST_F(TcpLimits, UnlimitedWhenTheLimitsAreZero) {
    TcpConfig cfg = limits_config();
    cfg.challenge_ack_limit = 0;
    cfg.invalid_ack_interval = Duration(0);
    make_stack(cfg);
    connect_established();
    for (int i = 0; i < 10; ++i) send(peer(rst, remote_seq_ + 1 + i));
    EXPECT_EQ(stack_->counters().challenge_acks, 10u);
    EXPECT_EQ(drops(DropReason::challenge_limited), 0u);
}

TEST_F(TcpLimits, AcksForOutOfWindowSegmentsWithoutDataAreLimited) {
    connect_established();
    // Pure ACKs far beyond the window: one ACK back, the rest counted.
    for (int i = 0; i < 5; ++i) send(peer(0, remote_seq_ + 200000, local_seq_));
    expect_sent({ours(0, local_seq_, remote_seq_)});
    EXPECT_EQ(drops(DropReason::out_of_window), 5u);
    EXPECT_EQ(drops(DropReason::oow_ack_limited), 4u);
    // Old data (a retransmission we already have) is always acknowledged: the peer's
    // recovery needs those ACKs, and data is no ACK loop (Linux exempts it too).
    for (int i = 0; i < 3; ++i) send(peer(0, remote_seq_ - 10, local_seq_).data("0123456789"));
    EXPECT_EQ(sent().size(), 3u);
    EXPECT_EQ(drops(DropReason::oow_ack_limited), 4u);
    advance(std::chrono::milliseconds(500));
    send(peer(0, remote_seq_ + 200000, local_seq_));
    expect_sent({ours(0, local_seq_, remote_seq_)});
}

// While our last advertised window was zero, the peer's zero-window probes (RCV.NXT - 1, no
// data) are answered every time: the reply carries the window, and a lost window update
// must not leave the peer to its persist backoff.
TEST_F(TcpLimits, ZeroWindowProbesAreAlwaysAnswered) {
    SocketOptions o = plain_options();
    o.recv_buffer = 1000;
    make_stack(o);
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_).data(bytes(1000, 'a')));
    expect_sent({ours(0, local_seq_, remote_seq_ + 1000, 0)});
    for (int i = 0; i < 3; ++i) {
        send(peer(0, remote_seq_ + 999, local_seq_));  // a probe, 100 ms apart
        expect_sent({ours(0, local_seq_, remote_seq_ + 1000, 0)});
        advance(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(drops(DropReason::oow_ack_limited), 0u);
    // The application reads: the update goes out; if it is lost, the next probe learns it.
    PacketChain got = s->recv(1000);
    EXPECT_EQ(got.byte_length(), 1000u);
    sent();
    send(peer(0, remote_seq_ + 999, local_seq_));
    expect_sent({ours(0, local_seq_, remote_seq_ + 1000, 1000)});
    // With the window open, the limit applies again to segments without data.
    send(peer(0, remote_seq_ + 999, local_seq_));
    expect_nothing();
    EXPECT_EQ(drops(DropReason::oow_ack_limited), 1u);
}

TEST_F(TcpLimits, AcksFromTimeWaitAreLimitedButFinsAlwaysAnswered) {
    TcpSocket* s = connect_established();
    s->close();
    sent();
    send(peer(fin, remote_seq_, local_seq_ + 1));
    sent();
    ASSERT_EQ(stack_->time_wait_count(), 1u);
    const Seg our_ack = ours(0, local_seq_ + 1, remote_seq_ + 1, 65534);
    // Old SYNs (not beyond the old connection): one ACK per 500 ms.
    for (int i = 0; i < 5; ++i) send(peer(syn, remote_isn_));
    expect_sent({our_ack});
    EXPECT_EQ(drops(DropReason::oow_ack_limited), 4u);
    // A retransmitted FIN (our last ACK was lost) is always acknowledged.
    send(peer(fin, remote_seq_, local_seq_ + 1));
    send(peer(fin, remote_seq_, local_seq_ + 1));
    expect_sent({our_ack, our_ack});
    advance(std::chrono::milliseconds(500));
    send(peer(syn, remote_isn_));
    expect_sent({our_ack});
}

TEST_F(TcpLimits, RepeatedSynsInSynReceivedDrawOneSynAckPerInterval) {
    listener_ = stack_->listen(kLocalPort, 8);
    send(peer(syn, remote_isn_));
    ASSERT_EQ(count_flags(sent(), syn | ack), 1u);
    // The peer repeats its SYN (ours was lost, or a spoofer repeats it): one answer per
    // 500 ms, the rest counted.
    advance(std::chrono::milliseconds(100));
    for (int i = 0; i < 5; ++i) send(peer(syn, remote_isn_));
    EXPECT_EQ(count_flags(sent(), syn | ack), 1u);
    EXPECT_EQ(drops(DropReason::oow_ack_limited), 4u);
    advance(std::chrono::milliseconds(500));
    send(peer(syn, remote_isn_));
    EXPECT_EQ(count_flags(sent(), syn | ack), 1u);
}

TEST_F(TcpLimits, RstsForNoConnectionAreRateLimited) {
    TcpConfig cfg = limits_config();
    cfg.rst_limit = 10;  // per second
    cfg.rst_burst = 5;
    make_stack(cfg);
    for (uint16_t p = 0; p < 20; ++p) send(syn_from_port(static_cast<uint16_t>(40000 + p)));
    const auto out = sent();
    EXPECT_EQ(out.size(), 5u);
    EXPECT_EQ(count_flags(out, rst | ack), 5u);
    EXPECT_EQ(drops(DropReason::no_socket), 20u);
    EXPECT_EQ(drops(DropReason::rst_limited), 15u);
    EXPECT_EQ(stack_->counters().resets_tx, 5u);
    // 10 per second: one more token after 100 ms.
    advance(std::chrono::milliseconds(100));
    send(syn_from_port(41000));
    send(syn_from_port(41001));
    EXPECT_EQ(sent().size(), 1u);
}

TEST_F(TcpLimits, SourceCapDropsSynsBeyondItWithoutEvictingOthers) {
    TcpConfig cfg = limits_config();
    cfg.max_per_source = 3;
    cfg.syn_cookies = false;
    make_stack(cfg);
    listener_ = stack_->listen(kLocalPort, 64);
    const auto a = wire::Ipv4Addr::from_octets(10, 0, 0, 7);
    const auto b = wire::Ipv4Addr::from_octets(10, 0, 0, 8);
    for (uint16_t p = 0; p < 5; ++p) send_from(a, syn_from_port(static_cast<uint16_t>(50000 + p)));
    EXPECT_EQ(count_flags(sent(), syn | ack), 3u);
    EXPECT_EQ(drops(DropReason::source_limit), 2u);
    EXPECT_EQ(stack_->connections_from(a), 3u);
    EXPECT_EQ(listener_->syn_queue_length(), 3u);
    // Another source is not affected, and nothing of a's was evicted for it.
    send_from(b, syn_from_port(50000));
    EXPECT_EQ(count_flags(sent(), syn | ack), 1u);
    EXPECT_EQ(stack_->connections_from(a), 3u);
    EXPECT_EQ(stack_->connections_from(b), 1u);
    // A retransmitted SYN of a connection a already has is not a new connection.
    send_from(a, syn_from_port(50000));
    EXPECT_EQ(count_flags(sent(), syn | ack), 1u);
    EXPECT_EQ(drops(DropReason::source_limit), 2u);
    // When one of a's goes (the peer resets it), a may open another.
    Seg r = peer(rst, remote_isn_ + 1);
    r.r.src_port = 50001;
    send_from(a, r);
    EXPECT_EQ(stack_->connections_from(a), 2u);
    send_from(a, syn_from_port(50010));
    EXPECT_EQ(count_flags(sent(), syn | ack), 1u);
    EXPECT_EQ(stack_->connections_from(a), 3u);
    EXPECT_EQ(stack_->connection_count(), 4u);
}

TEST_F(TcpLimits, SynCookiesDoNotCountButTheirConnectionsDo) {
    TcpConfig cfg = limits_config();
    cfg.max_per_source = 2;
    make_stack(cfg);
    listener_ = stack_->listen(kLocalPort, 1);  // a SYN queue of one: the rest get cookies
    const auto a = wire::Ipv4Addr::from_octets(10, 0, 0, 7);
    send_from(a, syn_from_port(50000));
    send_from(a, syn_from_port(50001));
    send_from(a, syn_from_port(50002));
    const auto out = sent();
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(stack_->counters().syn_cookies_sent, 2u);
    EXPECT_EQ(stack_->connections_from(a), 1u) << "a cookie holds no state";
    // Both cookies come back: the first makes a's second connection, the second is capped.
    for (const Seg& cookie : out) {
        if (cookie.r.dst_port == 50000) continue;  // the SYN queue's own SYN,ACK
        Seg ackseg = peer(0, remote_isn_ + 1, SeqNum(cookie.r.seq) + 1);
        ackseg.r.src_port = cookie.r.dst_port;
        send_from(a, ackseg);
    }
    EXPECT_EQ(stack_->counters().syn_cookies_accepted, 1u);
    EXPECT_EQ(drops(DropReason::source_limit), 1u);
    EXPECT_EQ(stack_->connections_from(a), 2u);
}

}  // namespace
}  // namespace shunt::tcp::test
