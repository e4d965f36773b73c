// Which interfaces are "active": in use by the kernel's stack, so that taking them away
// (binding their device to vfio-pci) would break something. Like dpdk-devbind's *Active*.
#pragma once

#include "base/result.hpp"

#include <set>

namespace shunt::ctl {

// Interfaces (by index) that carry a route in any table but the local one, not counting the
// routes the kernel makes for every IPv6 link (fe80::/64, ff00::/8).
Result<std::set<int>> active_ifindexes();

}  // namespace shunt::ctl
