// UDP sockets (RFC 768). Receive is zero-copy: a datagram is the chain of NIC buffers that
// carried it, trimmed to the payload; the caller reads views and drops the chain to release
// them. Send takes pool buffers whose data is the payload; headers go into their headroom.
#pragma once

#include "packet/packet_chain.hpp"
#include "stack/iface/endpoint.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace shunt {

class Interface;

struct UdpDatagram {
    Endpoint from;
    wire::Ipv4Addr to;  // our address it was sent to (unicast or a broadcast)
    PacketChain payload;
};

class UdpSocket {
  public:
    UdpSocket(Interface& iface, uint16_t port, size_t queue_limit)
        : iface_(iface), port_(port), ring_(queue_limit == 0 ? 1 : queue_limit) {}
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;

    uint16_t port() const { return port_; }

    // Pops the oldest datagram; false when none is waiting.
    bool recv(UdpDatagram& out) noexcept;
    size_t pending() const noexcept { return count_; }

    // Zero copy: the payload buffers themselves go out (a UDP header is prepended into the
    // first one's headroom). Consumes the chain whatever the result.
    SendResult send_to(Endpoint to, PacketChain payload) noexcept;
    // Convenience that copies bytes into pool buffers first.
    SendResult copy_send_to(Endpoint to, std::span<const uint8_t> bytes) noexcept;

    // Called by the interface for each valid datagram to this port. False when the queue is
    // full (the caller counts the drop).
    bool deliver(UdpDatagram&& d) noexcept;

  private:
    Interface& iface_;
    uint16_t port_;
    // A fixed ring (allocated once at bind) so receiving never allocates.
    std::vector<UdpDatagram> ring_;
    size_t head_ = 0;
    size_t count_ = 0;
};

}  // namespace shunt
