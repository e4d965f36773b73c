// The offload metadata (TxMeta) the stack records on the buffers it sends: the IPv4 layer's
// header length, L4 type, L4 length and pseudo-header seed, the Ethernet layer's l2_len. The
// e1000 tests check the descriptors built from it; this checks that it is right.
#include "../iface/fake_nic.hpp"
#include "../iface/frames.hpp"
#include "packet/packet_buf.hpp"
#include "stack/iface/interface.hpp"
#include "stack/wire/checksum.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace shunt {
namespace {

using wire::Ipv4Addr;

const MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x99}};
const Ipv4Addr kOurIp = Ipv4Addr::from_octets(10, 0, 0, 2);
const Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);

// A NIC with transmit checksum offload that records each frame's length, flags and metadata.
class MetaNic final : public Nic {
  public:
    struct Sent {
        uint16_t length;
        uint16_t flags;
        TxMeta meta;
        uint16_t l4_field;  // the TCP/UDP checksum field as the stack left it
    };
    std::string name() const override { return "meta:0"; }
    std::string driver() const override { return "meta"; }
    MacAddr mac() const override { return kOurMac; }
    uint16_t mtu() const override { return 1500; }
    LinkStatus link() override { return {true, 0}; }
    uint16_t queue_count() const override { return 1; }
    NicCaps caps() const override { return NicCaps{false, false, true, true}; }
    NicCounters counters() override { return {}; }
    size_t rx_batch(uint16_t q, std::span<PacketBuf*> bufs) noexcept override {
        return inner.rx_batch(q, bufs);
    }
    size_t tx_batch(uint16_t q, std::span<PacketBuf*> bufs) noexcept override {
        for (PacketBuf* b : bufs) {
            const TxMeta& m = b->tx_meta();
            uint16_t field = 0xFFFF;
            const size_t at = size_t{m.l2_len} + m.l3_len + (m.l4_type == l4_type::tcp ? 16 : 6);
            if (m.l4_type != l4_type::none && at + 2 <= b->length()) {
                field = static_cast<uint16_t>(b->data()[at] << 8 | b->data()[at + 1]);
            }
            sent.push_back(Sent{b->length(), b->flags(), m, field});
        }
        return inner.tx_batch(q, bufs);
    }
    int wait_fd(uint16_t) const override { return -1; }
    Mempool& tx_pool(uint16_t q) override { return inner.tx_pool(q); }

    test::FakeNic inner{kOurMac};
    std::vector<Sent> sent;
};

class TxMetaTest : public ::testing::Test {
  protected:
    void SetUp() override {
        InterfaceConfig cfg;
        cfg.mac = kOurMac;
        cfg.address = wire::Ipv4Cidr{kOurIp, 24};
        iface_ = std::make_unique<Interface>(nic_, 0, cfg);
        nic_.inner.inject(
            test::eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                            test::arp_packet(wire::ArpOp::request, kPeerMac, kPeerIp, {}, kOurIp)));
        iface_->poll(Instant(5'000'000));
        iface_->poll_egress();
        nic_.sent.clear();
    }
    // Sends `payload_len` bytes of `protocol` to the peer, asking for L4 offload as TCP does.
    void send(uint8_t protocol, size_t payload_len, bool l4_offload = true) {
        PacketChain chain;
        size_t left = payload_len;
        while (left > 0 || chain.empty()) {
            PacketBuf* b = nic_.tx_pool(0).alloc();
            ASSERT_NE(b, nullptr);
            const size_t n = std::min<size_t>(left, 1480);
            std::memset(b->append(n), 0, n);
            if (l4_offload) b->set_flags(tx_flags::l4_csum);
            chain.push_back(Packet(b));
            left -= n;
        }
        ASSERT_EQ(iface_->send_ipv4(kPeerIp, protocol, std::move(chain)), SendResult::sent);
        iface_->poll_egress();
    }
    static uint16_t seed(uint8_t protocol, uint16_t l4_len) {
        return static_cast<uint16_t>(
            ~wire::checksum_fold(wire::pseudo_header_sum(kOurIp, kPeerIp, protocol, l4_len)));
    }

    MetaNic nic_;
    std::unique_ptr<Interface> iface_;
};

