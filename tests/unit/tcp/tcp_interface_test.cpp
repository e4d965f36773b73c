// TCP behind a real Interface: protocol-6 datagrams reach the TcpStack registered as the
// interface's handler, and its segments leave through Interface::send_ipv4 as frames.
#include "../iface/fake_nic.hpp"
#include "../iface/frames.hpp"
#include "base/byte_order.hpp"
#include "stack/iface/interface.hpp"
#include "stack/tcp/tcp_stack.hpp"

#include <gtest/gtest.h>

namespace shunt::tcp {
namespace {

using shunt::test::Bytes;
using shunt::test::FakeNic;
using wire::Ipv4Addr;
using namespace wire::tcp_flag;

const MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x99}};
const Ipv4Addr kOurIp = Ipv4Addr::from_octets(10, 0, 0, 2);
const Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);

class TcpInterface : public ::testing::Test {
  protected:
    TcpInterface() {
        InterfaceConfig cfg;
        cfg.mac = kOurMac;
        cfg.address = wire::Ipv4Cidr{kOurIp, 24};
        iface_ = std::make_unique<Interface>(nic_, 0, cfg);
        TcpConfig tcfg;
        tcfg.defaults.window_scaling = false;
        tcfg.defaults.timestamps = false;
        tcfg.defaults.sack = false;
        stack_ = std::make_unique<TcpStack>(*iface_, tcfg);
        iface_->set_protocol_handler(wire::ip_proto::tcp, stack_.get());
        iface_->poll(now_);
        nic_.take_sent();  // gratuitous ARP
        // The peer asks for us, so we know its MAC.
        nic_.inject(shunt::test::eth_frame(
            MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
            shunt::test::arp_packet(wire::ArpOp::request, kPeerMac, kPeerIp, {}, kOurIp)));
        iface_->poll(now_);
        nic_.take_sent();
    }
    ~TcpInterface() override {
        iface_->set_protocol_handler(wire::ip_proto::tcp, nullptr);
        stack_.reset();
    }

    void inject_tcp(wire::TcpRepr r, const Bytes& payload = {}, bool corrupt = false) {
        r.payload_len = static_cast<uint16_t>(payload.size());
        Bytes seg(r.header_len() + payload.size());
        std::copy(payload.begin(), payload.end(), seg.begin() + static_cast<long>(r.header_len()));
        wire::TcpView v(seg);
        r.emit(v, kPeerIp, kOurIp);
        if (corrupt) seg.back() ^= 1;
        nic_.inject(shunt::test::eth_frame(
            kOurMac, kPeerMac, wire::ethertype::ipv4,
            shunt::test::ipv4_packet({kPeerIp, kOurIp, wire::ip_proto::tcp}, seg)));
    }
    // The TCP segments the interface sent, parsed (IPv4 and TCP checksums verified).
    std::vector<std::pair<wire::TcpRepr, Bytes>> sent_tcp() {
        std::vector<std::pair<wire::TcpRepr, Bytes>> out;
        for (auto& f : nic_.take_sent()) {
            auto s = shunt::test::parse_sent(std::move(f));
            EXPECT_TRUE(s.is_ipv4());
            EXPECT_TRUE(s.ip_checksum_ok());
            EXPECT_EQ(s.eth.dst, kPeerMac);
            Bytes seg = s.ip_payload();
            auto view = wire::TcpView::check(seg);
            EXPECT_TRUE(view.ok());
            auto r = wire::TcpRepr::parse(view.value, kOurIp, kPeerIp, true);
            EXPECT_TRUE(r.ok());
            auto p = view.value.payload();
            out.emplace_back(r.value, Bytes(p.begin(), p.end()));
        }
        return out;
    }
    static wire::TcpRepr seg(uint16_t dport, uint32_t seqno, uint8_t flags, uint32_t ackno = 0) {
        wire::TcpRepr r;
        r.src_port = 40000;
        r.dst_port = dport;
        r.seq = seqno;
        r.ack = ackno;
        r.flags = flags;
        r.window = 65535;
        return r;
    }

    FakeNic nic_{kOurMac};
    std::unique_ptr<Interface> iface_;
    std::unique_ptr<TcpStack> stack_;
    Instant now_ = Instant(5'000'000);
};

