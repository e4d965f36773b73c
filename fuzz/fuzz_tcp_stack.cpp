// libFuzzer target for TCP's input path, driven as the mains drive it: a Stack (interface and
// TCP, stack/stack.hpp) on an in-memory NIC, with a listener and actively opened connections,
// polled after every step of a script decoded from the input. Each step is a peer segment
// (free header fields, or aimed at the sequence numbers the stack last sent so that the
// fuzzer can walk the handshake into every state), a raw segment of arbitrary bytes, a time
// step, or an application call (connect, accept, send, recv, close, shutdown, abort); each
// poll may find a TX ring that takes only a few frames. The last step is the mains' shutdown.
//
// Properties, beyond ASan/UBSan finding nothing: every frame the stack sends is Ethernet +
// IPv4 with a valid header and a TCP segment that parses with a correct checksum (or ARP), and
// once the stack is destroyed every packet buffer is back in the pool.
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
const wire::Ipv4Addr kRemote = wire::Ipv4Addr::from_octets(10, 0, 0, 1);
constexpr uint16_t kListenPort = 80;
constexpr uint16_t kRemoteBase = 40000;  // the peer's ports: kRemoteBase + 0..3

Mempool& pool() {
    static std::unique_ptr<Mempool> p = [] {
        MemfdProvider memfd;
        return Mempool::create(memfd, 2048, "fuzz-tcp").value();
    }();
    return *p;
}

// What the stack last said on one connection (by the peer's port): enough to aim a reply.
struct LastSent {
    uint32_t seq_end = 0;  // seq + SEG.LEN of its last segment
    uint32_t ack = 0;
    uint16_t our_port = 0;
};

const MacAddr kLocalMac{{0x02, 0, 0, 0, 0, 0x02}};
const MacAddr kRemoteMac{{0x02, 0, 0, 0, 0, 0x01}};

// The NIC under the Stack: frames the script builds wait in an RX queue; every frame sent is
// checked and remembered; the TX ring takes `tx_room` frames per call (back-pressure).
class FuzzNic final : public Nic {
  public:
    ~FuzzNic() override {
        for (PacketBuf* b : rx_) b->unref();
    }
    // Ethernet + IPv4 (a valid header: the interface's checks are not what is fuzzed here)
    // around `l4`, which the caller fills; returns the L4 bytes, or null when out of buffers.
    uint8_t* frame(uint16_t ethertype, size_t l4_len, PacketBuf*& out) {
        out = pool().alloc();
        if (out == nullptr) return nullptr;
        const size_t ip_len = ethertype == wire::ethertype::ipv4 ? 20 : 0;
        uint8_t* f = out->rx_area();
        wire::EthernetView eth(std::span(f, 14));
        wire::EthernetRepr{kRemoteMac, kLocalMac, ethertype}.emit(eth);
        if (ip_len != 0) {
            wire::Ipv4View ip(std::span(f + 14, ip_len + l4_len));
            wire::Ipv4Repr{.src = kRemote,
                           .dst = kLocal,
                           .protocol = wire::ip_proto::tcp,
                           .payload_len = static_cast<uint16_t>(l4_len)}
                .emit(ip);
        }
        out->set_received(static_cast<uint16_t>(14 + ip_len + l4_len));
        return f + 14 + ip_len;
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
        const size_t n = std::min(bufs.size(), tx_room);
        for (size_t i = 0; i < n; ++i) {
            check_sent(bufs[i]->bytes());
            bufs[i]->unref();  // sent: the buffer goes back, as a NIC's completion does
        }
        return n;
    }
    int wait_fd(uint16_t) const override { return -1; }
    Mempool& tx_pool(uint16_t) override { return pool(); }

    std::array<LastSent, 4> last{};
    size_t tx_room = SIZE_MAX;

