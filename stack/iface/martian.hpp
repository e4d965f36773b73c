// Martian source addresses: sources no packet arriving on the wire can legitimately carry.
// RFC 1122 §3.2.1.3 says a host must not accept as a source: {0, 0} ("this host", only as a
// source while learning its own address, never beyond it), {127, any} (loopback: "must never
// appear outside a host"), limited and directed broadcast, and class D/E (RFC 1812 §5.3.7
// repeats the list for routers and adds 240/4, "reserved"). A datagram claiming our own
// address as its source came from someone spoofing us (or looped back by a broken switch).
// Answering any of these would send replies to the wrong host or to everybody, or let a
// spoofer make us talk to ourselves, so they are dropped and counted.
#pragma once

#include "stack/wire/ipv4_addr.hpp"

#include <cstdint>
#include <string_view>

namespace shunt {

enum class MartianKind : uint8_t {
    none,                // a plausible source
    this_network,        // 0.0.0.0/8 (RFC 1122 §3.2.1.3 (a), (b))
    loopback,            // 127.0.0.0/8 (RFC 1122 §3.2.1.3 (g))
    own_address,         // our interface address: spoofed
    limited_broadcast,   // 255.255.255.255 (RFC 1122 §3.2.1.3 (c))
    directed_broadcast,  // the interface subnet's broadcast address (RFC 1122 §3.2.1.3 (d))
    multicast,           // 224.0.0.0/4 (RFC 1112 §4: a group is never a source)
    reserved,            // 240.0.0.0/4, less the limited broadcast (RFC 1812 §5.3.7)
};

std::string_view to_string(MartianKind k) noexcept;

// What kind of martian `src` is for an interface with address `ours` (none: not one).
MartianKind classify_source(wire::Ipv4Addr src, wire::Ipv4Cidr ours) noexcept;

inline bool is_martian_source(wire::Ipv4Addr src, wire::Ipv4Cidr ours) noexcept {
    return classify_source(src, ours) != MartianKind::none;
}

}  // namespace shunt
