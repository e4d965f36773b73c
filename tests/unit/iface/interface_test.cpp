// The interface as a black box (smoltcp's style): frames in through a fake NIC, exactly these
// frames out, explicit time. ARP, IPv4 input checks, ICMP, UDP, fragmentation, routing.
#include "stack/iface/interface.hpp"
#include "fake_nic.hpp"
#include "frames.hpp"

#include <gtest/gtest.h>

namespace shunt {
namespace {

using namespace test;
using wire::ArpOp;

const MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x99}};
const Ipv4Addr kOurIp = Ipv4Addr::from_octets(10, 0, 0, 2);
const Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);
const Ipv4Addr kGateway = Ipv4Addr::from_octets(10, 0, 0, 254);
const Ipv4Addr kFarIp = Ipv4Addr::from_octets(192, 0, 2, 7);  // TEST-NET-1, off subnet

class InterfaceTest : public ::testing::Test {
  protected:
    void SetUp() override { start({}); }

    void start(std::optional<Ipv4Addr> gateway, uint32_t icmp_burst = 50) {
        InterfaceConfig cfg;
        cfg.mac = kOurMac;
        cfg.address = wire::Ipv4Cidr{kOurIp, 24};
        cfg.gateway = gateway;
        cfg.icmp_error_burst = icmp_burst;
        cfg.icmp_errors_per_sec = 10;
        iface_.reset();
        iface_ = std::make_unique<Interface>(nic_, 0, cfg);
        iface_->poll(now_);
        startup_ = sent();
    }

    std::vector<Sent> sent() {
        std::vector<Sent> out;
        for (auto& f : nic_.take_sent()) out.push_back(parse_sent(std::move(f)));
        return out;
    }
    std::vector<Sent> step(Duration advance = Duration(0)) {
        now_ += advance;
        iface_->poll(now_);
        return sent();
    }
    void inject(const Bytes& frame) { ASSERT_TRUE(nic_.inject(frame)); }
    void inject_ip(const IpFields& f, const Bytes& payload, MacAddr dst = kOurMac) {
        inject(eth_frame(dst, kPeerMac, wire::ethertype::ipv4, ipv4_packet(f, payload)));
    }
    // The peer asks for us: we answer and learn the peer (RFC 826 creates the entry).
    void meet_peer() {
        inject(eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                         arp_packet(ArpOp::request, kPeerMac, kPeerIp, {}, kOurIp)));
        auto out = step();
        ASSERT_EQ(out.size(), 1u);
        ASSERT_TRUE(out[0].is_arp());
    }
    uint64_t drops(DropReason r) const { return iface_->drops()[r]; }

    FakeNic nic_{kOurMac};
    Instant now_ = Instant::from_millis(1000);
    std::unique_ptr<Interface> iface_;
    std::vector<Sent> startup_;
};

TEST_F(InterfaceTest, AnnouncesItselfWithGratuitousArpAtStart) {
    ASSERT_EQ(startup_.size(), 1u);
    ASSERT_TRUE(startup_[0].is_arp());
    EXPECT_TRUE(startup_[0].eth.dst.is_broadcast());
    auto arp = startup_[0].arp();
    EXPECT_EQ(arp.op, ArpOp::request);
    EXPECT_EQ(arp.sender_ip, kOurIp);
    EXPECT_EQ(arp.target_ip, kOurIp);
    EXPECT_EQ(arp.sender_mac, kOurMac);
    EXPECT_TRUE(step(std::chrono::seconds(1)).empty()) << "announced once";
}

TEST_F(InterfaceTest, AnswersArpRequestForOurAddressAndLearnsTheAsker) {
    inject(eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                     arp_packet(ArpOp::request, kPeerMac, kPeerIp, {}, kOurIp)));
    auto out = step();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].eth.dst, kPeerMac);
    EXPECT_EQ(out[0].eth.src, kOurMac);
    auto arp = out[0].arp();
    EXPECT_EQ(arp.op, ArpOp::reply);
    EXPECT_EQ(arp.sender_mac, kOurMac);
    EXPECT_EQ(arp.sender_ip, kOurIp);
    EXPECT_EQ(arp.target_mac, kPeerMac);
    EXPECT_EQ(arp.target_ip, kPeerIp);
    EXPECT_EQ(iface_->neighbors().lookup(kPeerIp), kPeerMac);
}

