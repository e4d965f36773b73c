// Options: MSS (RFC 9293 §3.7.1), window scaling and timestamps with PAWS (RFC 7323), SACK
// permitted and SACK block generation (RFC 2018).
#include "tcp_fixture.hpp"

namespace shunt::tcp::test {
namespace {

class TcpOptions : public TcpTest {
  protected:
    TcpOptions() {
        SocketOptions o = plain_options();
        o.window_scaling = true;
        o.timestamps = true;
        o.sack = true;
        o.recv_buffer = 1 << 20;  // 1 MiB: window scale 5
        make_stack(o);
    }
    // Our SYN; remembers our timestamp offset (TSval = ms clock + offset).
    TcpSocket* syn_sent() {
        TcpSocket* s = stack_->connect({kRemoteIp, kRemotePort}, now_, kLocalPort);
        auto out = sent();
        EXPECT_EQ(out.size(), 1u);
        local_isn_ = SeqNum(out[0].r.seq);
        local_seq_ = local_isn_ + 1;
        our_ts_ = out[0].r.timestamps.value_or(wire::TcpTimestamps{}).tsval;
        EXPECT_EQ(
            out[0],
            ours(syn, local_isn_, std::nullopt, 65535).mss(1460).ws(5).sack_perm().ts(our_ts_, 0));
        return s;
    }
    uint32_t our_ts_at(Instant t) const {
        return our_ts_ + static_cast<uint32_t>((t - kStart).count() / 1000);
    }
    TcpSocket* established_with_all() {
        TcpSocket* s = syn_sent();
        send(peer(syn, remote_isn_, local_seq_, 100).mss(1460).ws(7).sack_perm().ts(700, our_ts_));
        remote_seq_ = remote_isn_ + 1;
        expect_sent({ours(0, local_seq_, remote_seq_, 32768).ts(our_ts_at(now_), 700)});
        return s;
    }
    uint32_t our_ts_ = 0;
};

TEST_F(TcpOptions, SynOffersEveryOptionAndNegotiationKeepsTheCommonOnes) {
    TcpSocket* s = established_with_all();
    EXPECT_TRUE(s->timestamps_enabled());
    EXPECT_TRUE(s->sack_enabled());
    EXPECT_EQ(s->snd_wscale(), 7);
    EXPECT_EQ(s->rcv_wscale(), 5);
    EXPECT_EQ(s->snd_wnd(), 100u);  // a SYN's window is not scaled (RFC 7323 §2.2)
    // The MSS leaves room for the timestamp option on every segment (RFC 6691).
    EXPECT_EQ(s->smss(), 1460u - 12u);
    send(peer(0, remote_seq_, local_seq_, 100).ts(701, our_ts_));
    EXPECT_EQ(s->snd_wnd(), 100u << 7);
}

TEST_F(TcpOptions, PeerWithoutOptionsTurnsThemOff) {
    TcpSocket* s = syn_sent();
    send(peer(syn, remote_isn_, local_seq_).mss(1200));
    remote_seq_ = remote_isn_ + 1;
    expect_sent({ours(0, local_seq_, remote_seq_, 65535)});
    EXPECT_FALSE(s->timestamps_enabled());
    EXPECT_FALSE(s->sack_enabled());
    EXPECT_EQ(s->rcv_wscale(), 0);
    EXPECT_EQ(s->smss(), 1200u);
}

TEST_F(TcpOptions, MssIsClampedToTheRouteMtu) {
    out_.set_mtu(1400);
    TcpSocket* s = stack_->connect({kRemoteIp, kRemotePort}, now_, kLocalPort);
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].r.mss, std::optional<uint16_t>(1360));
    send(peer(syn, remote_isn_, SeqNum(out[0].r.seq + 1)).mss(1460));
    EXPECT_EQ(s->smss(), 1360u);
}

TEST_F(TcpOptions, NoMssOptionMeans536) {
    SocketOptions o = plain_options();
    make_stack(o);
    TcpSocket* s = connect_syn_sent();
    send(peer(syn, remote_isn_, local_seq_));
    EXPECT_EQ(s->smss(), 536u);
}

TEST_F(TcpOptions, SynAckEchoesOnlyWhatThePeerOffered) {
    listener_ = stack_->listen(kLocalPort, 4);
    send(peer(syn, remote_isn_).mss(1460).ts(55, 0));
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].r.window_scale, std::nullopt);
    EXPECT_FALSE(out[0].r.sack_permitted);
    ASSERT_TRUE(out[0].r.timestamps.has_value());
    EXPECT_EQ(out[0].r.timestamps->tsecr, 55u);
}

TEST_F(TcpOptions, TimestampsAreEchoedAndGiveRttSamples) {
    TcpSocket* s = established_with_all();
    EXPECT_TRUE(s->rto().srtt().has_value());  // from the SYN,ACK's TSecr
    s->send(payload("ping"));
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].r.timestamps, (wire::TcpTimestamps{our_ts_at(now_), 700}));
    now_ += 30ms;
    send(peer(0, remote_seq_, local_seq_ + 4, 100).ts(730, out[0].r.timestamps->tsval));
    // RFC 6298 (2.3): the SYN,ACK gave SRTT 0; now SRTT = 7/8 * 0 + 1/8 * 30 ms.
    EXPECT_EQ(s->rto().srtt(), std::optional<Duration>(3750us));
}

