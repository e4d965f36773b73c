// Robustness: seeded random segments (any flags, sequence and acknowledgment numbers near and
// far from the windows, options, payloads) against a listener and connections in several
// states. Nothing may crash (run it under ASan/UBSan), every reply must parse and checksum,
// and when the stack is gone every buffer must be back in the pool.
#include "tcp_fixture.hpp"

#include <random>

namespace shunt::tcp::test {
namespace {

class TcpRandom : public TcpTest {
  protected:
    Seg random_segment(std::mt19937& rng, SeqNum near_seq, SeqNum near_ack) {
        auto pick = [&](uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n)(rng); };
        const uint8_t flags = static_cast<uint8_t>(pick(255) & (syn | fin | rst | psh | ack));
        const int32_t dseq = static_cast<int32_t>(pick(200000)) - 100000;
        const int32_t dack = static_cast<int32_t>(pick(200000)) - 100000;
        SeqNum seq = pick(3) == 0 ? SeqNum(pick(UINT32_MAX)) : near_seq + dseq;
        SeqNum ackn = pick(3) == 0 ? SeqNum(pick(UINT32_MAX)) : near_ack + dack;
        Seg s = peer(flags, seq, std::nullopt, static_cast<uint16_t>(pick(65535)));
        s.r.ack = ackn.raw();
        if (pick(4) == 0) s.mss(static_cast<uint16_t>(pick(65535)));
        if (pick(4) == 0) s.ws(static_cast<uint8_t>(pick(20)));
        if (pick(4) == 0) s.sack_perm();
        if (pick(3) == 0) s.ts(pick(UINT32_MAX), pick(UINT32_MAX));
        if (pick(4) == 0) {
            const SeqNum l = near_ack + static_cast<int32_t>(pick(20000)) - 10000;
            s.sack({{l, l + pick(5000)}});
        }
        if (pick(2) == 0) s.data(Bytes(pick(1400), static_cast<uint8_t>(pick(255))));
        return s;
    }
};

TEST_F(TcpRandom, SurvivesRandomSegmentsInEveryState) {
    SocketOptions o = plain_options();
    o.sack = true;
    o.timestamps = true;
    o.window_scaling = true;
    make_stack(o);
    std::mt19937 rng(20261122);
    listener_ = stack_->listen(kLocalPort, 8);
    for (int round = 0; round < 40; ++round) {
        remote_port_ = static_cast<uint16_t>(30000 + round);
        // A connection in a state that depends on the round, then noise at it.
        TcpSocket* s = stack_->connect({kRemoteIp, remote_port_}, now_, 0);
        ASSERT_NE(s, nullptr);
        local_port_ = s->local().port;
        const SeqNum iss(sent().at(0).r.seq);
        if (round % 4 != 0) send(peer(syn, SeqNum(5000), iss + 1).sack_perm().ts(1, 1));
        if (round % 4 == 2) s->copy_send(Bytes(3000, 7));
        if (round % 4 == 3) s->shutdown_write();
        for (int i = 0; i < 300; ++i) {
            send(random_segment(rng, SeqNum(5001), iss + 1));
            if (i % 50 == 0) advance(std::chrono::milliseconds(rng() % 3000));
            sent();  // every segment sent was parsed and checksum-verified by the capture
        }
        local_port_ = kLocalPort;
        for (int i = 0; i < 100; ++i) send(random_segment(rng, SeqNum(5001), SeqNum(1)));
        while (TcpSocket* a = listener_->accept()) a->abort();
        s->abort();
        sent();
    }
    advance(std::chrono::hours(1));
    // The noise reached the connections and exercised the defences.
    const TcpCounters& c = stack_->counters();
    EXPECT_GE(c.segments_rx, 40u * 400u);
    EXPECT_GT(c.challenge_acks, 0u);
    EXPECT_GT(drops(DropReason::out_of_window), 0u);
    EXPECT_GT(drops(DropReason::rst_invalid), 0u);
    EXPECT_GT(drops(DropReason::no_socket) + drops(DropReason::listen_invalid), 0u);
    EXPECT_EQ(stack_->send_buffers_held(), 0u);  // every socket was aborted
    stack_.reset();
    EXPECT_EQ(out_.pool().available(), out_.pool().capacity());
}

}  // namespace
}  // namespace shunt::tcp::test
