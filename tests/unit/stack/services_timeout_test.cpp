// Issue 11: TcpServices closes a connection whose session timed out with a FIN, and aborts
// it (RST) if it is still open close_grace later; a peer that closes too is not reset.
#include "../iface/fake_nic.hpp"
#include "../iface/frames.hpp"
#include "stack/stack.hpp"
#include "stack/tcp_services.hpp"

#include <gtest/gtest.h>

#include <string>

namespace shunt {
namespace {

using test::Bytes;
using test::FakeNic;
using wire::Ipv4Addr;
using namespace wire::tcp_flag;
using std::chrono::milliseconds;
using std::chrono::seconds;

const MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x99}};
const Ipv4Addr kOurIp = Ipv4Addr::from_octets(10, 0, 0, 2);
const Ipv4Addr kPeerIp = Ipv4Addr::from_octets(10, 0, 0, 1);
constexpr uint16_t kHttp = 80;

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

class ServicesTimeoutTest : public ::testing::Test {
  protected:
    ServicesTimeoutTest() : stack_(nic_, 0, iface_config(), tcp_config()) {
        app::ServicePorts ports;
        ports.echo.reset();
        ports.discard.reset();
        ports.http = kHttp;
        app::HttpServerConfig http;
        http.header_timeout = seconds(2);
        http.idle_timeout = seconds(5);
        app::ServiceTimeouts timeouts;
        timeouts.close_grace = seconds(1);
        services_ = TcpServices::start(stack_, ports, http, 4096, timeouts).value();
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
    std::vector<wire::TcpRepr> sent_tcp() {
        std::vector<wire::TcpRepr> out;
        for (auto& f : nic_.take_sent()) {
            auto s = test::parse_sent(std::move(f));
            if (!s.is_ipv4()) continue;
            Bytes seg = s.ip_payload();
            auto view = wire::TcpView::check(seg);
            EXPECT_TRUE(view.ok());
            auto r = wire::TcpRepr::parse(view.value, kOurIp, kPeerIp, true);
            EXPECT_TRUE(r.ok());
            out.push_back(r.value);
        }
        return out;
    }
    static wire::TcpRepr seg(uint32_t seqno, uint8_t flags, uint32_t ackno = 0) {
        wire::TcpRepr r;
        r.src_port = 40000;
        r.dst_port = kHttp;
        r.seq = seqno;
        r.ack = ackno;
        r.flags = flags;
        r.window = 65535;
        return r;
    }
    // Handshake, then one complete request answered by the server (not yet acknowledged).
    struct Exchange {
        uint32_t iss = 0;       // our ISS
        uint32_t request = 0;   // bytes of the request
        uint32_t response = 0;  // bytes of the response sent
    };
    Exchange one_request() {
        Exchange x;
        inject_tcp(seg(1000, syn));
        stack_.poll(now_);
        x.iss = sent_tcp().at(0).seq;
        const std::string req = "GET /bytes/1 HTTP/1.1\r\nHost: x\r\n\r\n";
        x.request = static_cast<uint32_t>(req.size());
        inject_tcp(seg(1001, ack | psh, x.iss + 1), req);
        stack_.poll(now_);
        for (const auto& r : sent_tcp()) x.response += r.payload_len;
        EXPECT_GT(x.response, 0u);
        return x;
    }
    // The peer acknowledges the whole response.
    void ack_response(const Exchange& x) {
        inject_tcp(seg(1001 + x.request, ack, x.iss + 1 + x.response));
    }
    // Handshake, then one header byte: a slowloris connection. Returns our ISS.
    uint32_t slow_connection() {
        inject_tcp(seg(1000, syn));
        stack_.poll(now_);
        auto out = sent_tcp();
        EXPECT_EQ(out.size(), 1u);
        if (out.empty()) return 0;
        const uint32_t iss = out[0].seq;
        inject_tcp(seg(1001, ack | psh, iss + 1), "G");
        stack_.poll(now_);
        sent_tcp();
        EXPECT_EQ(services_->open_connections(), 1u);
        return iss;
    }
    void poll_at(Duration d) {
        now_ = start_ + d;
        stack_.poll(now_);
    }
    static bool has(const std::vector<wire::TcpRepr>& v, uint8_t flag) {
        for (const auto& r : v) {
            if ((r.flags & flag) != 0) return true;
        }
        return false;
    }

    FakeNic nic_{kOurMac};
    const Instant start_ = Instant(5'000'000);
    Instant now_ = start_;
    Stack stack_;
    std::unique_ptr<TcpServices> services_;
};

TEST_F(ServicesTimeoutTest, AnIncompleteHeaderGetsAFinThenAnRst) {
    slow_connection();
    poll_at(milliseconds(1900));
    EXPECT_FALSE(has(sent_tcp(), fin));
    poll_at(seconds(2));
    EXPECT_TRUE(has(sent_tcp(), fin)) << "FIN at the header timeout";
    EXPECT_EQ(services_->counters().header_timeouts, 1u);
    // The peer ACKs nothing and never closes: RST close_grace later.
    poll_at(milliseconds(2900));
    EXPECT_FALSE(has(sent_tcp(), rst));
    poll_at(seconds(3));
    EXPECT_TRUE(has(sent_tcp(), rst));
    EXPECT_EQ(services_->counters().timeout_aborts, 1u);
    EXPECT_EQ(services_->open_connections(), 0u);
    EXPECT_EQ(stack_.tcp().connection_count(), 0u);
    const nlohmann::ordered_json j = services_->stats();
    EXPECT_EQ(j["services"]["header_timeouts"], 1);
    EXPECT_EQ(j["services"]["timeout_aborts"], 1);
}

TEST_F(ServicesTimeoutTest, APeerThatClosesTooIsNotReset) {
    const uint32_t iss = slow_connection();
    poll_at(seconds(2));
    auto out = sent_tcp();
    ASSERT_TRUE(has(out, fin));
    // The peer ACKs our FIN and closes: FIN-WAIT-2, then TIME-WAIT; no RST.
    inject_tcp(seg(1002, ack | fin, iss + 2));
    poll_at(milliseconds(2100));
    out = sent_tcp();
    EXPECT_FALSE(has(out, rst));
    EXPECT_EQ(services_->open_connections(), 0u);
    poll_at(seconds(5));
    EXPECT_FALSE(has(sent_tcp(), rst));
    EXPECT_EQ(services_->counters().timeout_aborts, 0u);
    EXPECT_EQ(services_->counters().closed, 1u);
}

TEST_F(ServicesTimeoutTest, AnIdleKeepAliveConnectionIsClosed) {
    const Exchange x = one_request();
    ack_response(x);
    stack_.poll(now_);
    poll_at(seconds(4));
    EXPECT_FALSE(has(sent_tcp(), fin)) << "the header timeout does not apply between requests";
    poll_at(seconds(5));
    EXPECT_TRUE(has(sent_tcp(), fin));
    EXPECT_EQ(services_->counters().idle_timeouts, 1u);
    EXPECT_EQ(services_->counters().header_timeouts, 0u);
}

// Idle means the peer went quiet, not that our response is still on its way: while it is
// unacknowledged (a lossy path, a slow reader) the idle timer does not run; TCP's own
// retransmission limit judges a peer that never acknowledges.
TEST_F(ServicesTimeoutTest, AnUnacknowledgedResponseHoldsTheIdleTimerOff) {
    const Exchange x = one_request();
    for (int s = 1; s <= 8; ++s) poll_at(seconds(s));  // retransmissions, no ACK
    EXPECT_FALSE(has(sent_tcp(), fin)) << "timed out while the response was undelivered";
    EXPECT_EQ(services_->counters().idle_timeouts, 0u);
    // Acknowledged in the next poll: the idle timer runs from the last poll that still saw
    // the response in flight (8 s).
    ack_response(x);
    poll_at(seconds(8) + milliseconds(1));
    poll_at(seconds(13) - milliseconds(1));
    EXPECT_FALSE(has(sent_tcp(), fin));
    poll_at(seconds(13));
    EXPECT_TRUE(has(sent_tcp(), fin)) << "idle for 5 s after the response was acknowledged";
    EXPECT_EQ(services_->counters().idle_timeouts, 1u);
}

}  // namespace
}  // namespace shunt
