// Interface: IPv4 output. Headers are prepended into buffer headroom; datagrams larger than
// the MTU are fragmented (RFC 791 §3.2 "Fragmentation"), in place when each buffer already
// is a valid fragment payload (a multiple of 8 bytes, at most MTU - 20), else by copying.
#include "stack/iface/interface.hpp"

#include "packet/chain_checksum.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv4.hpp"

#include <cstring>

namespace shunt {

using wire::Ipv4Addr;

namespace {

constexpr size_t kIpHeader = wire::Ipv4Repr::header_len();
constexpr size_t kHeadersBelowIp = kIpHeader + wire::EthernetView::kHeaderLen;
constexpr size_t kMaxDatagramPayload = 65535 - kIpHeader;

}  // namespace

SendResult Interface::send_ipv4(Ipv4Addr dst, uint8_t protocol, PacketChain payload) noexcept {
    const bool broadcast = is_our_broadcast(dst);
    auto next_hop = broadcast ? std::optional<Ipv4Addr>(dst) : routes_.next_hop(dst);
    if (!next_hop) {
        drops_.count(DropReason::no_route, payload.count());
        return SendResult::no_route;
    }
    const size_t total = payload.byte_length();
    if (total > kMaxDatagramPayload) return SendResult::too_big;
    for (PacketBuf* b : payload) {
        if (b->headroom() < kHeadersBelowIp) return SendResult::bad_payload;
    }
    const size_t max_payload = config_.mtu - kIpHeader;
    if (total > max_payload) {
        // A NIC checksums one frame, and a fragment is not the whole segment: a datagram that
        // asked for L4 checksum offload gets its checksum here, before it is cut up.
        if ((payload.front()->flags() & tx_flags::l4_csum) != 0 &&
            !fill_l4_checksum(dst, protocol, payload)) {
            return SendResult::bad_payload;
        }
        return send_fragments(dst, *next_hop, protocol, std::move(payload)) ? SendResult::sent
                                                                            : SendResult::no_buffer;
    }
    if (payload.count() > 1) {
        // Fits one frame but spans buffers: gather (rare: callers usually fill one buffer).
        PacketChain one = copy_fragments(payload, max_payload);
        if (one.empty()) return SendResult::no_buffer;
        payload = std::move(one);
    }
    Packet p = payload.pop_front();
    if (!p) return SendResult::bad_payload;
    output_datagram_piece(std::move(p), dst, *next_hop, protocol, next_ident_++, false, 0);
    return SendResult::sent;
}

// Writes the TCP or UDP checksum of a whole datagram (RFC 9293 §3.1, RFC 768) and withdraws
// the offload request. False when the protocol has no checksum the NIC could have filled or
// the first buffer does not hold the L4 header.
bool Interface::fill_l4_checksum(Ipv4Addr dst, uint8_t protocol, PacketChain& payload) noexcept {
    const bool tcp = protocol == wire::ip_proto::tcp;
    if (!tcp && protocol != wire::ip_proto::udp) return false;
    PacketBuf* first = payload.front();
    const size_t field = tcp ? 16 : 6;
    if (first->length() < field + 2) return false;
    uint8_t* at = first->data() + field;
    at[0] = at[1] = 0;
    const auto len = static_cast<uint16_t>(payload.byte_length());
    uint16_t sum =
        chain_checksum(payload, wire::pseudo_header_sum(config_.address.addr, dst, protocol, len));
    if (!tcp && sum == 0) sum = 0xffff;  // RFC 768: a computed zero is sent as ones
    at[0] = static_cast<uint8_t>(sum >> 8);
    at[1] = static_cast<uint8_t>(sum);
    for (PacketBuf* b : payload) {
        b->set_flags(static_cast<uint16_t>(b->flags() & ~tx_flags::l4_csum));
    }
    return true;
}

bool Interface::send_fragments(Ipv4Addr dst, Ipv4Addr next_hop, uint8_t protocol,
                               PacketChain payload) noexcept {
    // Every fragment but the last carries a multiple of 8 bytes (the offset unit).
    const size_t fragment_payload = (config_.mtu - kIpHeader) & ~size_t{7};
    bool in_place = true;
    for (PacketBuf* b : payload) {
        const bool last = b->next() == nullptr;
        if (b->length() > fragment_payload || (!last && b->length() % 8 != 0) || b->length() == 0) {
            in_place = false;
        }
    }
    if (!in_place) {
        PacketChain copied = copy_fragments(payload, fragment_payload);
        if (copied.empty()) return false;
        payload = std::move(copied);
    }
    const uint16_t ident = next_ident_++;
    size_t offset = 0;
    while (!payload.empty()) {
        Packet p = payload.pop_front();
        const size_t len = p->length();
        counters_.frag_tx++;
        output_datagram_piece(std::move(p), dst, next_hop, protocol, ident, !payload.empty(),
                              offset);
        offset += len;
    }
    return true;
}

// Prepends the IPv4 header to a whole datagram or one fragment of it, and sends it on.
void Interface::output_datagram_piece(Packet p, Ipv4Addr dst, Ipv4Addr next_hop, uint8_t protocol,
                                      uint16_t ident, bool more_frags, size_t offset) noexcept {
    const size_t len = p->length();
    uint8_t* h = p->prepend(kIpHeader);
    wire::Ipv4View view(std::span(h, kIpHeader + len));
    wire::Ipv4Repr{.src = config_.address.addr,
                   .dst = dst,
                   .protocol = protocol,
                   .payload_len = static_cast<uint16_t>(len),
                   .ttl = config_.ttl,
                   .ident = ident,
                   .more_frags = more_frags,
                   .frag_offset = static_cast<uint16_t>(offset)}
        .emit(view, !tx_ip_csum_);
    // With offload the NIC fills the header checksum (the field is left zero).
    uint16_t flags = p->flags();
    if (tx_ip_csum_) flags |= tx_flags::ip_csum;
    // Offload metadata for the driver (TxMeta): this layer knows the header length, the
    // protocol and the pseudo header. A fragment cannot have its L4 checksum offloaded (it
    // covers the whole datagram), so it records no L4 type and the request is withdrawn.
    const bool whole = !more_frags && offset == 0;
    const uint8_t l4 = !whole                            ? l4_type::none
                       : protocol == wire::ip_proto::tcp ? l4_type::tcp
                       : protocol == wire::ip_proto::udp ? l4_type::udp
                                                         : l4_type::none;
    if (l4 == l4_type::none) flags &= static_cast<uint16_t>(~tx_flags::l4_csum);
    const auto l4_len = static_cast<uint16_t>(len);
    const uint16_t seed = static_cast<uint16_t>(
        ~wire::checksum_fold(wire::pseudo_header_sum(config_.address.addr, dst, protocol, l4_len)));
    p->set_l3_meta(static_cast<uint16_t>(view.header_len()), l4, l4_len, seed);
    p->set_flags(flags);
    output_ip_frame(next_hop, std::move(p));
}

// Copies a datagram's bytes into fresh buffers of `piece` bytes each (the last shorter).
PacketChain Interface::copy_fragments(const PacketChain& payload, size_t piece) noexcept {
    PacketChain out;
    PacketBuf* cur = nullptr;
    for (PacketBuf* src : payload) {
        size_t done = 0;
        while (done < src->length()) {
            if (cur == nullptr || cur->length() == piece) {
                PacketBuf* b = tx_pool().alloc();
                if (b == nullptr) {
                    drops_.count(DropReason::no_buffer);
                    return {};
                }
                out.push_back(Packet(b));
                cur = b;
            }
            const size_t n = std::min(piece - cur->length(), src->length() - done);
            std::memcpy(cur->append(n), src->data() + done, n);
            counters_.tx_copy_bytes += n;
            done += n;
        }
    }
    return out;
}

void Interface::output_ip_frame(Ipv4Addr next_hop, Packet ip_packet) noexcept {
    counters_.ipv4_tx++;
    if (is_our_broadcast(next_hop)) {
        return queue_frame(std::move(ip_packet), MacAddr::broadcast(), wire::ethertype::ipv4);
    }
    Resolution res = neighbors_.resolve(next_hop, ip_packet, now_);
    if (res.send_request) send_arp(1, MacAddr{}, next_hop, MacAddr::broadcast());
    if (res.mac) queue_frame(std::move(ip_packet), *res.mac, wire::ethertype::ipv4);
}

}  // namespace shunt
