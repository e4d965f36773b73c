// The TCP connection machinery as a black box (smoltcp's socket tests): a stack whose IP
// output is captured, a socket brought into a given state, `send(segment)` from the peer,
// `expect_sent(exactly these segments)`, `expect_nothing()`, explicit time.
#pragma once

#include "packet/memory.hpp"
#include "packet/mempool.hpp"
#include "stack/iface/ip_protocol.hpp"
#include "stack/tcp/tcp_stack.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/tcp.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::tcp::test {

using Bytes = std::vector<uint8_t>;
using namespace wire::tcp_flag;

inline const wire::Ipv4Addr kLocalIp = wire::Ipv4Addr::from_octets(10, 0, 0, 2);
inline const wire::Ipv4Addr kRemoteIp = wire::Ipv4Addr::from_octets(10, 0, 0, 1);
inline constexpr uint16_t kLocalPort = 80;
inline constexpr uint16_t kRemotePort = 49500;
inline const Instant kStart = Instant(1'000'000'000);  // t = 1000 s

// A segment as the tests write and read it: the header repr plus the payload bytes.
struct Seg {
    wire::TcpRepr r;
    Bytes payload;

    Seg& data(std::string_view s) {
        payload.assign(s.begin(), s.end());
        r.payload_len = static_cast<uint16_t>(payload.size());
        return *this;
    }
    Seg& data(Bytes b) {
        payload = std::move(b);
        r.payload_len = static_cast<uint16_t>(payload.size());
        return *this;
    }
    Seg& win(uint16_t w) {
        r.window = w;
        return *this;
    }
    Seg& mss(uint16_t m) {
        r.mss = m;
        return *this;
    }
    Seg& ws(uint8_t s) {
        r.window_scale = s;
        return *this;
    }
    Seg& sack_perm() {
        r.sack_permitted = true;
        return *this;
    }
    Seg& ts(uint32_t val, uint32_t ecr) {
        r.timestamps = wire::TcpTimestamps{val, ecr};
        return *this;
    }
    Seg& sack(std::initializer_list<std::pair<SeqNum, SeqNum>> blocks) {
        r.sack_count = 0;
        for (auto [l, rr] : blocks) r.sack[r.sack_count++] = {l.raw(), rr.raw()};
        return *this;
    }
    bool operator==(const Seg& o) const { return r == o.r && payload == o.payload; }
};

inline void PrintTo(const Seg& s, std::ostream* os) {
    const auto& r = s.r;
    *os << "[" << r.src_port << "->" << r.dst_port << " seq=" << r.seq;
    if ((r.flags & ack) != 0) *os << " ack=" << r.ack;
    *os << " flags=";
    if ((r.flags & syn) != 0) *os << "S";
    if ((r.flags & fin) != 0) *os << "F";
    if ((r.flags & rst) != 0) *os << "R";
    if ((r.flags & psh) != 0) *os << "P";
    if ((r.flags & ack) != 0) *os << ".";
    *os << " win=" << r.window << " len=" << s.payload.size();
    if (r.mss) *os << " mss=" << *r.mss;
    if (r.window_scale) *os << " ws=" << int(*r.window_scale);
    if (r.sack_permitted) *os << " sackOK";
    if (r.timestamps) *os << " ts=" << r.timestamps->tsval << "/" << r.timestamps->tsecr;
    for (int i = 0; i < r.sack_count; ++i) {
        *os << " sack=" << r.sack[i].left << "-" << r.sack[i].right;
    }
    *os << "]";
}

// Captures what TCP sends; can keep the buffers referenced (a NIC whose TX ring has not
// completed them yet) to exercise the retransmission copy path.
class CaptureOutput final : public Ipv4Output {
  public:
    CaptureOutput() {
        MemfdProvider memfd;
        pool_ = Mempool::create(memfd, 8192, "tcp-test").value();
    }
    ~CaptureOutput() override { held_.clear(); }

    SendResult send_ipv4(wire::Ipv4Addr dst, uint8_t protocol,
                         PacketChain payload) noexcept override {
        EXPECT_EQ(protocol, wire::ip_proto::tcp);
        EXPECT_EQ(payload.count(), 1u);
        PacketBuf* b = payload.front();
        EXPECT_GE(b->headroom(), 34u) << "no room for IPv4 + Ethernet headers";
        Bytes bytes(b->data(), b->data() + b->length());
        if (offload_ && (b->flags() & tx_flags::l4_csum) != 0 && bytes.size() >= 20) {
            // What the NIC does: sum header and payload into the (zero) checksum field.
            if (bytes[16] == 0 && bytes[17] == 0) offloaded_++;
            wire::TcpView(std::span(bytes)).fill_checksum(src_, dst);
        }
        sent_.push_back(parse(bytes, src_, dst));
        datagrams_.push_back(std::move(bytes));
        if (hold_) held_.push_back(payload.pop_front());
        if (tx_room_ > 0) --tx_room_;
        return SendResult::sent;
    }
    // A TX ring with room for `n` more frames (SIZE_MAX: unbounded).
    bool tx_ready() const noexcept override { return tx_room_ > 0; }
    void set_tx_room(size_t n) { tx_room_ = n; }
    wire::Ipv4Addr source_address(wire::Ipv4Addr) const noexcept override { return src_; }
    uint16_t route_mtu(wire::Ipv4Addr) const noexcept override { return mtu_; }
    Mempool& tx_pool() noexcept override { return *pool_; }
    void count_drop(shunt::DropReason reason, uint64_t n) noexcept override {
        drops_.count(reason, n);
    }
    bool tx_l4_checksum_offload() const noexcept override { return offload_; }
    // A buffer budget over the pool (none unless a test asks: the other tests' numbers
    // assume no bounds beyond the socket's own).
    const BufferBudget* budget() const noexcept override { return budget_ ? &*budget_ : nullptr; }
    void enable_budget(const BudgetConfig& c) { budget_.emplace(*pool_, c); }
    void set_offload(bool on) { offload_ = on; }
    size_t offloaded() const { return offloaded_; }  // segments the "NIC" had to sum

    static Seg parse(Bytes& bytes, wire::Ipv4Addr src, wire::Ipv4Addr dst) {
        auto view = wire::TcpView::check(bytes);
        EXPECT_TRUE(view.ok());
        auto r = wire::TcpRepr::parse(view.value, src, dst, true);
        EXPECT_TRUE(r.ok()) << "TCP sent a segment that does not parse or checksum";
        Seg s{r.value, {}};
        auto p = view.value.payload();
        s.payload.assign(p.begin(), p.end());
        return s;
    }

    std::vector<Seg> take() { return std::exchange(sent_, {}); }
    std::vector<Bytes> take_datagrams() { return std::exchange(datagrams_, {}); }
    void set_hold(bool on) { hold_ = on; }
    void release_held() { held_.clear(); }
    void set_mtu(uint16_t mtu) { mtu_ = mtu; }
    Mempool& pool() { return *pool_; }
    shunt::DropCounters drops_;  // the interface layer's (no_buffer)

  private:
    std::unique_ptr<Mempool> pool_;
    std::optional<BufferBudget> budget_;
    std::vector<Seg> sent_;
    std::vector<Bytes> datagrams_;
    std::vector<Packet> held_;
    bool hold_ = false;
    bool offload_ = false;
    size_t offloaded_ = 0;
    uint16_t mtu_ = 1500;
    size_t tx_room_ = SIZE_MAX;
    wire::Ipv4Addr src_ = kLocalIp;
};

// Options without RFC 7323/2018 extensions unless a test asks: segments stay readable.
inline SocketOptions plain_options() {
    SocketOptions o;
    o.window_scaling = false;
    o.timestamps = false;
    o.sack = false;
    o.recv_buffer = 65535;
    o.send_buffer = 256 * 1024;
    o.congestion = CongestionAlgorithm::newreno;
    // The RFC 5681/6582/6675 numbers as those RFCs work them; tcp_limited_transmit_test.cpp
    // covers RFC 3042 and RFC 5827 on top.
    o.limited_transmit = false;
    o.early_retransmit = false;
    return o;
}

class TcpTest : public ::testing::Test {
  protected:
    TcpTest() { make_stack(plain_options()); }

    void make_stack(const SocketOptions& defaults, bool syn_cookies = true) {
        TcpConfig cfg;
        cfg.defaults = defaults;
        cfg.syn_cookies = syn_cookies;
        cfg.secret = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        config_ = cfg;
        our_window_ = static_cast<uint16_t>(std::min<uint32_t>(defaults.recv_buffer, 65535));
        stack_.reset();
        stack_ = std::make_unique<TcpStack>(out_, cfg);
    }
    void make_stack(const TcpConfig& cfg) {
        config_ = cfg;
        stack_.reset();
        stack_ = std::make_unique<TcpStack>(out_, cfg);
    }

    // ---- segments from the peer ----
    Seg peer(uint8_t flags, SeqNum seq, std::optional<SeqNum> ack_no = std::nullopt,
             uint16_t window = 65535) const {
        Seg s;
        s.r.src_port = remote_port_;
        s.r.dst_port = local_port_;
        s.r.seq = seq.raw();
        s.r.ack = ack_no ? ack_no->raw() : 0;
        s.r.flags = static_cast<uint8_t>(flags | (ack_no ? ack : 0));
        s.r.window = window;
        return s;
    }
    // ---- segments we expect from the stack ----
    Seg ours(uint8_t flags, SeqNum seq, std::optional<SeqNum> ack_no,
             std::optional<uint16_t> window_field = std::nullopt) const {
        const uint16_t window = window_field.value_or(our_window_);
        Seg s;
        s.r.src_port = local_port_;
        s.r.dst_port = remote_port_;
        s.r.seq = seq.raw();
        s.r.ack = ack_no ? ack_no->raw() : 0;
        s.r.flags = static_cast<uint8_t>(flags | (ack_no ? ack : 0));
        s.r.window = window;
        return s;
    }

    void send(const Seg& s) {
        PacketBuf* b = out_.pool().alloc();
        ASSERT_NE(b, nullptr);
        Packet p(b);
        const size_t hlen = s.r.header_len();
        uint8_t* h = p->append(hlen + s.payload.size());
        if (!s.payload.empty()) std::memcpy(h + hlen, s.payload.data(), s.payload.size());
        wire::TcpRepr r = s.r;
        r.payload_len = static_cast<uint16_t>(s.payload.size());
        wire::TcpView view(std::span(h, hlen + s.payload.size()));
        r.emit(view, kRemoteIp, kLocalIp);
        Ipv4Meta meta{kRemoteIp, kLocalIp, wire::ip_proto::tcp, false};
        stack_->receive(meta, PacketChain(std::move(p)), now_);
    }

    // What the stack sends: its egress runs first (Stack::poll's last phase), as after every
    // poll; arrivals, timers and application calls only mark sockets.
    std::vector<Seg> sent() {
        stack_->egress(now_);
        return out_.take();
    }
    void expect_sent(const std::vector<Seg>& want) { EXPECT_EQ(sent(), want); }
    void expect_nothing() { EXPECT_EQ(sent(), std::vector<Seg>{}); }
    // Moves time and runs timers.
    void advance(Duration d) {
        now_ += d;
        stack_->on_timers(now_);
    }
    uint64_t drops(DropReason r) const { return stack_->drops()[r]; }     // TCP's own
    uint64_t drops(shunt::DropReason r) const { return out_.drops_[r]; }  // the interface's

    // A payload buffer from the pool with the given bytes (what an application sends).
    Packet payload(std::string_view text) {
        PacketBuf* b = out_.pool().alloc();
        Packet p(b);
        std::memcpy(p->append(text.size()), text.data(), text.size());
        return p;
    }
    Packet payload(size_t n, uint8_t fill) {
        PacketBuf* b = out_.pool().alloc();
        Packet p(b);
        std::memset(p->append(n), fill, n);
        return p;
    }
    static Bytes bytes(size_t n, uint8_t fill) { return Bytes(n, fill); }
    static std::string text(const PacketChain& c) {
        std::string s;
        for (PacketBuf* b : c) s.append(reinterpret_cast<const char*>(b->data()), b->length());
        return s;
    }

    // ---- sockets in a state ----
    // Active open: SYN out, SYN,ACK in, ACK out. local_seq_ / remote_seq_ are the next
    // sequence numbers of each side afterwards.
    TcpSocket* connect_established(uint16_t peer_mss = 1460) {
        TcpSocket* s = connect_syn_sent();
        send(peer(syn, remote_isn_, local_seq_).mss(peer_mss));
        remote_seq_ = remote_isn_ + 1;
        expect_sent({ours(0, local_seq_, remote_seq_)});
        EXPECT_EQ(s->state(), TcpState::established);
        return s;
    }
    TcpSocket* connect_syn_sent() {
        TcpSocket* s = stack_->connect({kRemoteIp, kRemotePort}, now_, kLocalPort);
        EXPECT_NE(s, nullptr);
        auto out = sent();
        EXPECT_EQ(out.size(), 1u);
        if (out.empty()) return s;
        local_isn_ = SeqNum(out[0].r.seq);
        local_seq_ = local_isn_ + 1;
        EXPECT_EQ(out[0], ours(syn, local_isn_, std::nullopt).mss(1460));
        return s;
    }
    // Passive open through a listener on kLocalPort; returns the accepted socket.
    TcpSocket* accept_established(uint16_t peer_mss = 1460, size_t backlog = 8) {
        listener_ = stack_->listen(kLocalPort, backlog);
        EXPECT_NE(listener_, nullptr);
        send(peer(syn, remote_isn_).mss(peer_mss));
        auto out = sent();
        EXPECT_EQ(out.size(), 1u);
        if (out.empty()) return nullptr;
        local_isn_ = SeqNum(out[0].r.seq);
        local_seq_ = local_isn_ + 1;
        remote_seq_ = remote_isn_ + 1;
        EXPECT_EQ(out[0], ours(syn, local_isn_, remote_seq_).mss(1460));
        send(peer(0, remote_seq_, local_seq_));
        expect_nothing();
        TcpSocket* s = listener_->accept();
        EXPECT_NE(s, nullptr);
        if (s != nullptr) {
            EXPECT_EQ(s->state(), TcpState::established);
        }
        return s;
    }

    CaptureOutput out_;
    TcpConfig config_;
    std::unique_ptr<TcpStack> stack_;
    TcpListener* listener_ = nullptr;
    Instant now_ = kStart;
    uint16_t our_window_ = 65535;  // the window field of our SYN (unscaled)
    uint16_t local_port_ = kLocalPort;
    uint16_t remote_port_ = kRemotePort;
    SeqNum remote_isn_ = SeqNum(1000);
    SeqNum local_isn_;
    SeqNum local_seq_;
    SeqNum remote_seq_;
};

}  // namespace shunt::tcp::test
