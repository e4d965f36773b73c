#include "ioctl_ctl/active.hpp"

#include "ioctl_ctl/route.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace shunt::ctl {

Result<std::set<int>> active_ifindexes() {
    auto routes = list_routes();
    if (!routes) return routes.error();
    std::set<int> out;
    for (const auto& r : routes.value()) {
        if (r.table == RT_TABLE_LOCAL) continue;
        // Every IPv6-enabled link has these: they say nothing about the link being used.
        if (r.family == AF_INET6 && r.protocol == RTPROT_KERNEL &&
            ((r.dst == "fe80::" && r.dst_len == 64) || (r.dst == "ff00::" && r.dst_len == 8))) {
            continue;
        }
        for (const auto& nh : r.nexthops) {
            if (nh.ifindex > 0) out.insert(nh.ifindex);
        }
    }
    return out;
}

}  // namespace shunt::ctl
