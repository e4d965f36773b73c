// libFuzzer target for TCP's input path: a TcpStack with a listener and actively opened
// connections, driven by a script decoded from the input. Each step is a peer segment (free
// header fields, or aimed at the sequence numbers the stack last sent so that the fuzzer can
// walk the handshake into every state), a raw segment of arbitrary bytes, a time step, or an
// application call (connect, accept, send, recv, close, shutdown, abort).
//
// Properties, beyond ASan/UBSan finding nothing: every segment the stack sends parses with a
// correct checksum, and once the stack is destroyed every packet buffer is back in the pool.
#include "fuzz/fuzz_check.hpp"
#include "packet/memory.hpp"
#include "packet/mempool.hpp"
#include "stack/iface/ip_protocol.hpp"
#include "stack/tcp/tcp_stack.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/tcp.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
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

class Output final : public Ipv4Output {
  public:
    SendResult send_ipv4(wire::Ipv4Addr dst, uint8_t protocol,
                         PacketChain payload) noexcept override {
        require(protocol == wire::ip_proto::tcp && dst == kRemote && payload.count() == 1);
        PacketBuf* b = payload.front();
        auto view = wire::TcpView::check(b->bytes());
        require(view.ok());
        auto repr = wire::TcpRepr::parse(view.value, kLocal, dst, true);
        require(repr.ok());
        const uint16_t peer = repr.value.dst_port;
        if (peer >= kRemoteBase && peer < kRemoteBase + 4) {
            LastSent& l = last[peer - kRemoteBase];
            l.seq_end = repr.value.seq + repr.value.segment_len();
            l.ack = repr.value.ack;
            l.our_port = repr.value.src_port;
        }
        if (tx_room > 0) --tx_room;
        return SendResult::sent;  // dropping the chain returns the buffer, as a NIC would
    }
    // A TX ring that fills: egress must stop and keep the rest for the next poll.
    bool tx_ready() const noexcept override { return tx_room > 0; }
    wire::Ipv4Addr source_address(wire::Ipv4Addr) const noexcept override { return kLocal; }
    uint16_t route_mtu(wire::Ipv4Addr) const noexcept override { return 1500; }
    Mempool& tx_pool() noexcept override { return pool(); }
    void count_drop(DropReason, uint64_t) noexcept override {}

    std::array<LastSent, 4> last{};
    size_t tx_room = SIZE_MAX;
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
wire::TcpRepr segment_repr(Reader& r, const Output& out, bool aimed) {
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

void deliver(tcp::TcpStack& stack, PacketBuf* b, Instant now) {
    const Ipv4Meta meta{kRemote, kLocal, wire::ip_proto::tcp, false};
    stack.receive(meta, PacketChain(Packet(b)), now);
}

void deliver_repr(tcp::TcpStack& stack, const wire::TcpRepr& s, Reader& r, Instant now) {
    PacketBuf* b = pool().alloc();
    if (b == nullptr) return;
    const size_t hlen = s.header_len();
    uint8_t* bytes = b->append(hlen + s.payload_len);
    std::memset(bytes + hlen, 0x5a, s.payload_len);
    wire::TcpView view(std::span(bytes, hlen + s.payload_len));
    s.emit(view, kRemote, kLocal, true);
    if ((r.u8() & 15) == 0) bytes[hlen / 2] ^= 0x40;  // now and then a corrupted one
    deliver(stack, b, now);
}

// Arbitrary bytes as a whole segment, with the checksum made right when it fits (else every
// such segment would stop at the checksum and the parser behind it would never be reached).
void deliver_raw(tcp::TcpStack& stack, Reader& r, Instant now) {
    PacketBuf* b = pool().alloc();
    if (b == nullptr) return;
    const size_t want = r.u8();
    uint8_t* bytes = b->append(want);
    const size_t got = r.take(bytes, want);
    b->trim_back(want - got);
    if (got >= 18) {
        bytes[16] = bytes[17] = 0;
        const uint16_t c = wire::tcp_checksum(kRemote, kLocal, std::span(bytes, got));
        bytes[16] = static_cast<uint8_t>(c >> 8);
        bytes[17] = static_cast<uint8_t>(c);
    }
    deliver(stack, b, now);
}

void app_call(tcp::TcpStack& stack, std::vector<tcp::TcpSocket*>& socks, tcp::TcpListener* l,
              Reader& r, Instant now) {
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
    Output out;
    {
        tcp::TcpConfig cfg;
        cfg.max_connections = 16;
        cfg.time_wait_slots = 8;
        cfg.secret[0] = 7;
        tcp::TcpStack stack(out, cfg);
        tcp::TcpListener* listener = stack.listen(kListenPort, 4);
        std::vector<tcp::TcpSocket*> socks;
        Instant now(1'000'000'000);
        for (int step = 0; step < 512 && !r.empty(); ++step) {
            switch (r.u8() % 5) {
                case 0:
                    deliver_repr(stack, segment_repr(r, out, false), r, now);
                    break;
                case 1:
                    deliver_repr(stack, segment_repr(r, out, true), r, now);
                    break;
                case 2:
                    deliver_raw(stack, r, now);
                    break;
                case 3:
                    now += Duration(int64_t{r.u16()} * ((r.u8() & 1) != 0 ? 1000 : 100'000));
                    stack.on_timers(now);
                    break;
                default:
                    app_call(stack, socks, listener, r, now);
                    break;
            }
            // Egress, as Stack::poll runs it; sometimes with a TX ring that takes only a few.
            const uint8_t room = r.u8();
            out.tx_room = room < 32 ? room % 4 : SIZE_MAX;
            stack.egress(now);
        }
        out.tx_room = SIZE_MAX;
        stack.egress(now);
    }
    require(pool().available() == pool().capacity());  // no buffer leaked
    return 0;
}