TEST_F(InterfaceTest, IgnoresArpForOthersWithoutCreatingAnEntry) {
    const Ipv4Addr other = Ipv4Addr::from_octets(10, 0, 0, 3);
    inject(eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                     arp_packet(ArpOp::request, kPeerMac, kPeerIp, {}, other)));
    EXPECT_TRUE(step().empty());
    EXPECT_FALSE(iface_->neighbors().lookup(kPeerIp).has_value());
}

TEST_F(InterfaceTest, AnswersEchoWithTheSamePayload) {
    meet_peer();
    const Bytes data = pattern(56);
    inject_ip({kPeerIp, kOurIp, wire::ip_proto::icmp}, icmp_echo(8, 0x1234, 7, data));
    auto out = step();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].is_ipv4());
    EXPECT_EQ(out[0].eth.dst, kPeerMac);
    EXPECT_TRUE(out[0].ip_checksum_ok());
    auto ip = out[0].ip();
    EXPECT_EQ(ip.src, kOurIp);
    EXPECT_EQ(ip.dst, kPeerIp);
    EXPECT_EQ(ip.protocol, wire::ip_proto::icmp);
    EXPECT_EQ(out[0].ip_payload(), icmp_echo(0, 0x1234, 7, data)) << "type 0, checksum adjusted";
    EXPECT_EQ(iface_->counters().icmp_echo_replies, 1u);
}

TEST_F(InterfaceTest, ReassemblesAFragmentedEchoAndFragmentsTheReply) {
    meet_peer();
    const Bytes echo = icmp_echo(8, 1, 1, pattern(4000, 9));  // 4008 bytes of ICMP
    // Three fragments of 1480, 1480 and 1048 bytes, sent last-first.
    for (int i = 2; i >= 0; --i) {
        const size_t off = static_cast<size_t>(i) * 1480;
        const size_t len = std::min<size_t>(1480, echo.size() - off);
        inject_ip({kPeerIp, kOurIp, wire::ip_proto::icmp, 77, i < 2, static_cast<uint16_t>(off)},
                  Bytes(echo.begin() + static_cast<long>(off),
                        echo.begin() + static_cast<long>(off + len)));
    }
    auto out = step();
    ASSERT_EQ(out.size(), 3u);
    Bytes reassembled;
    for (size_t i = 0; i < out.size(); ++i) {
        auto ip = out[i].ip();
        EXPECT_TRUE(out[i].ip_checksum_ok());
        EXPECT_EQ(ip.frag_offset, reassembled.size());
        EXPECT_EQ(ip.more_frags, i < 2);
        EXPECT_EQ(ip.ident, out[0].ip().ident) << "one datagram";
        auto p = out[i].ip_payload();
        reassembled.insert(reassembled.end(), p.begin(), p.end());
    }
    EXPECT_EQ(reassembled, icmp_echo(0, 1, 1, pattern(4000, 9)));
    EXPECT_EQ(iface_->counters().frag_reassembled, 1u);
    EXPECT_EQ(iface_->counters().frag_tx, 3u);
    EXPECT_EQ(iface_->counters().tx_copy_bytes, 0u) << "reply made in place";
}

TEST_F(InterfaceTest, QueuesBehindArpThenFlushesWhenResolved) {
    // We have never heard of the peer: the echo reply waits for ARP.
    inject_ip({kPeerIp, kOurIp, wire::ip_proto::icmp}, icmp_echo(8, 1, 1, pattern(10)));
    auto out = step();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].is_arp());
    EXPECT_TRUE(out[0].eth.dst.is_broadcast());
    EXPECT_EQ(out[0].arp().target_ip, kPeerIp);
    inject(eth_frame(kOurMac, kPeerMac, wire::ethertype::arp,
                     arp_packet(ArpOp::reply, kPeerMac, kPeerIp, kOurMac, kOurIp)));
    out = step();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].is_ipv4());
    EXPECT_EQ(out[0].eth.dst, kPeerMac);
}

