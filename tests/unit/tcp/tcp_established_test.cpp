// ESTABLISHED: receiving (delayed ACKs, out of order, duplicates, window edges), sending
// (zero copy, MSS splits, windows, bulk and copying calls).
#include "tcp_fixture.hpp"

namespace shunt::tcp::test {
namespace {

using TcpEstablished = TcpTest;

TEST_F(TcpEstablished, InOrderDataIsAckedAfterTheDelayedAckTime) {
    TcpSocket* s = connect_established();
    send(peer(psh, remote_seq_, local_seq_).data("abc"));
    expect_nothing();
    EXPECT_NE(s->events() & tcp_event::readable, 0u);
    advance(39ms);
    expect_nothing();
    advance(1ms);  // RFC 9293 §3.8.6.3: delayed, but within the 40 ms we chose
    expect_sent({ours(0, local_seq_, remote_seq_ + 3, 65532)});
    PacketChain got = s->recv();
    EXPECT_EQ(text(got), "abc");
    EXPECT_EQ(s->readable_bytes(), 0u);
}

TEST_F(TcpEstablished, EverySecondFullSegmentIsAckedAtOnce) {
    connect_established();
    send(peer(0, remote_seq_, local_seq_).data(bytes(1460, 'a')));
    expect_nothing();
    send(peer(0, remote_seq_ + 1460, local_seq_).data(bytes(1460, 'b')));
    expect_sent({ours(0, local_seq_, remote_seq_ + 2920, 65535 - 2920)});
}

TEST_F(TcpEstablished, AcksOwedInOnePollAreBoundedAndTheNewestStandsForTheRest) {
    connect_established();
    // 20 full segments in one batch owe 10 ACKs (every second one); the socket keeps 8
    // (kOwedAcks: its memory is paid by every idle connection), the last carrying the newest.
    for (uint32_t i = 0; i < 20; ++i) {
        send(peer(0, remote_seq_ + i * 1460, local_seq_).data(bytes(1460, 'a')));
    }
    std::vector<uint32_t> acks;
    for (const Seg& s : sent()) acks.push_back(s.r.ack - remote_seq_.raw());
    EXPECT_EQ(acks, (std::vector<uint32_t>{2920, 5840, 8760, 11680, 14600, 17520, 20440, 29200}));
}

TEST_F(TcpEstablished, OutOfOrderSegmentIsHeldAndAckedAtOnce) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_ + 3, local_seq_).data("def"));
    // RFC 5681 §4.2: an immediate duplicate ACK; the held bytes take window space.
    expect_sent({ours(0, local_seq_, remote_seq_, 65535)});
    EXPECT_EQ(s->readable_bytes(), 0u);
    EXPECT_EQ(stack_->counters().ooo_segments, 1u);
    send(peer(0, remote_seq_, local_seq_).data("abc"));
    // Filling the gap is acknowledged at once too.
    expect_sent({ours(0, local_seq_, remote_seq_ + 6, 65529)});
    EXPECT_EQ(text(s->recv()), "abcdef");
}

TEST_F(TcpEstablished, OverlappingOutOfOrderSegmentsAreTrimmed) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_ + 2, local_seq_).data("cdef"));
    send(peer(0, remote_seq_ + 4, local_seq_).data("efgh"));
    send(peer(0, remote_seq_ + 1, local_seq_).data("bcd"));
    sent();
    send(peer(0, remote_seq_, local_seq_).data("ab"));
    EXPECT_EQ(text(s->recv()), "abcdefgh");
    EXPECT_EQ(s->rcv_nxt(), remote_seq_ + 8);
}

TEST_F(TcpEstablished, DuplicateDataIsAckedAtOnce) {
    connect_established();
    send(peer(0, remote_seq_, local_seq_).data("abc"));
    advance(40ms);
    sent();
    send(peer(0, remote_seq_, local_seq_).data("abc"));
    expect_sent({ours(0, local_seq_, remote_seq_ + 3, 65532)});
    EXPECT_EQ(stack_->counters().dup_segments, 1u);
}

TEST_F(TcpEstablished, PartlyDuplicateSegmentKeepsItsNewBytes) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_).data("abc"));
    send(peer(0, remote_seq_ + 1, local_seq_).data("bcdef"));
    EXPECT_EQ(text(s->recv()), "abcdef");
}