TEST_F(TcpOptions, PawsDropsSegmentsWithOldTimestamps) {
    TcpSocket* s = established_with_all();
    send(peer(0, remote_seq_, local_seq_, 100).ts(800, our_ts_).data("new"));
    EXPECT_EQ(s->readable_bytes(), 3u);
    advance(40ms);
    sent();
    send(peer(0, remote_seq_ + 3, local_seq_, 100).ts(799, our_ts_).data("old"));
    // RFC 7323 §5.3: dropped, and an ACK sent. (1 MiB - 3 bytes, scaled by 2^5.)
    expect_sent({ours(0, local_seq_, remote_seq_ + 3, 32767).ts(our_ts_at(now_), 800)});
    EXPECT_EQ(s->readable_bytes(), 3u);
    EXPECT_EQ(drops(DropReason::paws_rejected), 1u);
}

// A segment whose ACK acknowledges data never sent is dropped (RFC 9293 §3.10.7.4 fifth
// check; RFC 5961 §5.2 "MUST be discarded"), so its TSval must not become TS.Recent: else one
// in-window segment with a bogus ACK and a high TSval (a blind injection, RFC 5961 §1) makes
// PAWS drop everything the real peer sends. packetdrill's ts_recent/invalid_ack.pkt.
TEST_F(TcpOptions, SegmentWithAnUnacceptableAckDoesNotUpdateTsRecent) {
    TcpSocket* s = established_with_all();
    send(peer(fin, remote_seq_, local_seq_ + 9998, 100).ts(200000, our_ts_));
    sent();
    send(peer(0, remote_seq_, local_seq_, 100).ts(701, our_ts_).data("ok"));
    EXPECT_EQ(s->readable_bytes(), 2u);
    EXPECT_EQ(drops(DropReason::paws_rejected), 0u);
    advance(40ms);
    auto out = sent();
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back().r.timestamps.value_or(wire::TcpTimestamps{}).tsecr, 701u);
}

TEST_F(TcpOptions, PawsForgetsTsRecentAfter24DaysIdle) {
    TcpSocket* s = established_with_all();
    send(peer(0, remote_seq_, local_seq_, 100).ts(800, our_ts_).data("new"));
    advance(std::chrono::hours(24 * 24) + 1s);
    sent();
    send(peer(0, remote_seq_ + 3, local_seq_, 100).ts(5, our_ts_).data("old"));
    EXPECT_EQ(s->readable_bytes(), 6u);  // RFC 7323 §5.5: TS.Recent was invalid
    EXPECT_EQ(drops(DropReason::paws_rejected), 0u);
}

TEST_F(TcpOptions, SackBlocksPutTheMostRecentFirstThreeWithTimestamps) {
    established_with_all();
    const SeqNum r = remote_seq_;
    auto ooo = [&](uint32_t off) {
        send(peer(0, r + off, local_seq_, 100).ts(800, our_ts_).data(bytes(10, 'x')));
    };
    auto ack_with = [&](std::initializer_list<std::pair<SeqNum, SeqNum>> blocks) {
        return ours(0, local_seq_, r, 32768).ts(our_ts_at(now_), 700).sack(blocks);
    };
    ooo(10);
    expect_sent({ack_with({{r + 10, r + 20}})});
    ooo(30);
    expect_sent({ack_with({{r + 30, r + 40}, {r + 10, r + 20}})});
    ooo(50);
    expect_sent({ack_with({{r + 50, r + 60}, {r + 30, r + 40}, {r + 10, r + 20}})});
    ooo(70);
    expect_sent({ack_with({{r + 70, r + 80}, {r + 50, r + 60}, {r + 30, r + 40}})});
    // A segment joining two blocks reports the merged block first.
    ooo(20);
    expect_sent({ack_with({{r + 10, r + 40}, {r + 70, r + 80}, {r + 50, r + 60}})});
}

TEST_F(TcpOptions, FourSackBlocksWithoutTimestamps) {
    SocketOptions o = plain_options();
    o.sack = true;
    make_stack(o);
    stack_->connect({kRemoteIp, kRemotePort}, now_, kLocalPort);
    local_seq_ = SeqNum(sent().at(0).r.seq + 1);
    send(peer(syn, remote_isn_, local_seq_).mss(1460).sack_perm());
    remote_seq_ = remote_isn_ + 1;
    sent();
    const SeqNum r = remote_seq_;
    std::vector<Seg> out;
    for (uint32_t off : {10u, 30u, 50u, 70u, 90u}) {
        send(peer(0, r + off, local_seq_).data(bytes(10, 'x')));
        for (Seg& g : sent()) out.push_back(g);
    }
    ASSERT_EQ(out.size(), 5u);
    // Held bytes do not move the right edge left: the window field stays 65535.
    EXPECT_EQ(out[4],
              ours(0, local_seq_, r, 65535)
                  .sack({{r + 90, r + 100}, {r + 70, r + 80}, {r + 50, r + 60}, {r + 30, r + 40}}));
}

}  // namespace
// A peer announcing a tiny MSS (here 4) with timestamps on must not leave the send MSS
// below zero once the 12 option bytes are taken out: the announced MSS is raised to 88
// (Linux's TCP_MIN_MSS). (fuzz_tcp_stack found the wrap-around.)
TEST_F(TcpOptions, TinyPeerMssIsRaisedToTheMinimum) {
    TcpSocket* s = syn_sent();
    send(peer(syn, remote_isn_, local_seq_).mss(4).ts(100, 1).sack_perm());
    ASSERT_TRUE(s->timestamps_enabled());
    EXPECT_EQ(s->smss(), 88u - 12u);
    EXPECT_EQ(s->copy_send(bytes(1000, 1)), 1000u);
}

}  // namespace shunt::tcp::test