TEST_F(InterfaceTest, GivesUpOnAnUnansweredNeighborAndCountsTheDrop) {
    inject_ip({kPeerIp, kOurIp, wire::ip_proto::icmp}, icmp_echo(8, 1, 1, pattern(10)));
    size_t requests = step().size();
    for (int i = 0; i < 10; ++i) requests += step(std::chrono::seconds(1)).size();
    EXPECT_EQ(requests, 3u) << "max_probes ARP requests, then silence";
    EXPECT_EQ(drops(DropReason::neigh_unresolved), 1u);
}

TEST_F(InterfaceTest, UdpToABoundPortIsDeliveredZeroCopy) {
    meet_peer();
    UdpSocket* s = iface_->udp_bind(5000);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(iface_->udp_bind(5000), nullptr) << "port taken";
    const Bytes data = pattern(300);
    inject_ip({kPeerIp, kOurIp, wire::ip_proto::udp},
              udp_datagram(kPeerIp, kOurIp, 40000, 5000, data));
    EXPECT_TRUE(step().empty());
    UdpDatagram d;
    ASSERT_TRUE(s->recv(d));
    EXPECT_EQ(d.from.addr, kPeerIp);
    EXPECT_EQ(d.from.port, 40000);
    ASSERT_EQ(d.payload.count(), 1u);
    Bytes got(d.payload.front()->data(), d.payload.front()->data() + d.payload.front()->length());
    EXPECT_EQ(got, data);
    EXPECT_FALSE(s->recv(d));
}

TEST_F(InterfaceTest, UdpSendBuildsAChecksummedDatagram) {
    meet_peer();
    UdpSocket* s = iface_->udp_bind(0);
    ASSERT_NE(s, nullptr);
    EXPECT_GE(s->port(), 49152);
    const Bytes data = pattern(100, 3);
    EXPECT_EQ(s->copy_send_to({kPeerIp, 9}, data), SendResult::sent);
    iface_->poll_egress();
    auto out = sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ip_payload(), udp_datagram(kOurIp, kPeerIp, s->port(), 9, data));
}

TEST_F(InterfaceTest, LargeUdpSendIsFragmentedWithCorrectOffsets) {
    meet_peer();
    UdpSocket* s = iface_->udp_bind(7);
    const Bytes data = pattern(8000, 5);
    EXPECT_EQ(s->copy_send_to({kPeerIp, 4242}, data), SendResult::sent);
    iface_->poll_egress();
    auto out = sent();
    ASSERT_EQ(out.size(), 6u);  // 8008 bytes of UDP in 1480-byte fragments
    Bytes whole;
    for (size_t i = 0; i < out.size(); ++i) {
        auto ip = out[i].ip();
        EXPECT_EQ(ip.frag_offset, whole.size());
        EXPECT_EQ(ip.more_frags, i + 1 < out.size());
        EXPECT_LE(out[i].l3.size(), 1500u);
        auto p = out[i].ip_payload();
        whole.insert(whole.end(), p.begin(), p.end());
    }
    EXPECT_EQ(whole, udp_datagram(kOurIp, kPeerIp, 7, 4242, data));
}

TEST_F(InterfaceTest, ClosedPortGetsPortUnreachableQuotingTheDatagram) {
    meet_peer();
    const Bytes dgram = udp_datagram(kPeerIp, kOurIp, 40000, 9999, pattern(20));
    const Bytes packet = ipv4_packet({kPeerIp, kOurIp, wire::ip_proto::udp}, dgram);
    inject(eth_frame(kOurMac, kPeerMac, wire::ethertype::ipv4, packet));
    auto out = step();
    ASSERT_EQ(out.size(), 1u);
    auto icmp = out[0].ip_payload();
    EXPECT_EQ(icmp[0], wire::icmp_type::dest_unreachable);
    EXPECT_EQ(icmp[1], wire::icmp_unreach::port);
    EXPECT_EQ(wire::internet_checksum(icmp), 0);
    EXPECT_EQ(Bytes(icmp.begin() + 8, icmp.end()), Bytes(packet.begin(), packet.begin() + 28))
        << "IP header + first 8 bytes (RFC 792)";
    EXPECT_EQ(drops(DropReason::udp_no_socket), 1u);
}