  private:
    void check_sent(std::span<uint8_t> f) {
        auto eth = wire::EthernetView::check(f);
        require(eth.ok());
        if (eth.value.ethertype() == wire::ethertype::arp) return;
        require(eth.value.ethertype() == wire::ethertype::ipv4 && eth.value.dst() == kRemoteMac);
        auto ip = wire::Ipv4View::check(f.subspan(14));
        require(ip.ok() && ip.value.verify_checksum());
        require(ip.value.protocol() == wire::ip_proto::tcp && ip.value.dst() == kRemote);
        auto view = wire::TcpView::check(ip.value.payload());
        require(view.ok());
        auto repr = wire::TcpRepr::parse(view.value, kLocal, kRemote, true);
        require(repr.ok());
        const uint16_t peer = repr.value.dst_port;
        if (peer >= kRemoteBase && peer < kRemoteBase + 4) {
            LastSent& l = last[peer - kRemoteBase];
            l.seq_end = repr.value.seq + repr.value.segment_len();
            l.ack = repr.value.ack;
            l.our_port = repr.value.src_port;
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
    uint32_t u32() { return uint32_t{u16()} | uint32_t{u16()} << 16; }
    size_t take(uint8_t* out, size_t want) {
        const size_t k = std::min(want, n_);
        std::memcpy(out, p_, k);
        p_ += k;
        n_ -= k;
        return k;
    }

  private:
    const uint8_t* p_;
    size_t n_;
};

// Builds a segment from the script: header fields free or aimed, options by a bit mask.
wire::TcpRepr segment_repr(Reader& r, const FuzzNic& out, bool aimed) {
    wire::TcpRepr s;
    const uint8_t which = r.u8() % 4;
    s.src_port = static_cast<uint16_t>(kRemoteBase + which);
    const LastSent& l = out.last[which];
    s.dst_port = (r.u8() & 1) != 0 && l.our_port != 0 ? l.our_port : kListenPort;
    if (aimed) {
        s.seq = l.ack + static_cast<uint32_t>(static_cast<int8_t>(r.u8()));
        s.ack = l.seq_end + static_cast<uint32_t>(static_cast<int8_t>(r.u8()));
    } else {
        s.seq = r.u32();
        s.ack = r.u32();
    }
    s.flags = r.u8();
    s.window = r.u16();
    const uint8_t opts = r.u8();
    if ((opts & 1) != 0) s.mss = r.u16();
    if ((opts & 2) != 0) s.window_scale = static_cast<uint8_t>(r.u8() % 16);
    if ((opts & 4) != 0) s.sack_permitted = true;
    if ((opts & 8) != 0) s.timestamps = wire::TcpTimestamps{r.u32(), r.u32()};
    if ((opts & 16) != 0) {
        s.sack_count = static_cast<uint8_t>(1 + r.u8() % 3);
        for (uint8_t i = 0; i < s.sack_count; ++i) {
            const uint32_t left = l.seq_end + static_cast<uint32_t>(static_cast<int16_t>(r.u16()));
            s.sack[i] = {left, left + r.u16()};
        }
    }
    s.payload_len = (opts & 32) != 0 ? static_cast<uint16_t>(r.u16() % 1400) : 0;
    return s;
}

void deliver_repr(FuzzNic& nic, const wire::TcpRepr& s, Reader& r) {
    const size_t hlen = s.header_len();
    PacketBuf* b = nullptr;
    uint8_t* bytes = nic.frame(wire::ethertype::ipv4, hlen + s.payload_len, b);
    if (bytes == nullptr) return;
    std::memset(bytes + hlen, 0x5a, s.payload_len);
    wire::TcpView view(std::span(bytes, hlen + s.payload_len));
    s.emit(view, kRemote, kLocal, true);
    if ((r.u8() & 15) == 0) bytes[hlen / 2] ^= 0x40;  // now and then a corrupted one
    nic.inject(b);
}

// Arbitrary bytes as a whole segment, with the checksum made right when it fits (else every
// such segment would stop at the checksum and the parser behind it would never be reached).
void deliver_raw(FuzzNic& nic, Reader& r) {
    std::array<uint8_t, 255> raw{};
    const size_t got = r.take(raw.data(), r.u8());
    PacketBuf* b = nullptr;
    uint8_t* bytes = nic.frame(wire::ethertype::ipv4, got, b);
    if (bytes == nullptr) return;
    std::memcpy(bytes, raw.data(), got);
    if (got >= 18) {
        bytes[16] = bytes[17] = 0;
        const uint16_t c = wire::tcp_checksum(kRemote, kLocal, std::span(bytes, got));
        bytes[16] = static_cast<uint8_t>(c >> 8);
        bytes[17] = static_cast<uint8_t>(c);
    }
    nic.inject(b);
}

// Between polls, as a main's own code calls the sockets (the calls only mark them).
void app_call(Stack& stack, std::vector<tcp::TcpSocket*>& socks, tcp::TcpListener* l, Reader& r,
              Instant now) {
    const uint8_t op = r.u8() % 6;
    if (op == 0 && socks.size() < 8) {
        const uint16_t port = static_cast<uint16_t>(kRemoteBase + r.u8() % 4);
        if (auto* s = stack.connect({kRemote, port}, now)) socks.push_back(s);
        return;
    }
    if (op == 1 && l != nullptr && socks.size() < 8) {
        if (auto* s = l->accept()) socks.push_back(s);
        return;
    }
    if (socks.empty()) return;
    const size_t i = r.u8() % socks.size();
    tcp::TcpSocket* s = socks[i];
    switch (op) {
        case 2: {
            std::array<uint8_t, 3000> data{};
            s->copy_send(std::span(data.data(), r.u16() % data.size()));
            break;
        }
        case 3:
            (void)s->recv(r.u16());  // dropping the chain releases the buffers
            break;
        case 4:
            s->shutdown_write();
            break;
        default:  // the handle is gone after close() and abort()
            if ((r.u8() & 1) != 0) {
                s->close();
            } else {
                s->abort();
            }
            socks.erase(socks.begin() + static_cast<std::ptrdiff_t>(i));
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader r(data, size);
    {
        FuzzNic nic;
        InterfaceConfig iface;
        iface.mac = kLocalMac;
        iface.address = wire::Ipv4Cidr{kLocal, 24};
        tcp::TcpConfig cfg;
        cfg.max_connections = 16;
        cfg.time_wait_slots = 8;
        cfg.secret[0] = 7;
        Stack stack(nic, 0, iface, cfg);
        tcp::TcpListener* listener = stack.listen(kListenPort, 4);
        std::vector<tcp::TcpSocket*> socks;
        Instant now(1'000'000'000);
        // The peer introduces itself (ARP request), so the stack can address its replies.
        PacketBuf* arp = nullptr;
        if (uint8_t* a = nic.frame(wire::ethertype::arp, wire::ArpRepr::len(), arp)) {
            wire::ArpView v(std::span(a, wire::ArpRepr::len()));
            wire::ArpRepr{wire::ArpOp::request, kRemoteMac, kRemote, MacAddr{}, kLocal}.emit(v);
            nic.inject(arp);
        }
        stack.poll(now);
        for (int step = 0; step < 512 && !r.empty(); ++step) {
            switch (r.u8() % 5) {
                case 0:
                    deliver_repr(nic, segment_repr(r, nic, false), r);
                    break;
                case 1:
                    deliver_repr(nic, segment_repr(r, nic, true), r);
                    break;
                case 2:
                    deliver_raw(nic, r);
                    break;
                case 3:
                    now += Duration(int64_t{r.u16()} * ((r.u8() & 1) != 0 ? 1000 : 100'000));
                    break;
                default:
                    app_call(stack, socks, listener, r, now);
                    break;
            }
            // One poll per step; sometimes with a TX ring that takes only a few frames.
            const uint8_t room = r.u8();
            nic.tx_room = room < 32 ? room % 4 : SIZE_MAX;
            stack.poll(now);
        }
        // The mains' exit: every connection reset, the RSTs handed to the NIC.
        nic.tx_room = SIZE_MAX;
        bool done = false;
        for (int i = 0; i < 64 && !done; ++i) done = stack.shutdown_step(now);
        require(done);
    }
    require(pool().available() == pool().capacity());  // no buffer leaked
    return 0;
}