TEST_F(TcpEstablished, UnacceptableSegmentDrawsAnAck) {
    connect_established();
    send(peer(0, remote_seq_ + 70000, local_seq_).data("zz"));
    expect_sent({ours(0, local_seq_, remote_seq_, 65535)});
    EXPECT_EQ(drops(DropReason::out_of_window), 1u);
}

TEST_F(TcpEstablished, SendIsZeroCopyAndReleasedWhenAcked) {
    TcpSocket* s = connect_established();
    const uint32_t free_before = out_.pool().available();
    Packet p = payload("hello");
    PacketBuf* raw = p.get();
    EXPECT_EQ(s->send(std::move(p)), TcpSendStatus::queued);
    expect_sent({ours(psh, local_seq_, remote_seq_).data("hello")});
    EXPECT_EQ(raw->refcount(), 1u);  // the socket's reference, until acknowledged
    EXPECT_EQ(stack_->counters().tx_copy_bytes, 0u);
    send(peer(0, remote_seq_, local_seq_ + 5));
    expect_nothing();
    EXPECT_EQ(s->snd_una(), local_seq_ + 5);
    EXPECT_EQ(out_.pool().available(), free_before);
}

TEST_F(TcpEstablished, ChecksumIsLeftToTheNicThatOffloadsIt) {
    out_.set_offload(true);
    TcpSocket* s = connect_established();
    s->send(payload("hello"));
    // The same segments (the fake NIC fills the sums before they are parsed), but TCP
    // computed none of them: each left the field zero and asked for tx_flags::l4_csum.
    expect_sent({ours(psh, local_seq_, remote_seq_).data("hello")});
    send(peer(0, remote_seq_, local_seq_ + 5).data("x"));
    advance(40ms);
    expect_sent({ours(0, local_seq_ + 5, remote_seq_ + 1, 65534)});
    EXPECT_EQ(out_.offloaded(), 4u);  // SYN, ACK, data, delayed ACK
}

TEST_F(TcpEstablished, SendRefusesBufferWithoutHeadroom) {
    TcpSocket* s = connect_established();
    Packet p = payload("x");
    p->prepend(100);  // leaves 28 bytes of headroom: not enough for TCP + IPv4 + Ethernet
    EXPECT_EQ(s->send(std::move(p)), TcpSendStatus::bad_buffer);
    EXPECT_EQ(s->send(Packet{}), TcpSendStatus::bad_buffer);
    expect_nothing();
}

TEST_F(TcpEstablished, BufferOverMssIsSplitAndTheRestCopied) {
    TcpSocket* s = connect_established(536);
    EXPECT_EQ(s->smss(), 536u);
    s->set_nodelay(true);
    ASSERT_EQ(s->send(payload(1000, 'x')), TcpSendStatus::queued);
    // The first MSS goes zero copy; the rest starts inside the buffer, whose bytes before it
    // are still unacknowledged, so it is copied (and counted).
    expect_sent({ours(0, local_seq_, remote_seq_).data(bytes(536, 'x')),
                 ours(psh, local_seq_ + 536, remote_seq_).data(bytes(464, 'x'))});
    EXPECT_EQ(stack_->counters().tx_copy_bytes, 464u);
}

TEST_F(TcpEstablished, TailOfAPartlyAckedBufferGoesZeroCopy) {
    TcpSocket* s = connect_established(536);
    ASSERT_EQ(s->send(payload(1000, 'x')), TcpSendStatus::queued);
    // Nagle holds the 464-byte tail while the first MSS is unacknowledged.
    expect_sent({ours(0, local_seq_, remote_seq_).data(bytes(536, 'x'))});
    send(peer(0, remote_seq_, local_seq_ + 536));
    // Acknowledged bytes may be overwritten: the header goes right in front of the tail.
    expect_sent({ours(psh, local_seq_ + 536, remote_seq_).data(bytes(464, 'x'))});
    EXPECT_EQ(stack_->counters().tx_copy_bytes, 0u);
}

TEST_F(TcpEstablished, NoDelaySendsSmallSegmentsAtOnce) {
    TcpSocket* s = connect_established();
    s->set_nodelay(true);
    s->send(payload("a"));
    expect_sent({ours(psh, local_seq_, remote_seq_).data("a")});
    s->send(payload("b"));  // "a" is unacknowledged: only nodelay lets this go
    expect_sent({ours(psh, local_seq_ + 1, remote_seq_).data("b")});
}