TEST_F(InterfaceTest, NoIcmpErrorForBroadcast) {
    const Ipv4Addr bcast = Ipv4Addr::from_octets(10, 0, 0, 255);
    inject_ip({kPeerIp, bcast, wire::ip_proto::udp},
              udp_datagram(kPeerIp, bcast, 40000, 9999, pattern(20)), MacAddr::broadcast());
    EXPECT_TRUE(step().empty());
    EXPECT_EQ(drops(DropReason::udp_no_socket), 1u);
}

TEST_F(InterfaceTest, UnknownProtocolGetsProtocolUnreachable) {
    meet_peer();
    inject_ip({kPeerIp, kOurIp, 99}, pattern(16));
    auto out = step();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ip_payload()[0], wire::icmp_type::dest_unreachable);
    EXPECT_EQ(out[0].ip_payload()[1], wire::icmp_unreach::protocol);
    EXPECT_EQ(drops(DropReason::ipv4_unknown_protocol), 1u);
}

TEST_F(InterfaceTest, IcmpErrorsAreRateLimited) {
    start({}, 3);
    meet_peer();
    for (int i = 0; i < 10; ++i) inject_ip({kPeerIp, kOurIp, 99}, pattern(16));
    EXPECT_EQ(step().size(), 3u) << "burst of 3";
    EXPECT_EQ(drops(DropReason::icmp_rate_limited), 7u);
    for (int i = 0; i < 10; ++i) inject_ip({kPeerIp, kOurIp, 99}, pattern(16));
    EXPECT_EQ(step(std::chrono::milliseconds(200)).size(), 2u) << "10/s refills 2 in 200 ms";
}

TEST_F(InterfaceTest, MalformedFramesAreDroppedByReason) {
    meet_peer();
    inject(Bytes(10, 0xee));  // shorter than Ethernet
    inject(eth_frame(kOurMac, kPeerMac, 0x1234, pattern(50)));
    inject(eth_frame(kOurMac, kPeerMac, wire::ethertype::arp, Bytes(20, 0)));
    inject(eth_frame({{0x02, 9, 9, 9, 9, 9}}, kPeerMac, wire::ethertype::ipv4, pattern(40)));
    Bytes ip = ipv4_packet({kPeerIp, kOurIp, wire::ip_proto::icmp}, icmp_echo(8, 1, 1, {}));
    Bytes bad_version = ip;
    bad_version[0] = 0x55;
    Bytes bad_ihl = ip;
    bad_ihl[0] = 0x44;
    Bytes bad_csum = ip;
    bad_csum[10] ^= 0xff;
    Bytes truncated = ip;
    truncated[3] = 200;  // total length beyond the frame
    Bytes bad_icmp = ip;
    bad_icmp[22] ^= 0x01;  // ICMP checksum
    for (const Bytes* b : {&bad_version, &bad_ihl, &bad_csum, &truncated, &bad_icmp}) {
        inject(eth_frame(kOurMac, kPeerMac, wire::ethertype::ipv4, *b));
    }
    Bytes udp = udp_datagram(kPeerIp, kOurIp, 1, 7, pattern(10));
    udp[7] ^= 0x01;
    inject_ip({kPeerIp, kOurIp, wire::ip_proto::udp}, udp);
    Bytes udp_long = udp_datagram(kPeerIp, kOurIp, 1, 7, pattern(10));
    udp_long[5] = 200;  // length beyond the IP payload
    inject_ip({kPeerIp, kOurIp, wire::ip_proto::udp}, udp_long);
    inject_ip({kPeerIp, Ipv4Addr::from_octets(10, 0, 0, 9), wire::ip_proto::udp}, udp);
    EXPECT_TRUE(step().empty());
    EXPECT_EQ(drops(DropReason::eth_truncated), 1u);
    EXPECT_EQ(drops(DropReason::eth_unknown_ethertype), 1u);
    EXPECT_EQ(drops(DropReason::arp_malformed), 1u);
    EXPECT_EQ(drops(DropReason::eth_not_for_us), 1u);
    EXPECT_EQ(drops(DropReason::ipv4_bad_version), 1u);
    EXPECT_EQ(drops(DropReason::ipv4_bad_header_len), 1u);
    EXPECT_EQ(drops(DropReason::ipv4_bad_checksum), 1u);
    EXPECT_EQ(drops(DropReason::ipv4_truncated), 1u);
    EXPECT_EQ(drops(DropReason::icmp_bad_checksum), 1u);
    EXPECT_EQ(drops(DropReason::udp_bad_checksum), 1u);
    EXPECT_EQ(drops(DropReason::udp_malformed), 1u);
    EXPECT_EQ(drops(DropReason::ipv4_not_for_us), 1u);
    EXPECT_EQ(iface_->drops().total(), 12u);
    EXPECT_EQ(nic_.pool().available(), nic_.pool().capacity()) << "every dropped buffer freed";
}

