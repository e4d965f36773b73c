// The routing table: connected subnets and gateways, longest prefix wins (RFC 1812 §5.2.4.3).
// Small by design: a host stack has a handful of routes, so a linear scan beats a trie.
#pragma once

#include "stack/wire/ipv4_addr.hpp"

#include <optional>
#include <vector>

namespace shunt {

struct Route {
    wire::Ipv4Cidr destination;
    std::optional<wire::Ipv4Addr> gateway;  // empty: directly connected
};

class RouteTable {
  public:
    void add(Route r) { routes_.push_back(r); }
    void add_connected(wire::Ipv4Cidr subnet) { add({subnet.network_cidr(), std::nullopt}); }
    void add_default(wire::Ipv4Addr gateway) { add({wire::Ipv4Cidr{{}, 0}, gateway}); }

    // The next hop for dst: dst itself on a connected subnet, else the matching gateway.
    std::optional<wire::Ipv4Addr> next_hop(wire::Ipv4Addr dst) const noexcept {
        const Route* best = nullptr;
        for (const Route& r : routes_) {
            if (r.destination.contains(dst) &&
                (best == nullptr || r.destination.prefix_len > best->destination.prefix_len)) {
                best = &r;
            }
        }
        if (best == nullptr) return std::nullopt;
        return best->gateway ? *best->gateway : dst;
    }
    const std::vector<Route>& routes() const { return routes_; }

  private:
    std::vector<Route> routes_;
};

}  // namespace shunt