// Sends within one poll go out together in its egress; PSH marks the end of what was queued.
TEST_F(TcpEstablished, SendsOfOnePollLeaveTogetherInEgress) {
    TcpSocket* s = connect_established();
    s->set_nodelay(true);
    s->send(payload("a"));
    s->send(payload("b"));
    expect_sent({ours(0, local_seq_, remote_seq_).data("a"),
                 ours(psh, local_seq_ + 1, remote_seq_).data("b")});
}

// Back-pressure: when the TX ring takes no more, egress stops; the rest stays queued on the
// socket (nothing dropped, nothing counted as lost) and goes, in order, next time.
TEST_F(TcpEstablished, AFullTxRingHoldsSegmentsForTheNextEgress) {
    TcpSocket* s = connect_established();
    s->set_nodelay(true);
    for (char c : {'a', 'b', 'c'}) s->send(payload(1460, static_cast<uint8_t>(c)));
    out_.set_tx_room(1);
    expect_sent({ours(0, local_seq_, remote_seq_).data(bytes(1460, 'a'))});
    EXPECT_TRUE(stack_->egress_pending());
    EXPECT_EQ(stack_->next_deadline(), std::optional<Instant>(now_));
    expect_nothing();  // still no room
    out_.set_tx_room(SIZE_MAX);
    expect_sent({ours(0, local_seq_ + 1460, remote_seq_).data(bytes(1460, 'b')),
                 ours(psh, local_seq_ + 2920, remote_seq_).data(bytes(1460, 'c'))});
    EXPECT_EQ(stack_->counters().retransmits, 0u);
    EXPECT_EQ(drops(shunt::DropReason::tx_queue_full), 0u);
}

TEST_F(TcpEstablished, EgressSendsWhatAnApplicationCallMadeReady) {
    TcpSocket* s = connect_established();
    s->send(payload("a"));
    EXPECT_TRUE(out_.take().empty());  // an application call never sends by itself
    expect_sent({ours(psh, local_seq_, remote_seq_).data("a")});
    s->send(payload("b"));  // held by Nagle behind "a"
    expect_nothing();
    // Turning Nagle off sends nothing by itself; the next egress visits this socket.
    s->set_nodelay(true);
    EXPECT_TRUE(out_.take().empty());
    EXPECT_TRUE(stack_->egress_pending());
    expect_sent({ours(psh, local_seq_ + 1, remote_seq_).data("b")});
    EXPECT_FALSE(stack_->egress_pending());
    expect_nothing();
}

TEST_F(TcpEstablished, FlushRetriesAnAckThePoolCouldNotCarry) {
    connect_established();
    send(peer(0, remote_seq_, local_seq_).data("x"));
    // The pool runs dry: the delayed ACK cannot go when its timer fires.
    std::vector<Packet> hog;
    while (PacketBuf* b = out_.pool().alloc()) hog.emplace_back(b);
    advance(40ms);
    expect_nothing();
    EXPECT_EQ(drops(shunt::DropReason::no_buffer), 1u);
    hog.clear();
    stack_->egress(now_);
    expect_sent({ours(0, local_seq_, remote_seq_ + 1, 65534)});
}

TEST_F(TcpEstablished, NagleHoldsSmallSegmentWhileDataIsUnacked) {
    TcpSocket* s = connect_established();
    s->send(payload("a"));
    expect_sent({ours(psh, local_seq_, remote_seq_).data("a")});
    s->send(payload("b"));
    s->send(payload("c"));
    expect_nothing();
    send(peer(0, remote_seq_, local_seq_ + 1));
    // Buffers are never merged (zero copy): "b" goes, "c" waits for its ACK.
    expect_sent({ours(0, local_seq_ + 1, remote_seq_).data("b")});
    send(peer(0, remote_seq_, local_seq_ + 2));
    expect_sent({ours(psh, local_seq_ + 2, remote_seq_).data("c")});
}

TEST_F(TcpEstablished, CopySendTopsUpTheUnsentBuffer) {
    TcpSocket* s = connect_established();
    EXPECT_EQ(s->copy_send(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("ab"), 2)),
              2u);
    expect_sent({ours(psh, local_seq_, remote_seq_).data("ab")});
    s->copy_send(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("cd"), 2));
    s->copy_send(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("ef"), 2));
    expect_nothing();  // Nagle; "cd" and "ef" share one buffer
    send(peer(0, remote_seq_, local_seq_ + 2));
    expect_sent({ours(psh, local_seq_ + 2, remote_seq_).data("cdef")});
    EXPECT_EQ(stack_->counters().tx_copy_bytes, 6u);
}

