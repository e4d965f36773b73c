// Interface: ICMPv4 (RFC 792, host requirements from RFC 1122 §3.2.2).
#include "packet/chain_checksum.hpp"
#include "stack/iface/interface.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmpv4.hpp"
#include "stack/wire/ipv4.hpp"

#include <cstring>

namespace shunt {

namespace {

// RFC 1624 eqn. 3: update a checksum when one 16-bit word changes from `old_word` to
// `new_word`, without touching the rest of the (possibly multi-buffer) message.
uint16_t checksum_adjust(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
    uint32_t sum = uint32_t{static_cast<uint16_t>(~checksum)} +
                   uint32_t{static_cast<uint16_t>(~old_word)} + new_word;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// The IPv4 header of a received frame sits right before its payload: received frames start
// at the data room, so the header begins 14 bytes (Ethernet) after it. Returns its length,
// or 0 when the bytes there are not a plausible IPv4 header.
size_t received_ip_header_len(const PacketBuf& payload) {
    const size_t before = payload.headroom();
    const size_t eth_end = PacketBuf::kHeadroom + wire::EthernetView::kHeaderLen;
    if (before < eth_end + 20 || before > eth_end + 60) return 0;
    const size_t ihl = before - eth_end;
    const uint8_t* ip = payload.data() - ihl;
    if ((ip[0] >> 4) != 4 || size_t{ip[0] & 0x0fu} * 4 != ihl) return 0;
    return ihl;
}

}  // namespace

void Interface::receive_icmp(const Ipv4Meta& meta, PacketChain payload) noexcept {
    PacketBuf* first = payload.front();
    if (first->length() < wire::Icmpv4View::kHeaderLen) {
        return drops_.count(DropReason::icmp_malformed);
    }
    if (!chain_checksum_ok(payload)) return drops_.count(DropReason::icmp_bad_checksum);
    wire::Icmpv4View icmp(first->bytes());
    if (icmp.type() != wire::icmp_type::echo_request || meta.to_broadcast) {
        // Echo to broadcast is ignored, as Linux does by default (RFC 1122 §3.2.2.6 allows it).
        return drops_.count(DropReason::icmp_unsupported_type);
    }
    // Echo reply (RFC 792): the same buffers go back with the type changed, so even a
    // reassembled 64 KB ping is answered without a copy.
    const uint16_t old_word = load_be16(first->data());
    icmp.set_type(wire::icmp_type::echo_reply);
    const uint16_t new_word = load_be16(first->data());
    icmp.set_checksum(checksum_adjust(icmp.checksum(), old_word, new_word));
    counters_.icmp_echo_replies++;
    send_ipv4(meta.src, wire::ip_proto::icmp, std::move(payload));
}

// Builds an ICMP error quoting the offending datagram's IP header and first 8 payload bytes
// (RFC 792). `original` is the first buffer of that datagram, trimmed to its IP payload.
void Interface::send_icmp_error(uint8_t type, uint8_t code, const PacketBuf& original) noexcept {
    const size_t ihl = received_ip_header_len(original);
    if (ihl == 0) return;
    const uint8_t* ip = original.data() - ihl;
    const auto src = wire::Ipv4Addr::load(ip + 12);
    const uint8_t protocol = ip[9];
    // RFC 1122 §3.2.2: never answer an ICMP error, a broadcast or multicast source, or an
    // unspecified source with an error.
    if (src.is_unspecified() || src.is_broadcast() || src.is_multicast() || is_our_broadcast(src)) {
        return;
    }
    if (protocol == wire::ip_proto::icmp && original.length() > 0 &&
        original.data()[0] != wire::icmp_type::echo_request) {
        return;
    }
    if (!icmp_errors_.take(now_)) return drops_.count(DropReason::icmp_rate_limited);
    PacketBuf* b = tx_pool().alloc();
    if (b == nullptr) return drops_.count(DropReason::no_buffer);
    Packet p(b);
    const size_t quoted = std::min<size_t>(8, original.length());
    const size_t len = wire::Icmpv4View::kHeaderLen + ihl + quoted;
    uint8_t* out = p->append(len);
    wire::Icmpv4View view(std::span(out, len));
    wire::Icmpv4Repr{.type = type, .code = code}.emit_header(view);
    std::memcpy(out + wire::Icmpv4View::kHeaderLen, ip, ihl + quoted);  // the quote is a copy
    counters_.tx_copy_bytes += ihl + quoted;
    view.fill_checksum();
    counters_.icmp_errors_tx++;
    send_ipv4(src, wire::ip_proto::icmp, PacketChain(std::move(p)));
}

}  // namespace shunt