TEST_F(InterfaceTest, OffSubnetWithoutGatewayHasNoRoute) {
    UdpSocket* s = iface_->udp_bind(1000);
    EXPECT_EQ(s->copy_send_to({kFarIp, 9}, pattern(10)), SendResult::no_route);
    EXPECT_EQ(drops(DropReason::no_route), 1u);
}

TEST_F(InterfaceTest, OffSubnetGoesThroughTheGateway) {
    start(kGateway);
    UdpSocket* s = iface_->udp_bind(1000);
    EXPECT_EQ(s->copy_send_to({kFarIp, 9}, pattern(10)), SendResult::sent);
    auto out = step();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(out[0].is_arp());
    EXPECT_EQ(out[0].arp().target_ip, kGateway) << "resolve the gateway, not the destination";
}

TEST_F(InterfaceTest, ReassemblyTimeoutSendsTimeExceeded) {
    meet_peer();
    inject_ip({kPeerIp, kOurIp, wire::ip_proto::udp, 5, true, 0}, pattern(64));
    EXPECT_TRUE(step().empty());
    auto out = step(std::chrono::seconds(31));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].ip_payload()[0], wire::icmp_type::time_exceeded);
    EXPECT_EQ(out[0].ip_payload()[1], 1) << "fragment reassembly time exceeded";
    EXPECT_EQ(drops(DropReason::ipv4_frag_timeout), 1u);
}

// Back-pressure: frames the NIC's TX ring refuses are not dropped; they wait, in order, and
// go first in the next poll; meanwhile the interface asks for a retry after a short back-off.
TEST_F(InterfaceTest, FramesTheNicRefusesWaitInOrderForTheNextPoll) {
    meet_peer();
    nic_.set_tx_capacity(1);
    for (int i = 0; i < 3; ++i) {
        inject_ip({kPeerIp, kOurIp, wire::ip_proto::icmp},
                  icmp_echo(8, 1, static_cast<uint16_t>(i), pattern(8)));
    }
    std::vector<uint16_t> seqs;
    auto take = [&](size_t want) {
        auto out = step();
        ASSERT_EQ(out.size(), want);
        for (auto& f : out) {
            const Bytes p = f.ip_payload();
            seqs.push_back(static_cast<uint16_t>(p[6] << 8 | p[7]));  // ICMP echo sequence
        }
    };
    take(1);
    EXPECT_TRUE(iface_->tx_stalled());
    EXPECT_EQ(iface_->tx_waiting(), 2u);
    // Not now: the ring frees as the NIC completes, so the retry is a short back-off.
    EXPECT_EQ(iface_->next_deadline(), now_ + iface_->config().tx_retry_min);
    take(1);
    take(1);
    EXPECT_EQ(iface_->tx_waiting(), 0u);
    EXPECT_FALSE(iface_->tx_stalled());
    EXPECT_EQ(seqs, (std::vector<uint16_t>{0, 1, 2}));
    EXPECT_EQ(drops(DropReason::tx_queue_full), 0u);
    EXPECT_EQ(nic_.pool().available(), nic_.pool().capacity());
}