TEST_F(TcpEstablished, BulkSendQueuesEveryBuffer) {
    TcpSocket* s = connect_established();
    PacketChain chain;
    chain.push_back(payload(1460, '1'));
    chain.push_back(payload(1460, '2'));
    chain.push_back(payload(100, '3'));
    EXPECT_EQ(s->send(chain), 3u);
    EXPECT_TRUE(chain.empty());
    // One output pass: both full segments; the small tail waits for Nagle.
    expect_sent({ours(0, local_seq_, remote_seq_).data(bytes(1460, '1')),
                 ours(0, local_seq_ + 1460, remote_seq_).data(bytes(1460, '2'))});
    send(peer(0, remote_seq_, local_seq_ + 2920));
    expect_sent({ours(psh, local_seq_ + 2920, remote_seq_).data(bytes(100, '3'))});
}

TEST_F(TcpEstablished, SendBufferLimitBlocks) {
    SocketOptions o = plain_options();
    o.send_buffer = 3000;
    make_stack(o);
    TcpSocket* s = connect_established();
    EXPECT_EQ(s->send(payload(1460, 'a')), TcpSendStatus::queued);
    EXPECT_EQ(s->send(payload(1460, 'b')), TcpSendStatus::queued);
    EXPECT_EQ(s->send(payload(1460, 'c')), TcpSendStatus::would_block);
    EXPECT_EQ(s->send_space(), 80u);
    sent();
    send(peer(0, remote_seq_, local_seq_ + 1460));
    EXPECT_EQ(s->send_space(), 1540u);
    EXPECT_NE(s->events() & tcp_event::writable, 0u);
}

TEST_F(TcpEstablished, StackWideSendBufferCapIsShared) {
    TcpConfig cfg = config_;
    cfg.max_send_buffers = 3;
    make_stack(cfg);
    TcpSocket* s = connect_established();
    EXPECT_EQ(s->send(payload("a")), TcpSendStatus::queued);
    EXPECT_EQ(s->send(payload("b")), TcpSendStatus::queued);
    EXPECT_EQ(s->send(payload("c")), TcpSendStatus::queued);
    EXPECT_EQ(stack_->send_buffers_held(), 3u);
    EXPECT_EQ(s->send(payload("d")), TcpSendStatus::would_block);
    EXPECT_EQ(s->send_space(), 0u);
    EXPECT_EQ(s->events() & tcp_event::writable, 0u);
    sent();
    send(peer(0, remote_seq_, local_seq_ + 1));  // "a" acknowledged: one buffer back
    EXPECT_EQ(stack_->send_buffers_held(), 2u);
    EXPECT_EQ(s->send(payload("d")), TcpSendStatus::queued);
    s->abort();
    EXPECT_EQ(stack_->send_buffers_held(), 0u);
}

TEST_F(TcpEstablished, PeerWindowLimitsWhatIsSent) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_, 2000));
    EXPECT_EQ(s->snd_wnd(), 2000u);
    s->send(payload(1460, 'a'));
    s->send(payload(1460, 'b'));
    // 540 bytes of window left: less than half the largest window seen, data in flight.
    expect_sent({ours(0, local_seq_, remote_seq_).data(bytes(1460, 'a'))});
    send(peer(0, remote_seq_, local_seq_ + 1460, 2000));
    expect_sent({ours(psh, local_seq_ + 1460, remote_seq_).data(bytes(1460, 'b'))});
}

TEST_F(TcpEstablished, ReceiveWindowFillsAndReopensWithoutSillyWindows) {
    SocketOptions o = plain_options();
    o.recv_buffer = 4000;
    make_stack(o);
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_, 65535).data(bytes(1460, 'a')));
    send(peer(0, remote_seq_ + 1460, local_seq_).data(bytes(1460, 'b')));
    expect_sent({ours(0, local_seq_, remote_seq_ + 2920, 4000 - 2920)});
    // Beyond the right edge: trimmed to it, ACKed at once.
    send(peer(0, remote_seq_ + 2920, local_seq_).data(bytes(1460, 'c')));
    expect_sent({ours(0, local_seq_, remote_seq_ + 4000, 0)});
    EXPECT_EQ(s->readable_bytes(), 4000u);
    // Reading 10 bytes would open a 10-byte window: SWS avoidance keeps it shut.
    std::array<uint8_t, 10> small{};
    EXPECT_EQ(s->copy_recv(small), 10u);
    expect_nothing();
    // Reading a buffer's worth opens it by at least min(RCV.BUFF/2, MSS): update sent.
    PacketChain got = s->recv(1460);
    EXPECT_EQ(got.byte_length(), 1450u);
    expect_sent({ours(0, local_seq_, remote_seq_ + 4000, 1460)});
}