TEST_F(TxMetaTest, UdpDatagramRecordsItsLayoutAndSeed) {
    send(wire::ip_proto::udp, 100);
    ASSERT_EQ(nic_.sent.size(), 1u);
    const auto& s = nic_.sent[0];
    EXPECT_EQ(s.length, 14 + 20 + 100);
    EXPECT_EQ(s.flags, tx_flags::ip_csum | tx_flags::l4_csum);
    EXPECT_EQ(s.meta.l2_len, 14);
    EXPECT_EQ(s.meta.l3_len, 20);
    EXPECT_EQ(s.meta.l4_type, l4_type::udp);
    EXPECT_EQ(s.meta.l4_len, 100);
    EXPECT_EQ(s.meta.l4_csum_seed, seed(wire::ip_proto::udp, 100));
    EXPECT_EQ(s.l4_field, 0u) << "the frame keeps the field the stack wrote; drivers seed it";
}

TEST_F(TxMetaTest, TcpSegmentRecordsItsLayoutAndSeed) {
    send(wire::ip_proto::tcp, 32);
    ASSERT_EQ(nic_.sent.size(), 1u);
    const auto& s = nic_.sent[0];
    EXPECT_EQ(s.meta.l2_len, 14);
    EXPECT_EQ(s.meta.l3_len, 20);
    EXPECT_EQ(s.meta.l4_type, l4_type::tcp);
    EXPECT_EQ(s.meta.l4_len, 32);
    EXPECT_EQ(s.meta.l4_csum_seed, seed(wire::ip_proto::tcp, 32));
    EXPECT_EQ(size_t{s.meta.l2_len} + s.meta.l3_len + s.meta.l4_len, s.length);
}

TEST_F(TxMetaTest, OtherProtocolsGetNoL4Type) {
    send(wire::ip_proto::icmp, 40, false);
    ASSERT_EQ(nic_.sent.size(), 1u);
    EXPECT_EQ(nic_.sent[0].meta.l3_len, 20);
    EXPECT_EQ(nic_.sent[0].meta.l4_type, l4_type::none);
    EXPECT_EQ(nic_.sent[0].flags, tx_flags::ip_csum);
}

// A fragment's L4 checksum covers the whole datagram: no fragment may ask the NIC for it.
TEST_F(TxMetaTest, FragmentsWithdrawTheL4Request) {
    send(wire::ip_proto::udp, 3000);
    ASSERT_EQ(nic_.sent.size(), 3u);
    for (const auto& s : nic_.sent) {
        EXPECT_EQ(s.meta.l2_len, 14);
        EXPECT_EQ(s.meta.l3_len, 20);
        EXPECT_EQ(s.meta.l4_type, l4_type::none);
        EXPECT_EQ(s.flags & tx_flags::l4_csum, 0);
        EXPECT_EQ(s.flags & tx_flags::ip_csum, tx_flags::ip_csum);
    }
    // ... so the stack fills it before cutting: the fragments' payloads, put back together,
    // are a datagram whose checksum verifies (not a zero the NIC was never asked to fill).
    std::vector<uint8_t> datagram;
    for (const auto& f : nic_.inner.take_sent()) {
        if (f[12] != 0x08 || f[13] != 0x00) continue;  // IPv4 only (SetUp's ARP reply is there)
        datagram.insert(datagram.end(), f.begin() + 14 + 20, f.end());
    }
    ASSERT_EQ(datagram.size(), 3000u);
    EXPECT_NE(datagram[6] << 8 | datagram[7], 0) << "the checksum field was filled";
    const uint32_t pseudo = wire::pseudo_header_sum(kOurIp, kPeerIp, wire::ip_proto::udp, 3000);
    EXPECT_EQ(wire::checksum_fold(wire::checksum_partial(datagram, pseudo)), 0)
        << "a checksum over the whole datagram";
}

// ARP frames pass only the Ethernet layer: l2_len, nothing above.
TEST_F(TxMetaTest, ArpFramesRecordOnlyTheirL2Length) {
    nic_.inner.inject(
        test::eth_frame(MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
                        test::arp_packet(wire::ArpOp::request, kPeerMac, kPeerIp, {}, kOurIp)));
    iface_->poll(Instant(6'000'000));
    iface_->poll_egress();
    ASSERT_EQ(nic_.sent.size(), 1u);
    EXPECT_EQ(nic_.sent[0].meta.l2_len, 14);
    EXPECT_EQ(nic_.sent[0].meta.l3_len, 0);
    EXPECT_EQ(nic_.sent[0].flags, 0);
}

}  // namespace
}  // namespace shunt
