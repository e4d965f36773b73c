// The Stack (one shard): poll runs ingress, timers, applications, egress, so a request that
// arrives in a poll is answered by that poll; a TX ring that refuses frames holds the answer
// for the next poll instead of dropping it. TcpServices run inside the poll as a StackApp.
#include "stack/stack.hpp"
#include "../iface/fake_nic.hpp"
#include "../iface/frames.hpp"
#include "stack/tcp_services.hpp"

#include <gtest/gtest.h>

#include <string>

namespace shunt {
namespace {

using test::Bytes;
using test::FakeNic;
using wire::Ipv4Addr;
using namespace wire::tcp_flag;

const MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x99}};
const Ipv4Addr kOurIp = Ipv4Addr::from_octets(10, 0, 0, 2);
const Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);
constexpr uint16_t kEcho = 7;

InterfaceConfig iface_config() {
    InterfaceConfig c;
    c.mac = kOurMac;
    c.address = wire::Ipv4Cidr{kOurIp, 24};
    return c;
}

tcp::TcpConfig tcp_config() {
    tcp::TcpConfig c;
    c.defaults.window_scaling = false;
    c.defaults.timestamps = false;
    c.defaults.sack = false;
    c.secret[0] = 9;
    return c;
}

// An application that records the TCP segments the stack had sent when it ran.
struct Probe final : StackApp {
    FakeNic* nic = nullptr;
    size_t runs = 0;
    size_t frames_seen = 0;
    size_t run(Instant) noexcept override {
        ++runs;
        frames_seen = nic->counters().tx_packets;
        return 0;
    }
};

class StackTest : public ::testing::Test {
  protected:
    StackTest() : stack_(nic_, 0, iface_config(), tcp_config()) {
        app::ServicePorts ports;
        ports.discard.reset();
        services_ = TcpServices::start(stack_, ports, {}).value();
        stack_.poll(now_);
        nic_.take_sent();  // gratuitous ARP
        nic_.inject(
            test::eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                            test::arp_packet(wire::ArpOp::request, kPeerMac, kPeerIp, {}, kOurIp)));
        stack_.poll(now_);
        nic_.take_sent();  // ARP reply
    }

    void inject_tcp(wire::TcpRepr r, const std::string& payload = {}) {
        r.payload_len = static_cast<uint16_t>(payload.size());
        Bytes seg(r.header_len() + payload.size());
        std::copy(payload.begin(), payload.end(), seg.begin() + static_cast<long>(r.header_len()));
        wire::TcpView v(seg);
        r.emit(v, kPeerIp, kOurIp);
        nic_.inject(
            test::eth_frame(kOurMac, kPeerMac, wire::ethertype::ipv4,
                            test::ipv4_packet({kPeerIp, kOurIp, wire::ip_proto::tcp}, seg)));
    }
    std::vector<std::pair<wire::TcpRepr, std::string>> sent_tcp() {
        std::vector<std::pair<wire::TcpRepr, std::string>> out;
        for (auto& f : nic_.take_sent()) {
            auto s = test::parse_sent(std::move(f));
            if (!s.is_ipv4()) continue;
            Bytes seg = s.ip_payload();
            auto view = wire::TcpView::check(seg);
            EXPECT_TRUE(view.ok());
            auto r = wire::TcpRepr::parse(view.value, kOurIp, kPeerIp, true);
            EXPECT_TRUE(r.ok());
            auto p = view.value.payload();
            out.emplace_back(r.value, std::string(p.begin(), p.end()));
        }
        return out;
    }
    static wire::TcpRepr seg(uint32_t seqno, uint8_t flags, uint32_t ackno = 0) {
        wire::TcpRepr r;
        r.src_port = 40000;
        r.dst_port = kEcho;
        r.seq = seqno;
        r.ack = ackno;
        r.flags = flags;
        r.window = 65535;
        return r;
    }
    // SYN in, SYN,ACK out; returns our ISS.
    uint32_t handshake() {
        inject_tcp(seg(1000, syn));
        stack_.poll(now_);
        auto out = sent_tcp();
        EXPECT_EQ(out.size(), 1u);
        if (out.empty()) return 0;
        EXPECT_EQ(out[0].first.flags, syn | ack);
        return out[0].first.seq;
    }

    FakeNic nic_{kOurMac};
    Instant now_ = Instant(5'000'000);
    Stack stack_;
    std::unique_ptr<TcpServices> services_;
};

