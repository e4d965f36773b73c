// Martian sources (RFC 1122 §3.2.1.3, RFC 1812 §5.3.7): the classification, and the
// interface dropping and counting them (IPv4 and ARP) without a reply or a neighbour entry.
#include "stack/iface/martian.hpp"
#include "fake_nic.hpp"
#include "frames.hpp"
#include "stack/iface/interface.hpp"

#include <gtest/gtest.h>

namespace shunt {
namespace {

using namespace test;
using wire::ArpOp;

const MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x99}};
const Ipv4Addr kOurIp = Ipv4Addr::from_octets(10, 0, 0, 2);
const Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);
const wire::Ipv4Cidr kOurs{kOurIp, 24};

TEST(MartianTest, ClassifiesEveryKind) {
    auto kind = [](uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
        return classify_source(Ipv4Addr::from_octets(a, b, c, d), kOurs);
    };
    EXPECT_EQ(kind(0, 0, 0, 0), MartianKind::this_network);
    EXPECT_EQ(kind(0, 1, 2, 3), MartianKind::this_network);
    EXPECT_EQ(kind(127, 0, 0, 1), MartianKind::loopback);
    EXPECT_EQ(kind(127, 255, 255, 254), MartianKind::loopback);
    EXPECT_EQ(kind(10, 0, 0, 2), MartianKind::own_address);
    EXPECT_EQ(kind(255, 255, 255, 255), MartianKind::limited_broadcast);
    EXPECT_EQ(kind(10, 0, 0, 255), MartianKind::directed_broadcast);
    EXPECT_EQ(kind(224, 0, 0, 1), MartianKind::multicast);
    EXPECT_EQ(kind(239, 255, 255, 255), MartianKind::multicast);
    EXPECT_EQ(kind(240, 0, 0, 1), MartianKind::reserved);
    EXPECT_EQ(kind(255, 255, 255, 254), MartianKind::reserved);
    // Plausible sources, including the edges next to the martian ranges.
    EXPECT_EQ(kind(10, 0, 0, 1), MartianKind::none);
    EXPECT_EQ(kind(10, 0, 0, 0), MartianKind::none);  // an old-style host-zero: not in the list
    EXPECT_EQ(kind(1, 0, 0, 0), MartianKind::none);
    EXPECT_EQ(kind(126, 255, 255, 255), MartianKind::none);
    EXPECT_EQ(kind(128, 0, 0, 0), MartianKind::none);
    EXPECT_EQ(kind(223, 255, 255, 255), MartianKind::none);
    EXPECT_EQ(kind(192, 0, 2, 7), MartianKind::none);
    EXPECT_EQ(to_string(MartianKind::loopback), "loopback");
}

TEST(MartianTest, PointToPointPrefixesHaveNoDirectedBroadcast) {
    // RFC 3021: in a /31 both addresses are hosts; a /32 has only us.
    const wire::Ipv4Cidr p31{Ipv4Addr::from_octets(10, 0, 0, 0), 31};
    EXPECT_EQ(classify_source(Ipv4Addr::from_octets(10, 0, 0, 1), p31), MartianKind::none);
    const wire::Ipv4Cidr p32{Ipv4Addr::from_octets(10, 0, 0, 2), 32};
    EXPECT_EQ(classify_source(Ipv4Addr::from_octets(10, 0, 0, 3), p32), MartianKind::none);
    // No address yet: only the fixed ranges.
    EXPECT_EQ(classify_source(kOurIp, wire::Ipv4Cidr{}), MartianKind::none);
    EXPECT_EQ(classify_source(Ipv4Addr::from_octets(127, 0, 0, 1), wire::Ipv4Cidr{}),
              MartianKind::loopback);
}

