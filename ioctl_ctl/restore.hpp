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

}  // namespace shunt::ctl
