#include "stack/wire/ipv4.hpp"

namespace shunt::wire {

Parsed<Ipv4View> Ipv4View::check(std::span<uint8_t> bytes) noexcept {
    if (bytes.size() < kMinHeaderLen) return {{}, Error::truncated};
    Ipv4View view{bytes};
    if (view.version() != 4) return {{}, Error::bad_version};
    const size_t hlen = view.header_len();
    if (hlen < kMinHeaderLen || hlen > bytes.size()) return {{}, Error::bad_header_len};
    const size_t total = view.total_len();
    if (total < hlen || total > bytes.size()) return {{}, Error::bad_length};
    return {view};
}

Parsed<Ipv4Repr> Ipv4Repr::parse(const Ipv4View& view, bool verify_checksum) noexcept {
    if (auto checked = Ipv4View::check(view.bytes()); !checked.ok()) {
        return {{}, checked.error};
    }
    if (verify_checksum && !view.verify_checksum()) return {{}, Error::bad_checksum};
    Ipv4Repr r;
    r.src = view.src();
    r.dst = view.dst();
    if (r.src.is_multicast() || r.src.is_broadcast()) return {{}, Error::bad_address};
    r.protocol = view.protocol();
    r.payload_len = static_cast<uint16_t>(view.total_len() - view.header_len());
    r.ttl = view.ttl();
    r.dscp_ecn = view.dscp_ecn();
    r.ident = view.ident();
    r.dont_frag = view.dont_frag();
    r.more_frags = view.more_frags();
    r.frag_offset = view.frag_offset();
    return {r};
}

void Ipv4Repr::emit(Ipv4View& view, bool fill_checksum) const noexcept {
    view.set_version_and_header_len(header_len());
    view.set_dscp_ecn(dscp_ecn);
    view.set_total_len(static_cast<uint16_t>(header_len() + payload_len));
    view.set_ident(ident);
    view.set_flags_and_offset(dont_frag, more_frags, frag_offset);
    view.set_ttl(ttl);
    view.set_protocol(protocol);
    view.set_src(src);
    view.set_dst(dst);
    view.set_checksum(0);
    if (fill_checksum) view.fill_checksum();
}

}  // namespace shunt::wire
