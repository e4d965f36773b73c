// Martian source classification (RFC 1122 §3.2.1.3, RFC 1812 §5.3.7).
#include "stack/iface/martian.hpp"

namespace shunt {

std::string_view to_string(MartianKind k) noexcept {
    switch (k) {
        case MartianKind::none:
            return "none";
        case MartianKind::this_network:
            return "this_network";
        case MartianKind::loopback:
            return "loopback";
        case MartianKind::own_address:
            return "own_address";
        case MartianKind::limited_broadcast:
            return "limited_broadcast";
        case MartianKind::directed_broadcast:
            return "directed_broadcast";
        case MartianKind::multicast:
            return "multicast";
        case MartianKind::reserved:
            return "reserved";
    }
    return "?";
}

MartianKind classify_source(wire::Ipv4Addr src, wire::Ipv4Cidr ours) noexcept {
    const uint32_t first_octet = src.value >> 24;
    if (first_octet == 0) return MartianKind::this_network;
    if (src.is_loopback()) return MartianKind::loopback;
    if (src.is_broadcast()) return MartianKind::limited_broadcast;
    if (src.is_multicast()) return MartianKind::multicast;
    if ((src.value >> 28) == 0xf) return MartianKind::reserved;
    if (!ours.addr.is_unspecified()) {
        if (src == ours.addr) return MartianKind::own_address;
        // /31 (RFC 3021) and /32 have no broadcast address: both addresses are hosts.
        if (ours.prefix_len < 31 && src == ours.subnet_broadcast()) {
            return MartianKind::directed_broadcast;
        }
    }
    return MartianKind::none;
}

}  // namespace shunt
