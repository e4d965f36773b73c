// libFuzzer target for the buffer budget (issue 11; stack/iface/buffer_budget.hpp): the
// whole receive path, Interface::receive_frame through reassembly, the neighbour cache and
// TCP, on a small pool (256 buffers) so that the reserve, the shares and pressure are
// reached within a few dozen steps. Each step is a frame from one of several peers, some of
// which never answer ARP (their replies wait in the neighbour queues): an IPv4 fragment
// (ident, offset, MF, length from the script), a TCP segment aimed at what the stack last
// sent (in order or out of order, one byte or more), an ARP reply, or a time step; an
// application reads now and then, or not at all.
//
// Properties, beyond ASan/UBSan finding nothing: every holder stays within its bound
// (reassembly's buffers within its share, TCP's out-of-order buffers within theirs plus one
// arriving segment), and once the stack is destroyed every buffer is back in the pool.
#include "driver/nic.hpp"
#include "fuzz/fuzz_check.hpp"
#include "packet/memory.hpp"
#include "packet/mempool.hpp"
#include "stack/stack.hpp"
#include "stack/wire/arp.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/tcp.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace shunt;
using shunt::fuzz::require;

const wire::Ipv4Addr kLocal = wire::Ipv4Addr::from_octets(10, 0, 0, 2);
constexpr uint16_t kListenPort = 80;
constexpr size_t kPeers = 4;  // 10.0.0.10..13; odd ones never answer ARP on their own

Mempool& pool() {
    static std::unique_ptr<Mempool> p = [] {
        MemfdProvider memfd;
        return Mempool::create(memfd, 256, "fuzz-budget").value();
    }();
    return *p;
}

const MacAddr kLocalMac{{0x02, 0, 0, 0, 0, 0x02}};
wire::Ipv4Addr peer_ip(size_t i) {
    return wire::Ipv4Addr::from_octets(10, 0, 0, static_cast<uint8_t>(10 + i));
}
MacAddr peer_mac(size_t i) {
    return MacAddr{{0x02, 0, 0, 0, 1, static_cast<uint8_t>(i)}};
}

// What the stack last sent to a peer: enough to aim a segment.
struct LastSent {
    uint32_t seq_end = 0;
    uint32_t ack = 0;
    uint16_t our_port = 0;
};

class BudgetNic final : public Nic {
  public:
    ~BudgetNic() override {
        for (PacketBuf* b : rx_) b->unref();
    }
    // Ethernet from peer `from` (and an IPv4 header when `ip` is set); returns the payload
    // bytes to fill, or null when the pool is empty (the frame is lost, as on a real NIC).
    uint8_t* frame(size_t from, uint16_t ethertype, size_t len, PacketBuf*& out) {
        out = pool().alloc();
        if (out == nullptr) return nullptr;
        uint8_t* f = out->rx_area();
        wire::EthernetView eth(std::span(f, 14));
        wire::EthernetRepr{peer_mac(from), kLocalMac, ethertype}.emit(eth);
        out->set_received(static_cast<uint16_t>(14 + len));
        return f + 14;
    }
    void inject(PacketBuf* b) { rx_.push_back(b); }

    std::string name() const override { return "fuzz:0"; }
    std::string driver() const override { return "fuzz"; }
    MacAddr mac() const override { return kLocalMac; }
    uint16_t mtu() const override { return 1500; }
    LinkStatus link() override { return {true, 0}; }
    uint16_t queue_count() const override { return 1; }
    NicCaps caps() const override { return {}; }
    NicCounters counters() override { return {}; }
    size_t rx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept override {
        size_t n = 0;
        for (; n < bufs.size() && !rx_.empty(); ++n) {
            bufs[n] = rx_.front();
            rx_.erase(rx_.begin());
        }
        return n;
    }
    size_t tx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept override {
        for (PacketBuf* b : bufs) {
            note_sent(b->bytes());
            b->unref();
        }
        return bufs.size();
    }
    int wait_fd(uint16_t) const override { return -1; }
    Mempool& tx_pool(uint16_t) override { return pool(); }

    std::array<LastSent, kPeers> last{};
    std::array<bool, kPeers> asked{};  // an ARP request for the peer went out

  private:
    void note_sent(std::span<uint8_t> f) {
        auto eth = wire::EthernetView::check(f);
        require(eth.ok());
        if (eth.value.ethertype() == wire::ethertype::arp) {
            auto arp = wire::ArpView::check(eth.value.payload());
            if (!arp.ok()) return;
            auto repr = wire::ArpRepr::parse(arp.value);
            if (!repr.ok()) return;
            for (size_t i = 0; i < kPeers; ++i) {
                if (repr.value.target_ip == peer_ip(i)) asked[i] = true;
            }
            return;
        }
        auto ip = wire::Ipv4View::check(f.subspan(14));
        require(ip.ok());
        if (ip.value.protocol() != wire::ip_proto::tcp) return;
        auto view = wire::TcpView::check(ip.value.payload());
        if (!view.ok()) return;
        for (size_t i = 0; i < kPeers; ++i) {
            if (ip.value.dst() != peer_ip(i)) continue;
            auto repr = wire::TcpRepr::parse(view.value, kLocal, peer_ip(i), true);
            require(repr.ok());
            last[i] = {repr.value.seq + repr.value.segment_len(), repr.value.ack,
                       repr.value.src_port};
        }
    }
    std::vector<PacketBuf*> rx_;
};

class Reader {
  public:
    Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
    bool empty() const { return n_ == 0; }
    uint8_t u8() {
        if (n_ == 0) return 0;
        --n_;
        return *p_++;
    }
    uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }

  private:
    const uint8_t* p_;
    size_t n_;
};

