// The NIC packetdrill drives: frames in memory, no device. Injected IPv4 packets (what
// packetdrill's netdev_send hands over, starting at the IP header) get an Ethernet header from
// the "remote" MAC and wait in RX; what the stack transmits is kept with the virtual time it
// left at, for netdev_receive. The NIC answers the stack's ARP requests itself (every address
// the scripts use is behind it), so the first segment of a script is not held up by address
// resolution that no script expects (RFC 826: a request for any address gets a reply).
#pragma once

#include "base/byte_order.hpp"
#include "base/mac_addr.hpp"
#include "base/time.hpp"
#include "driver/nic.hpp"
#include "packet/memory.hpp"
#include "packet/mempool.hpp"
#include "stack/wire/arp.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <span>
#include <vector>

namespace shunt::conformance {

inline constexpr MacAddr kStackMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
inline constexpr MacAddr kPeerMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherArp = 0x0806;
inline constexpr size_t kEthHeader = 14;

struct SentFrame {
    std::vector<uint8_t> ip;  // from the IP header on
    Instant at;
};

class ScriptNic final : public Nic {
  public:
    ScriptNic() {
        MemfdProvider memfd;
        auto pool = Mempool::create(memfd, 4096, "packetdrill");
        if (pool) pool_ = std::move(*pool);
    }
    ~ScriptNic() override {
        for (PacketBuf* b : rx_) b->unref();
    }
    bool ok() const { return pool_ != nullptr; }

    // An IPv4 packet from packetdrill; false if the pool is empty or the packet is malformed.
    //
    // The scripts were written against Linux's tun device with GRO, so the peer's segments
    // are often larger than the 1500-byte MTU (`< P. 1:4001(4000)` after `<mss 1000>`). Such
    // a segment cannot arrive whole on a 1500-byte link: a TCP segment longer than the MTU is
    // delivered as the script's author meant it, segments of the MSS the script's SYN gave
    // (the unit its byte counts are written in) with the same header, consecutive sequence
    // numbers, PSH and FIN on the last one only, as the peer's TSO would have cut it.
    bool inject_ip(std::span<const uint8_t> ip) {
        note_peer_mss(ip);
        if (ip.size() <= mtu()) return inject(kEtherIpv4, ip);
        return inject_split(ip);
    }
    bool rx_pending() const { return !rx_.empty(); }
    void set_now(Instant now) { now_ = now; }
    std::deque<SentFrame>& sent() { return sent_; }

    std::string name() const override { return "packetdrill:0"; }
    std::string driver() const override { return "packetdrill"; }
    MacAddr mac() const override { return kStackMac; }
    uint16_t mtu() const override { return 1500; }
    LinkStatus link() override { return {true, 0}; }
    uint16_t queue_count() const override { return 1; }
    NicCaps caps() const override { return {}; }
    NicCounters counters() override { return counters_; }
    size_t rx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept override {
        size_t n = 0;
        while (n < bufs.size() && !rx_.empty()) {
            bufs[n++] = rx_.front();
            rx_.pop_front();
        }
        counters_.rx_packets += n;
        return n;
    }
    size_t tx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept override {
        for (PacketBuf* b : bufs) {
            on_transmit(b->bytes());
            b->unref();
        }
        counters_.tx_packets += bufs.size();
        return bufs.size();
    }
    int wait_fd(uint16_t) const override { return -1; }
    Mempool& tx_pool(uint16_t) override { return *pool_; }

  private:
    bool inject(uint16_t ethertype, std::span<const uint8_t> payload) {
        if (payload.size() + kEthHeader > PacketBuf::kDataRoom) return false;
        PacketBuf* b = pool_->alloc();
        if (b == nullptr) return false;
        wire::EthernetView eth(std::span<uint8_t>(b->rx_area(), kEthHeader));
        wire::EthernetRepr{.src = kPeerMac, .dst = kStackMac, .ethertype = ethertype}.emit(eth);
        std::memcpy(b->rx_area() + kEthHeader, payload.data(), payload.size());
        b->set_received(static_cast<uint16_t>(payload.size() + kEthHeader));
        rx_.push_back(b);
        return true;
    }

