#include "stack/wire/icmpv4.hpp"

namespace shunt::wire {

Parsed<Icmpv4View> Icmpv4View::check(std::span<uint8_t> bytes) noexcept {
    if (bytes.size() < kHeaderLen) return {{}, Error::truncated};
    return {Icmpv4View{bytes}};
}

Parsed<Icmpv4Repr> Icmpv4Repr::parse(const Icmpv4View& view, bool verify_checksum) noexcept {
    if (view.bytes().size() < Icmpv4View::kHeaderLen) return {{}, Error::truncated};
    if (verify_checksum && !view.verify_checksum()) return {{}, Error::bad_checksum};
    Icmpv4Repr r;
    r.type = view.type();
    r.code = view.code();
    switch (r.type) {
        case icmp_type::echo_request:
        case icmp_type::echo_reply:
            r.ident = view.echo_ident();
            r.seq = view.echo_seq();
            break;
        case icmp_type::dest_unreachable:
            // RFC 1191 §4: only "fragmentation needed" carries a next-hop MTU; older
            // routers send 0 there, which the caller treats as "unknown".
            if (r.code == icmp_unreach::frag_needed) r.next_hop_mtu = view.next_hop_mtu();
            break;
        case icmp_type::time_exceeded:
            break;
        default:
            return {{}, Error::unsupported};
    }
    return {r};
}

void Icmpv4Repr::emit_header(Icmpv4View& view) const noexcept {
    view.set_type(type);
    view.set_code(code);
    view.set_checksum(0);
    if (type == icmp_type::echo_request || type == icmp_type::echo_reply) {
        view.set_echo_ident(ident);
        view.set_echo_seq(seq);
    } else if (type == icmp_type::dest_unreachable && code == icmp_unreach::frag_needed) {
        view.set_rest_of_header(next_hop_mtu);  // first 2 bytes unused (zero)
    } else {
        view.set_rest_of_header(0);  // "unused, must be zero" (RFC 792)
    }
}

}  // namespace shunt::wire
