// Routes (IPv4 and IPv6, every table) read, removed and re-added through libnl-route-3, as
// records that the undo log stores one per line.
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shunt::ctl {

struct NextHopRecord {
    int ifindex = 0;
    std::string gateway;  // empty when the route has none; may be IPv6 for an IPv4 route (via)
    uint8_t weight = 0;   // rtnh_hops as the kernel reports it (weight - 1)
    uint32_t flags = 0;   // only RTNH_F_ONLINK: the other RTNH_F_* bits are kernel state
    bool operator==(const NextHopRecord&) const = default;
};

struct RouteRecord {
    int family = 0;  // AF_INET or AF_INET6
    uint32_t table = 254;
    uint8_t type = 1;      // RTN_*
    uint8_t protocol = 0;  // RTPROT_*
    uint8_t scope = 0;     // RT_SCOPE_*
    uint8_t tos = 0;
    uint32_t priority = 0;  // the "metric" of ip-route(8)
    uint32_t flags = 0;     // only RTNH_F_ONLINK
    std::string dst;        // canonical text; "0.0.0.0"/"::" with dst_len 0 for default
    int dst_len = 0;
    std::string src;  // IPv6 source-specific routes (RTA_SRC); empty when none
    int src_len = 0;
    std::string pref_src;  // RTA_PREFSRC; empty when none
    int iif = 0;
    std::vector<std::pair<int, uint32_t>> metrics;  // (RTAX_*, value) that are set
    std::vector<NextHopRecord> nexthops;

    bool uses(int ifindex) const;
    bool is_default() const { return dst_len == 0; }
    std::string to_text() const;
    static Result<RouteRecord> parse(std::string_view text);
    bool operator==(const RouteRecord&) const = default;
};

// Every route in every table of both families, in the kernel's dump order. Cloned (cache)
// routes are not included.
Result<std::vector<RouteRecord>> list_routes();
// Adds (NLM_F_CREATE): a route identical in the kernel's eyes (same table, prefix, metric,
// device and gateway) already present is an error the caller sees ("Object exists"), and
// sets *EXISTED when given.
Status add_route(const RouteRecord& r, bool* existed = nullptr);
// Succeeds when the route is already gone (the kernel drops some routes with an address).
Status delete_route(const RouteRecord& r);
// The output interface the kernel would use for DST (RTM_GETROUTE), if any.
Result<std::optional<int>> route_lookup_oif(const std::string& dst);

}  // namespace shunt::ctl