class MartianInterfaceTest : public ::testing::Test {
  protected:
    void SetUp() override { start(true); }
    void start(bool drop_martians) {
        InterfaceConfig cfg;
        cfg.mac = kOurMac;
        cfg.address = kOurs;
        cfg.gateway = Ipv4Addr::from_octets(10, 0, 0, 254);
        cfg.drop_martian_sources = drop_martians;
        iface_.reset();
        iface_ = std::make_unique<Interface>(nic_, 0, cfg);
        iface_->poll(now_);
        (void)nic_.take_sent();  // the gratuitous ARP
        // Every neighbour is known, so an answer would leave at once, not wait for ARP.
        for (const Ipv4Addr ip : {kPeerIp, Ipv4Addr::from_octets(10, 0, 0, 254)}) {
            inject(eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                             arp_packet(ArpOp::request, kPeerMac, ip, {}, kOurIp)));
        }
        iface_->poll(now_);
        (void)nic_.take_sent();
    }
    void inject(const Bytes& frame) { ASSERT_TRUE(nic_.inject(frame)); }
    void echo_from(Ipv4Addr src) {
        inject(eth_frame(
            kOurMac, kPeerMac, wire::ethertype::ipv4,
            ipv4_packet({src, kOurIp, wire::ip_proto::icmp}, icmp_echo(8, 0x99, 1, pattern(8)))));
    }
    size_t step() {
        now_ += Duration(1000);
        iface_->poll(now_);
        return nic_.take_sent().size();
    }
    uint64_t drops(DropReason r) const { return iface_->drops()[r]; }

    FakeNic nic_{kOurMac};
    Instant now_ = Instant::from_millis(1000);
    std::unique_ptr<Interface> iface_;
};

TEST_F(MartianInterfaceTest, SpoofedSourcesGetNoReplyAndAreCounted) {
    const Ipv4Addr spoofed[] = {
        Ipv4Addr::from_octets(0, 0, 0, 0),   Ipv4Addr::from_octets(127, 0, 0, 1), kOurIp,
        Ipv4Addr::from_octets(240, 1, 2, 3), Ipv4Addr::from_octets(0, 9, 9, 9),
    };
    for (const Ipv4Addr src : spoofed) echo_from(src);
    EXPECT_EQ(step(), 0u) << "no reply to a martian";
    EXPECT_EQ(drops(DropReason::ipv4_martian_source), 5u);
    EXPECT_EQ(iface_->counters().icmp_echo_replies, 0u);
    // A real peer is still answered.
    echo_from(kPeerIp);
    EXPECT_EQ(step(), 1u);
    EXPECT_EQ(iface_->counters().icmp_echo_replies, 1u);
    // Broadcast sources keep their older reason (the IPv4 parser refuses them).
    echo_from(Ipv4Addr::broadcast());
    echo_from(Ipv4Addr::from_octets(10, 0, 0, 255));
    EXPECT_EQ(step(), 0u);
    EXPECT_EQ(drops(DropReason::ipv4_bad_source), 2u);
    EXPECT_EQ(nic_.pool().available(), nic_.pool().capacity());
}

TEST_F(MartianInterfaceTest, ArpFromAMartianSenderTeachesNothing) {
    const Ipv4Addr loop = Ipv4Addr::from_octets(127, 0, 0, 1);
    inject(eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                     arp_packet(ArpOp::request, kPeerMac, loop, {}, kOurIp)));
    // Someone claiming our own address must not take it over in the cache.
    inject(eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                     arp_packet(ArpOp::reply, kPeerMac, kOurIp, {}, kOurIp)));
    EXPECT_EQ(step(), 0u) << "no ARP reply to a martian sender";
    EXPECT_EQ(drops(DropReason::arp_martian_source), 2u);
    EXPECT_FALSE(iface_->neighbors().lookup(loop).has_value());
    EXPECT_FALSE(iface_->neighbors().lookup(kOurIp).has_value());
    // An RFC 5227 probe (sender 0.0.0.0) is still answered.
    inject(eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                     arp_packet(ArpOp::request, kPeerMac, Ipv4Addr{}, {}, kOurIp)));
    EXPECT_EQ(step(), 1u);
}

TEST_F(MartianInterfaceTest, TheCheckCanBeTurnedOff) {
    start(false);
    echo_from(Ipv4Addr::from_octets(240, 1, 2, 3));
    step();
    EXPECT_EQ(drops(DropReason::ipv4_martian_source), 0u);
}

}  // namespace
}  // namespace shunt