    // The MSS option (RFC 9293 §3.7.1) of the last SYN injected.
    void note_peer_mss(std::span<const uint8_t> ip) {
        if (ip.size() < 40 || ip[9] != 6) return;
        const size_t ihl = size_t{ip[0]} % 16 * 4;
        if (ip.size() < ihl + 20 || (ip[ihl + 13] & 0x02) == 0) return;
        const size_t thl = size_t{ip[ihl + 12]} / 16 * 4;
        const size_t end = std::min(ip.size(), ihl + thl);
        for (size_t o = ihl + 20; o < end;) {
            const uint8_t kind = ip[o];
            if (kind == 0) break;
            if (kind == 1) {
                ++o;
                continue;
            }
            if (o + 1 >= end || ip[o + 1] < 2) break;
            if (kind == 2 && ip[o + 1] == 4 && o + 4 <= end) peer_mss_ = load_be16(&ip[o + 2]);
            o += ip[o + 1];
        }
    }

    bool inject_split(std::span<const uint8_t> ip) {
        constexpr uint8_t kTcp = 6;
        constexpr uint8_t kFin = 0x01, kPsh = 0x08;
        if (ip.size() < 20 || ip[9] != kTcp) return false;
        const size_t ihl = size_t{ip[0]} % 16 * 4;
        if (ip.size() < ihl + 20) return false;
        const size_t thl = size_t{ip[ihl + 12]} / 16 * 4;
        const size_t hdr = ihl + thl;
        if (thl < 20 || ip.size() < hdr || hdr >= mtu()) return false;
        size_t chunk = mtu() - hdr;
        if (peer_mss_ != 0) chunk = std::min<size_t>(chunk, peer_mss_);
        const auto src = wire::Ipv4Addr::load(&ip[12]);
        const auto dst = wire::Ipv4Addr::load(&ip[16]);
        const uint32_t seq0 = load_be32(&ip[ihl + 4]);
        const uint8_t flags = ip[ihl + 13];
        std::vector<uint8_t> seg;
        for (size_t off = hdr; off < ip.size(); off += chunk) {
            const size_t len = std::min(chunk, ip.size() - off);
            const bool last = off + len == ip.size();
            seg.assign(ip.begin(), ip.begin() + static_cast<ptrdiff_t>(hdr));
            seg.insert(seg.end(), ip.begin() + static_cast<ptrdiff_t>(off),
                       ip.begin() + static_cast<ptrdiff_t>(off + len));
            store_be16(&seg[2], static_cast<uint16_t>(seg.size()));
            store_be16(&seg[10], 0);
            store_be16(&seg[10], wire::internet_checksum({seg.data(), ihl}));
            store_be32(&seg[ihl + 4], seq0 + static_cast<uint32_t>(off - hdr));
            if (!last) seg[ihl + 13] = static_cast<uint8_t>(flags & ~(kFin | kPsh));
            store_be16(&seg[ihl + 16], 0);
            const auto tcp_len = static_cast<uint16_t>(seg.size() - ihl);
            const uint32_t sum = wire::checksum_partial(
                {seg.data() + ihl, tcp_len}, wire::pseudo_header_sum(src, dst, kTcp, tcp_len));
            store_be16(&seg[ihl + 16], wire::checksum_fold(sum));
            if (!inject(kEtherIpv4, seg)) return false;
        }
        return true;
    }

    void on_transmit(std::span<const uint8_t> frame) {
        if (frame.size() < kEthHeader) return;
        const uint16_t type = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
        auto payload = frame.subspan(kEthHeader);
        if (type == kEtherIpv4) {
            sent_.push_back({{payload.begin(), payload.end()}, now_});
        } else if (type == kEtherArp) {
            answer_arp(payload);
        }
    }

    void answer_arp(std::span<const uint8_t> payload) {
        std::vector<uint8_t> req(payload.begin(), payload.end());
        auto parsed = wire::ArpView::check(req);
        if (!parsed.ok()) return;
        const wire::ArpView& view = parsed.value;
        if (view.operation() != static_cast<uint16_t>(wire::ArpOp::request)) return;
        std::vector<uint8_t> reply(wire::ArpView::kLen);
        wire::ArpView r(reply);
        r.set_hardware_type(wire::arp_hardware::ethernet);
        r.set_protocol_type(kEtherIpv4);
        r.set_hardware_len(6);
        r.set_protocol_len(4);
        r.set_operation(static_cast<uint16_t>(wire::ArpOp::reply));
        r.set_sender_mac(kPeerMac);
        r.set_sender_ip(view.target_ip());
        r.set_target_mac(view.sender_mac());
        r.set_target_ip(view.sender_ip());
        inject(kEtherArp, reply);
    }

    std::unique_ptr<Mempool> pool_;
    std::deque<PacketBuf*> rx_;
    std::deque<SentFrame> sent_;
    Instant now_{};
    uint16_t peer_mss_ = 0;
    NicCounters counters_{};
};

}  // namespace shunt::conformance