// Run to completion: the handshake's ACK and a request arrive in one batch; the echo service
// runs between ingress and egress, so the answer (carrying the ACK) leaves in the same poll.
TEST_F(StackTest, EchoAnswersInThePollTheRequestArrivedIn) {
    const uint32_t iss = handshake();
    inject_tcp(seg(1001, ack, iss + 1));
    inject_tcp(seg(1001, ack | psh, iss + 1), "hello");
    stack_.poll(now_);
    // The read opened the window (recv_buffer > 64 KiB, RFC 9293 §3.8.6.2.2): a window
    // update with the ACK goes first, as it did before the Stack; the answer follows.
    auto out = sent_tcp();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].second, "");
    EXPECT_EQ(out[0].first.ack, 1006u);
    EXPECT_EQ(out[1].second, "hello");
    EXPECT_EQ(out[1].first.seq, iss + 1);
    EXPECT_EQ(out[1].first.ack, 1006u);
    EXPECT_EQ(services_->counters().accepted, 1u);
    EXPECT_EQ(services_->counters().bytes_in, 5u);
    // The stats file's "tcp" section, built from the layers' own to_json.
    const nlohmann::ordered_json j = services_->stats();
    EXPECT_EQ(j["connections"], 1);
    EXPECT_EQ(j["segments_rx"], 3);  // SYN, ACK, data
    EXPECT_EQ(j["services"]["accepted"], 1);
    EXPECT_EQ(j["services"]["bytes_out"], 5);
    EXPECT_EQ(j.begin().key(), "connections");  // insertion order: the file's key order
}

// Applications run after ingress and timers and before egress: what they see sent is only
// what earlier polls sent.
TEST_F(StackTest, AppsRunBetweenIngressAndEgress) {
    Probe probe;
    probe.nic = &nic_;
    stack_.add_app(probe);
    const uint64_t before = nic_.counters().tx_packets;
    inject_tcp(seg(1000, syn));
    stack_.poll(now_);
    EXPECT_EQ(probe.runs, 1u);
    EXPECT_EQ(probe.frames_seen, before);               // the SYN,ACK had not left yet
    EXPECT_EQ(nic_.counters().tx_packets, before + 1);  // it left in this poll's egress
    stack_.remove_app(probe);
}

// Back-pressure end to end: the NIC takes nothing; the answer waits (nothing dropped, no
// retransmission), the stack asks to be polled again after a short back-off (not at once: a
// loop sleeping until next_deadline would spin), and the next poll with room sends it.
TEST_F(StackTest, AFullTxRingHoldsTheAnswerForTheNextPoll) {
    const uint32_t iss = handshake();
    nic_.set_tx_capacity(0);
    inject_tcp(seg(1001, ack, iss + 1));
    inject_tcp(seg(1001, ack | psh, iss + 1), "again");
    stack_.poll(now_);
    EXPECT_TRUE(sent_tcp().empty());
    EXPECT_TRUE(stack_.iface().tx_stalled());
    EXPECT_EQ(stack_.next_deadline(), std::optional<Instant>(now_ + 50us));
    nic_.set_tx_capacity(SIZE_MAX);
    now_ += 50us;
    stack_.poll(now_);
    auto out = sent_tcp();
    ASSERT_EQ(out.size(), 2u);  // the window update, then the answer, in order
    EXPECT_EQ(out[1].second, "again");
    EXPECT_EQ(stack_.iface().drops()[DropReason::tx_queue_full], 0u);
    EXPECT_EQ(stack_.tcp().counters().retransmits, 0u);
    // Nothing held back any more: only TCP's own timers (the RTO) remain.
    EXPECT_GT(stack_.next_deadline().value_or(Instant{}), now_ + 100ms);
}