TEST_F(InterfaceTest, BadSourcesAreDroppedAsSuch) {
    inject(eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                     arp_packet(ArpOp::request, {{0x01, 0, 0x5e, 0, 0, 1}}, kPeerIp, {}, kOurIp)));
    inject_ip({Ipv4Addr::from_octets(224, 0, 0, 1), kOurIp, wire::ip_proto::udp},
              udp_datagram(kPeerIp, kOurIp, 1, 7, pattern(4)));
    inject_ip({Ipv4Addr::from_octets(10, 0, 0, 255), kOurIp, wire::ip_proto::udp},
              udp_datagram(kPeerIp, kOurIp, 1, 7, pattern(4)));
    EXPECT_TRUE(step().empty());
    EXPECT_EQ(drops(DropReason::arp_bad_source), 1u);
    EXPECT_EQ(drops(DropReason::ipv4_bad_source), 2u);
    EXPECT_FALSE(iface_->neighbors().lookup(kPeerIp).has_value());
}

}  // namespace
}  // namespace shunt

// ---- transport handlers (stack/iface/ip_protocol.hpp) ----

namespace shunt {
namespace {

// Records what the interface hands a transport and asks of it.
struct RecordingHandler final : Ipv4Handler {
    void receive(const Ipv4Meta& meta, PacketChain payload, Instant now) noexcept override {
        metas.push_back(meta);
        sizes.push_back(payload.byte_length());
        times.push_back(now);
    }
    std::optional<Instant> next_deadline() const noexcept override { return deadline; }
    void on_timers(Instant now) noexcept override { timer_calls.push_back(now); }
    void egress(Instant) noexcept override {}

    std::vector<Ipv4Meta> metas;
    std::vector<size_t> sizes;
    std::vector<Instant> times;
    std::vector<Instant> timer_calls;
    std::optional<Instant> deadline;
};

TEST_F(InterfaceTest, RegisteredHandlerGetsItsProtocolInsteadOfAnIcmpError) {
    meet_peer();
    RecordingHandler h;
    iface_->set_protocol_handler(wire::ip_proto::tcp, &h);
    inject_ip({kPeerIp, kOurIp, wire::ip_proto::tcp}, pattern(40));
    auto out = step(std::chrono::milliseconds(5));
    EXPECT_TRUE(out.empty());  // no ICMP protocol unreachable
    ASSERT_EQ(h.metas.size(), 1u);
    EXPECT_EQ(h.metas[0].src, kPeerIp);
    EXPECT_EQ(h.metas[0].dst, kOurIp);
    EXPECT_EQ(h.metas[0].protocol, wire::ip_proto::tcp);
    EXPECT_FALSE(h.metas[0].to_broadcast);
    EXPECT_EQ(h.sizes[0], 40u);  // trimmed to the IP payload
    EXPECT_EQ(h.times[0], now_);
    ASSERT_FALSE(h.timer_calls.empty());
    EXPECT_EQ(h.timer_calls.back(), now_);
    EXPECT_EQ(drops(DropReason::ipv4_unknown_protocol), 0u);
    iface_->set_protocol_handler(wire::ip_proto::tcp, nullptr);
    inject_ip({kPeerIp, kOurIp, wire::ip_proto::tcp}, pattern(40));
    out = step();
    ASSERT_EQ(out.size(), 1u);  // unregistered: protocol unreachable again
    EXPECT_EQ(drops(DropReason::ipv4_unknown_protocol), 1u);
}

TEST_F(InterfaceTest, HandlerDeadlineJoinsTheInterfaceDeadline) {
    RecordingHandler h;
    iface_->set_protocol_handler(wire::ip_proto::tcp, &h);
    EXPECT_EQ(iface_->next_deadline(), std::nullopt);
    h.deadline = now_ + std::chrono::milliseconds(7);
    EXPECT_EQ(iface_->next_deadline(), h.deadline);
    iface_->set_protocol_handler(wire::ip_proto::tcp, nullptr);
}

}  // namespace
}  // namespace shunt