TEST_F(TcpInterface, ClosedPortAnswersWithRst) {
    inject_tcp(seg(81, 1000, syn));
    iface_->poll(now_);
    auto out = sent_tcp();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].first.flags, rst | ack);
    EXPECT_EQ(out[0].first.ack, 1001u);
    EXPECT_EQ(stack_->drops()[DropReason::no_socket], 1u);
    EXPECT_EQ(iface_->drops()[shunt::DropReason::ipv4_unknown_protocol], 0u);
}

TEST_F(TcpInterface, BadChecksumIsCountedByTheInterface) {
    stack_->listen(80, 4);
    inject_tcp(seg(80, 1000, syn), Bytes{1, 2, 3}, /*corrupt=*/true);
    iface_->poll(now_);
    EXPECT_TRUE(sent_tcp().empty());
    EXPECT_EQ(stack_->drops()[DropReason::bad_checksum], 1u);
}

TEST_F(TcpInterface, HandshakeDataAndTimersThroughTheInterface) {
    TcpListener* l = stack_->listen(80, 4);
    inject_tcp(seg(80, 1000, syn));
    iface_->poll(now_);
    auto out = sent_tcp();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].first.flags, syn | ack);
    const uint32_t iss = out[0].first.seq;
    // The SYN,ACK's retransmission timer is the interface's next deadline.
    EXPECT_EQ(iface_->next_deadline(), std::optional<Instant>(now_ + 1s));
    inject_tcp(seg(80, 1001, ack, iss + 1), Bytes{'h', 'i'});
    iface_->poll(now_);
    TcpSocket* s = l->accept();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->readable_bytes(), 2u);
    // The application answers zero copy from the interface's own pool.
    PacketBuf* b = iface_->tx_pool().alloc();
    Packet p(b);
    std::memcpy(p->append(3), "yo!", 3);
    EXPECT_EQ(s->send(std::move(p)), TcpSendStatus::queued);
    iface_->poll_egress();
    out = sent_tcp();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].first.seq, iss + 1);
    EXPECT_EQ(out[0].first.ack, 1003u);  // the delayed ACK rode on the data
    EXPECT_EQ(out[0].second, (Bytes{'y', 'o', '!'}));
    s->close();
}

// A NIC with transmit checksum offload: records what the stack handed it (flags and the
// raw checksum fields) and passes the frames on to a FakeNic.
class OffloadNic final : public Nic {
  public:
    struct Sent {
        uint16_t flags;
        uint16_t ip_csum;
        uint16_t tcp_csum;
    };
    std::string name() const override { return "offload:0"; }
    std::string driver() const override { return "offload"; }
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
            const uint8_t* d = b->data();
            const bool tcp = b->length() >= 54 && d[12] == 0x08 && d[13] == 0 && d[23] == 6;
            sent.push_back(
                Sent{b->flags(), load_be16(d + 24), tcp ? load_be16(d + 50) : uint16_t{0xffff}});
        }
        return inner.tx_batch(q, bufs);
    }
    int wait_fd(uint16_t) const override { return -1; }
    Mempool& tx_pool(uint16_t q) override { return inner.tx_pool(q); }

    FakeNic inner{kOurMac};
    std::vector<Sent> sent;
};

TEST(TcpInterfaceOffload, ChecksumsAreLeftToANicThatComputesThem) {
    OffloadNic nic;
    InterfaceConfig cfg;
    cfg.mac = kOurMac;
    cfg.address = wire::Ipv4Cidr{kOurIp, 24};
    Interface iface(nic, 0, cfg);
    TcpConfig tcfg;
    TcpStack tcp(iface, tcfg);
    iface.set_protocol_handler(wire::ip_proto::tcp, &tcp);
    const Instant now(5'000'000);
    nic.inner.inject(shunt::test::eth_frame(
        MacAddr::broadcast(), kPeerMac, wire::ethertype::arp,
        shunt::test::arp_packet(wire::ArpOp::request, kPeerMac, kPeerIp, {}, kOurIp)));
    iface.poll(now);
    nic.sent.clear();
    ASSERT_NE(tcp.connect({kPeerIp, 80}, now), nullptr);
    iface.poll_egress();
    // The SYN: both checksum fields left zero, both offloads requested.
    ASSERT_EQ(nic.sent.size(), 1u);
    EXPECT_EQ(nic.sent[0].flags, tx_flags::ip_csum | tx_flags::l4_csum);
    EXPECT_EQ(nic.sent[0].ip_csum, 0u);
    EXPECT_EQ(nic.sent[0].tcp_csum, 0u);
    iface.set_protocol_handler(wire::ip_proto::tcp, nullptr);
}

}  // namespace
}  // namespace shunt::tcp
