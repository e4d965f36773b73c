// The seam between the interface and the transport protocols above it (TCP today).
// Dependencies point one way: the interface knows only these two abstract classes, so
// shunt_iface never links a transport; a transport (TcpStack) implements Ipv4Handler and
// sends through Ipv4Output, which Interface implements and unit tests fake.
#pragma once

#include "base/time.hpp"
#include "packet/mempool.hpp"
#include "packet/packet_chain.hpp"
#include "stack/iface/buffer_budget.hpp"
#include "stack/iface/drop_reason.hpp"
#include "stack/iface/endpoint.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <cstdint>
#include <optional>

namespace shunt {

// What the IPv4 layer learned about a datagram it delivers upwards.
struct Ipv4Meta {
    wire::Ipv4Addr src, dst;
    uint8_t protocol = 0;
    bool to_broadcast = false;  // sent to a broadcast address (never answered by TCP)
};

// A transport protocol registered with the interface for one IPv4 protocol number.
class Ipv4Handler {
  public:
    virtual ~Ipv4Handler() = default;
    // One datagram for this protocol, trimmed to the IP payload (reassembled if it was
    // fragmented), received at `now`. The handler owns the chain.
    virtual void receive(const Ipv4Meta& meta, PacketChain payload, Instant now) noexcept = 0;
    // When on_timers next has work (nullopt: none).
    virtual std::optional<Instant> next_deadline() const noexcept = 0;
    // Runs timers due at `now` (called by every poll, after receive).
    virtual void on_timers(Instant now) noexcept = 0;
    // Egress (every poll, after timers and applications): send what is ready while the
    // output's tx_ready() holds; what does not fit waits for the next poll. Nothing else
    // of a transport sends: arrivals, timers and application calls only mark what to send.
    virtual void egress(Instant now) noexcept = 0;
    // Work the last egress could not send (a full TX ring, no free buffer) is still waiting:
    // the interface then schedules a retry with back-off (Ipv4Output::tx_retry_at) instead of
    // having the caller's loop poll again at once.
    virtual bool egress_pending() const noexcept { return false; }
};

// The narrow output side a transport needs: send a datagram, know the MTU and our address,
// get buffers, count drops.
class Ipv4Output {
  public:
    virtual ~Ipv4Output() = default;
    virtual SendResult send_ipv4(wire::Ipv4Addr dst, uint8_t protocol,
                                 PacketChain payload) noexcept = 0;
    // Our source address towards dst (one address per interface today).
    virtual wire::Ipv4Addr source_address(wire::Ipv4Addr dst) const noexcept = 0;
    // The IP MTU of the route towards dst.
    virtual uint16_t route_mtu(wire::Ipv4Addr dst) const noexcept = 0;
    virtual Mempool& tx_pool() noexcept = 0;
    virtual void count_drop(DropReason reason, uint64_t n = 1) noexcept = 0;
    // Whether the NIC computes the transport checksum of a buffer flagged tx_flags::l4_csum
    // (the driver seeds the pseudo-header sum itself, driver/e1000/fastpath.cpp), so the
    // transport can leave the field zero instead of summing the payload in software.
    virtual bool tx_l4_checksum_offload() const noexcept { return false; }
    // Whether a frame sent now reaches the TX batch; false once the NIC refused frames in
    // this poll (back-pressure: a transport keeps its segments until the next poll).
    virtual bool tx_ready() const noexcept { return true; }
    // When work held back by the last egress (TX ring full, pool empty) should be tried
    // again; nullopt: at once (an output whose room never runs out, like the tests' fakes).
    // A ring frees as the NIC completes descriptors, which no fd reports, so a loop that can
    // sleep wakes at this bounded back-off instead of spinning on next_deadline() == now.
    virtual std::optional<Instant> tx_retry_at() const noexcept { return std::nullopt; }
    // The pool's budget (the reserve, pressure, shares), or null: no bounds beyond the
    // transport's own (the tests' fakes).
    virtual const BufferBudget* budget() const noexcept { return nullptr; }
};

}  // namespace shunt