void ipv4_header(uint8_t* at, size_t from, uint8_t protocol, size_t payload, uint16_t ident,
                 bool more, uint16_t offset_bytes) {
    wire::Ipv4View ip(std::span(at, 20 + payload));
    wire::Ipv4Repr{.src = peer_ip(from),
                   .dst = kLocal,
                   .protocol = protocol,
                   .payload_len = static_cast<uint16_t>(payload),
                   .ident = ident,
                   .more_frags = more,
                   .frag_offset = offset_bytes}
        .emit(ip);
}

void send_fragment(BudgetNic& nic, size_t from, Reader& r) {
    const uint16_t ident = static_cast<uint16_t>(r.u8() % 16);
    const uint16_t offset8 = static_cast<uint16_t>(r.u8() % 64);  // units of 8 bytes
    const bool more = (r.u8() & 3) != 0;
    const size_t len = more ? 8u * (1 + r.u8() % 16) : r.u8();
    PacketBuf* b = nullptr;
    uint8_t* p = nic.frame(from, wire::ethertype::ipv4, 20 + len, b);
    if (p == nullptr) return;
    std::memset(p + 20, 0x11, len);
    ipv4_header(p, from, wire::ip_proto::udp, len, ident, more, static_cast<uint16_t>(offset8 * 8));
    nic.inject(b);
}

void send_segment(BudgetNic& nic, size_t from, Reader& r) {
    const LastSent& l = nic.last[from];
    wire::TcpRepr s;
    s.src_port = static_cast<uint16_t>(40000 + from);
    s.dst_port = l.our_port != 0 && (r.u8() & 7) != 0 ? l.our_port : kListenPort;
    const uint8_t kind = r.u8();
    if (l.our_port == 0 || (kind & 15) == 0) {
        s.flags = wire::tcp_flag::syn;
        s.seq = 1000;
        s.mss = 1460;
    } else {
        s.flags = wire::tcp_flag::ack;
        s.ack = l.seq_end;
        // In order, or a hole of `kind` bytes before it (the out-of-order flood).
        s.seq = l.ack + ((kind & 1) != 0 ? 0u : 2u * (kind >> 1));
    }
    s.window = r.u16();
    const size_t len = (s.flags & wire::tcp_flag::syn) != 0 ? 0 : ((r.u8() & 3) == 0 ? 1000 : 1);
    s.payload_len = static_cast<uint16_t>(len);
    const size_t hlen = s.header_len();
    PacketBuf* b = nullptr;
    uint8_t* p = nic.frame(from, wire::ethertype::ipv4, 20 + hlen + len, b);
    if (p == nullptr) return;
    ipv4_header(p, from, wire::ip_proto::tcp, hlen + len, 1, false, 0);
    std::memset(p + 20 + hlen, 'x', len);
    wire::TcpView view(std::span(p + 20, hlen + len));
    s.emit(view, peer_ip(from), kLocal, true);
    nic.inject(b);
}

void send_arp_reply(BudgetNic& nic, size_t from) {
    PacketBuf* b = nullptr;
    uint8_t* a = nic.frame(from, wire::ethertype::arp, wire::ArpRepr::len(), b);
    if (a == nullptr) return;
    wire::ArpView v(std::span(a, wire::ArpRepr::len()));
    wire::ArpRepr{wire::ArpOp::reply, peer_mac(from), peer_ip(from), kLocalMac, kLocal}.emit(v);
    nic.inject(b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader r(data, size);
    {
        BudgetNic nic;
        InterfaceConfig iface;
        iface.mac = kLocalMac;
        iface.address = wire::Ipv4Cidr{kLocal, 24};
        tcp::TcpConfig cfg;
        cfg.max_connections = 16;
        cfg.time_wait_slots = 8;
        cfg.secret[0] = 7;
        cfg.zero_window_timeout = std::chrono::seconds(1);
        Stack stack(nic, 0, iface, cfg);
        const BufferBudget& budget = stack.iface().buffer_budget();
        const size_t reassembly_share = budget.share(iface.budget.reassembly_percent);
        const size_t ooo_share = budget.share(iface.budget.tcp_ooo_percent);
        tcp::TcpListener* listener = stack.listen(kListenPort, 8);
        std::vector<tcp::TcpSocket*> socks;
        Instant now(1'000'000'000);
        stack.poll(now);
        for (int step = 0; step < 1024 && !r.empty(); ++step) {
            const uint8_t op = r.u8();
            const size_t from = op % kPeers;
            switch ((op >> 2) % 6) {
                case 0:
                    send_fragment(nic, from, r);
                    break;
                case 1:
                case 2:
                    send_segment(nic, from, r);
                    break;
                case 3:
                    if (nic.asked[from] && from % 2 == 0) send_arp_reply(nic, from);
                    break;
                case 4:
                    now += Duration(int64_t{r.u16()} * 1000);
                    break;
                default:
                    if (listener != nullptr) {
                        while (auto* s = listener->accept()) socks.push_back(s);
                    }
                    if (!socks.empty() && (r.u8() & 1) != 0) {
                        (void)socks[r.u8() % socks.size()]->recv(r.u16());
                    }
                    break;
            }
            stack.poll(now);
            require(stack.iface().reassembler().buffers_held() <= reassembly_share);
            // A segment that fills a hole may land before the prune that follows it.
            require(stack.tcp().ooo_buffers_held() <= ooo_share + 1);
        }
        bool done = false;
        for (int i = 0; i < 64 && !done; ++i) done = stack.shutdown_step(now);
        for (tcp::TcpSocket* s : socks) s->abort();
    }
    require(pool().available() == pool().capacity());  // every buffer came home
    return 0;
}
