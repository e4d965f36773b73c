// Names every transport shares: an endpoint (IPv4 address and port) and what sending an IPv4
// datagram did. Neither belongs to UDP or TCP, so both include this instead of each other.
#pragma once

#include "stack/wire/ipv4_addr.hpp"

#include <compare>
#include <cstdint>

namespace shunt {

struct Endpoint {
    wire::Ipv4Addr addr{};
    uint16_t port = 0;
    auto operator<=>(const Endpoint&) const = default;
};

enum class SendResult : uint8_t {
    sent,         // handed to the NIC or queued behind ARP resolution
    no_route,     // no route to the destination
    no_buffer,    // the pool had no buffer (copying sends only)
    too_big,      // larger than the largest IPv4 datagram
    bad_payload,  // a buffer lacks the headroom for headers
};

}  // namespace shunt
