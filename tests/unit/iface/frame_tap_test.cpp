// The frame tap hook (stack/iface/frame_tap.hpp): the Interface shows each received frame
// before the stack reads it and each frame it hands the NIC exactly once, even when the NIC
// refuses it and it is offered again; without a tap nothing is called.
#include "fake_nic.hpp"
#include "frames.hpp"
#include "stack/iface/interface.hpp"

#include <gtest/gtest.h>

namespace shunt {
namespace {

using namespace test;

const MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x99}};
const wire::Ipv4Addr kOurIp = wire::Ipv4Addr::from_octets(10, 0, 0, 2);
const wire::Ipv4Addr kPeerIp = wire::Ipv4Addr::from_octets(10, 0, 0, 1);

struct Recorder : FrameTap {
    std::vector<std::pair<TapDirection, Bytes>> frames;
    size_t calls = 0;
    void on_frames(TapDirection dir, std::span<PacketBuf* const> batch, Instant) noexcept override {
        ++calls;
        for (PacketBuf* b : batch)
            frames.emplace_back(dir, Bytes(b->data(), b->data() + b->length()));
    }
};

struct FrameTapTest : ::testing::Test {
    FakeNic nic{kOurMac};
    Instant now = Instant::from_millis(1000);
    std::unique_ptr<Interface> iface;
    Recorder tap;

    void SetUp() override {
        InterfaceConfig cfg;
        cfg.mac = kOurMac;
        cfg.address = wire::Ipv4Cidr{kOurIp, 24};
        iface = std::make_unique<Interface>(nic, 0, cfg);
        iface->poll(now);  // the gratuitous ARP, before the tap
        nic.take_sent();
        // The peer introduces itself, so an echo reply goes out at once.
        ASSERT_TRUE(
            nic.inject(eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                                 arp_packet(wire::ArpOp::request, kPeerMac, kPeerIp, {}, kOurIp))));
        iface->poll(now);
        nic.take_sent();
    }
    Bytes echo_request() {
        return eth_frame(
            kOurMac, kPeerMac, wire::ethertype::ipv4,
            ipv4_packet({kPeerIp, kOurIp, wire::ip_proto::icmp}, icmp_echo(8, 1, 1, pattern(32))));
    }
};

TEST_F(FrameTapTest, SeesTheRequestInAndTheReplyOut) {
    iface->set_tap(&tap);
    const Bytes request = echo_request();
    ASSERT_TRUE(nic.inject(request));
    iface->poll(now);
    const auto sent = nic.take_sent();
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(tap.frames.size(), 2u);
    EXPECT_EQ(tap.frames[0].first, TapDirection::rx);
    EXPECT_EQ(tap.frames[0].second, request);
    EXPECT_EQ(tap.frames[1].first, TapDirection::tx);
    EXPECT_EQ(tap.frames[1].second, sent[0]);
}

TEST_F(FrameTapTest, ARefusedFrameIsSeenOnceWhenRetried) {
    iface->set_tap(&tap);
    nic.set_tx_capacity(0);
    ASSERT_TRUE(nic.inject(echo_request()));
    iface->poll(now);
    EXPECT_TRUE(nic.take_sent().empty());
    iface->poll(now + Duration(100));
    nic.set_tx_capacity(SIZE_MAX);
    iface->poll(now + Duration(2000));
    EXPECT_EQ(nic.take_sent().size(), 1u);
    size_t tx = 0;
    for (const auto& f : tap.frames) tx += f.first == TapDirection::tx ? 1 : 0;
    EXPECT_EQ(tx, 1u);
}

TEST_F(FrameTapTest, RemovedTapIsNotCalled) {
    iface->set_tap(&tap);
    iface->set_tap(nullptr);
    ASSERT_TRUE(nic.inject(echo_request()));
    iface->poll(now);
    EXPECT_EQ(nic.take_sent().size(), 1u);
    EXPECT_EQ(tap.calls, 0u);
}

}  // namespace
}  // namespace shunt