// While the ring stays full the retries back off (doubling, bounded); progress resets them;
// new work from outside the poll (an application call) asks for the next poll at once.
TEST_F(StackTest, RetriesOfAFullTxRingBackOffAndNewWorkDoesNotWait) {
    const uint32_t iss = handshake();
    nic_.set_tx_capacity(0);
    inject_tcp(seg(1001, ack | psh, iss + 1), "x");
    std::vector<int64_t> waits;
    for (int i = 0; i < 7; ++i) {
        stack_.poll(now_);
        const std::optional<Instant> d = stack_.next_deadline();
        ASSERT_TRUE(d.has_value());
        waits.push_back((*d - now_).count());
        now_ = *d;
    }
    EXPECT_EQ(waits, (std::vector<int64_t>{50, 100, 200, 400, 800, 1000, 1000}));
    EXPECT_TRUE(sent_tcp().empty());
    // An active open outside the poll marks a socket: that is not held back work.
    ASSERT_NE(stack_.connect({kPeerIp, 5000}, now_), nullptr);
    EXPECT_EQ(stack_.next_deadline(), std::optional<Instant>(now_));
    // One frame of room: progress, so the next retry is the shortest again.
    nic_.set_tx_capacity(1);
    stack_.poll(now_);
    EXPECT_EQ(sent_tcp().size(), 1u);
    EXPECT_EQ(stack_.next_deadline(), std::optional<Instant>(now_ + 50us));
    EXPECT_EQ(stack_.iface().drops()[DropReason::tx_queue_full], 0u);
}

// Shutdown: every open connection is reset, and shutdown_step reports done only once egress
// handed all the RSTs to the NIC (here one frame per poll: the second waits for a retry).
TEST_F(StackTest, ShutdownResetsEveryConnectionAndWaitsForTheRing) {
    std::vector<uint32_t> iss;
    for (uint16_t port : {uint16_t{40000}, uint16_t{40001}}) {
        wire::TcpRepr syn_seg = seg(1000, syn);
        syn_seg.src_port = port;
        inject_tcp(syn_seg);
        stack_.poll(now_);
        auto out = sent_tcp();
        ASSERT_EQ(out.size(), 1u);
        iss.push_back(out[0].first.seq);
        wire::TcpRepr ack_seg = seg(1001, ack, out[0].first.seq + 1);
        ack_seg.src_port = port;
        inject_tcp(ack_seg);
        stack_.poll(now_);
    }
    ASSERT_EQ(stack_.tcp().connection_count(), 2u);
    nic_.set_tx_capacity(1);
    EXPECT_FALSE(stack_.shutdown_step(now_));
    now_ += 50us;
    EXPECT_TRUE(stack_.shutdown_step(now_));
    auto out = sent_tcp();
    ASSERT_EQ(out.size(), 2u);
    for (size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(out[i].first.flags & rst, rst);
        EXPECT_EQ(out[i].first.dst_port, 40000 + i);
        EXPECT_EQ(out[i].first.seq, iss[i] + 1);  // SND.MAX: exact for the peer
    }
    EXPECT_EQ(stack_.tcp().counters().resets_tx, 2u);
}

// More connections than TCP's reply ring (256) holds RSTs: each step aborts only as many as
// fit, so none is dropped (reply_queue_full stays 0) and the last step reports done.
TEST_F(StackTest, ShutdownOfMoreConnectionsThanTheReplyRingLosesNoRst) {
    constexpr uint16_t kConns = 300;
    for (uint16_t i = 0; i < kConns; ++i) {
        wire::TcpRepr syn_seg = seg(1000, syn);
        syn_seg.src_port = static_cast<uint16_t>(20000 + i);
        inject_tcp(syn_seg);
        stack_.poll(now_);
        auto out = sent_tcp();
        ASSERT_EQ(out.size(), 1u);
        wire::TcpRepr ack_seg = seg(1001, ack, out[0].first.seq + 1);
        ack_seg.src_port = syn_seg.src_port;
        inject_tcp(ack_seg);
        stack_.poll(now_);
    }
    ASSERT_EQ(stack_.tcp().connection_count(), kConns);
    size_t steps = 1;
    while (!stack_.shutdown_step(now_) && steps < 10) ++steps;
    EXPECT_EQ(steps, 2u);  // 256 RSTs, then the other 44
    size_t resets = 0;
    for (const auto& [r, payload] : sent_tcp()) resets += (r.flags & rst) != 0 ? 1 : 0;
    EXPECT_EQ(resets, kConns);
    EXPECT_EQ(stack_.tcp().drops()[tcp::DropReason::reply_queue_full], 0u);
}

}  // namespace
}  // namespace shunt