TEST_F(TcpEstablished, ZeroWindowStillTakesAcks) {
    SocketOptions o = plain_options();
    o.recv_buffer = 1000;
    make_stack(o);
    TcpSocket* s = connect_established();
    s->set_nodelay(true);
    send(peer(0, remote_seq_, local_seq_).data(bytes(1000, 'a')));
    expect_sent({ours(0, local_seq_, remote_seq_ + 1000, 0)});
    s->send(payload("x"));
    sent();
    // Data at RCV.NXT into a zero window: the text is dropped, the ACK is used.
    send(peer(0, remote_seq_ + 1000, local_seq_ + 1).data("more"));
    EXPECT_EQ(s->snd_una(), local_seq_ + 1);
    expect_sent({ours(0, local_seq_ + 1, remote_seq_ + 1000, 0)});
    EXPECT_EQ(s->readable_bytes(), 1000u);
}

TEST_F(TcpEstablished, CopyRecvReadsAcrossBuffers) {
    TcpSocket* s = connect_established();
    send(peer(0, remote_seq_, local_seq_).data("hello "));
    send(peer(0, remote_seq_ + 6, local_seq_).data("world"));
    std::array<uint8_t, 8> a{};
    ASSERT_EQ(s->copy_recv(a), 8u);
    EXPECT_EQ(std::string(a.begin(), a.end()), "hello wo");
    std::array<uint8_t, 8> b{};
    ASSERT_EQ(s->copy_recv(b), 3u);
    EXPECT_EQ(std::string(b.begin(), b.begin() + 3), "rld");
    EXPECT_EQ(stack_->counters().rx_copy_bytes, 11u);
}

struct CallbackLog {
    std::vector<uint32_t> events;
    static void record(void* ctx, TcpSocket&, uint32_t ev) {
        static_cast<CallbackLog*>(ctx)->events.push_back(ev);
    }
};

TEST_F(TcpEstablished, CallbackReportsEventsAfterSegments) {
    TcpSocket* s = connect_established();
    CallbackLog log;
    s->set_callback(&CallbackLog::record, &log);
    send(peer(0, remote_seq_, local_seq_).data("x"));
    ASSERT_EQ(log.events.size(), 1u);
    EXPECT_EQ(log.events[0], tcp_event::readable | tcp_event::writable | tcp_event::connected);
    send(peer(fin, remote_seq_ + 1, local_seq_));
    ASSERT_EQ(log.events.size(), 2u);
    EXPECT_EQ(log.events[1], tcp_event::readable | tcp_event::writable | tcp_event::connected |
                                 tcp_event::peer_closed);
    send(peer(rst, remote_seq_ + 2));
    ASSERT_EQ(log.events.size(), 3u);
    EXPECT_EQ(log.events[2],
              tcp_event::readable | tcp_event::peer_closed | tcp_event::closed | tcp_event::error);
}

TEST_F(TcpEstablished, CongestionAlgorithmIsChosenPerSocketBeforeTheHandshake) {
    TcpSocket* s = connect_syn_sent();
    EXPECT_TRUE(s->set_congestion(CongestionAlgorithm::cubic));
    send(peer(syn, remote_isn_, local_seq_).mss(1460));
    EXPECT_FALSE(s->set_congestion(CongestionAlgorithm::newreno));
    EXPECT_EQ(s->cwnd(), 14600u);
}

TEST_F(TcpEstablished, EventsBeforeAndAfterTheHandshake) {
    TcpSocket* s = connect_syn_sent();
    EXPECT_EQ(s->events(), 0u);
    send(peer(syn, remote_isn_, local_seq_).mss(1460));
    EXPECT_EQ(s->events(), tcp_event::writable | tcp_event::connected);
}

}  // namespace
}  // namespace shunt::tcp::test
