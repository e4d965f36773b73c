// Internal to ioctl_ctl: puts an interface back into the state an undo log saved. Each part
// compares with what is there now and changes only the difference, so it can run any number
// of times, from any point an interrupted change left the interface in.
#pragma once

#include "base/result.hpp"
#include "ioctl_ctl/undo_log.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::ctl {

// IFNAME is the interface now carrying the saved state (its name may differ from the
// saved one after a driver rebind: it is then renamed back, and IFNAME says the name it ends
// up with). STEP is called after each part with its name.
Status restore_interface(const UndoLog& log, std::string& ifname,
                         const std::function<void(std::string_view)>& step,
                         std::vector<std::string>& warnings);

// Makes the interface's addresses those of SAVED, in the same order as the kernel lists them.
Status reconcile_addresses(const std::vector<AddressRecord>& saved, int ifindex,
                           const std::string& old_ifname, const std::string& ifname);
// Makes the routes through IFINDEX those of SAVED (whose nexthops name OLD_IFINDEX).
Status reconcile_routes(const std::vector<RouteRecord>& saved, int old_ifindex, int ifindex);

// What reconcile_routes does, decided without touching the kernel (unit-tested). The kernel
// makes some routes by itself while the interface comes back: IPv6's fe80::/64, ff00::/8 and
// local routes when IPv6 is on again, IPv4's local and broadcast routes when an address is
// added. A route is "the same route" when its table, family, prefix, source prefix, TOS,
// metric and devices agree (what the kernel itself keys a route by, per device); then:
//   equal in every saved field -> accepted, left alone;
//   different (type, protocol, scope, gateway, prefsrc, metrics, flags) -> replaced: the
//     kernel's version removed, the saved one added;
//   only now -> removed;  only saved -> added.
struct RoutePlan {
    std::vector<RouteRecord> accept;
    std::vector<std::pair<RouteRecord, RouteRecord>> replace;  // (now, saved)
    std::vector<RouteRecord> remove;
    std::vector<RouteRecord> add;
};
RoutePlan plan_routes(const std::vector<RouteRecord>& saved, const std::vector<RouteRecord>& now);
// True when A and B are the same route in the sense above (they may differ in other fields).
bool same_route(const RouteRecord& a, const RouteRecord& b);

}  // namespace shunt::ctl
