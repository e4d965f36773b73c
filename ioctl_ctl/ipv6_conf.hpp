// IPv6 on/off for one interface: /proc/sys/net/ipv6/conf/IFACE/disable_ipv6. Turning it on
// makes the kernel generate the link-local address again; turning it off removes every IPv6
// address and route of the interface.
#pragma once

#include "base/result.hpp"

#include <string>

namespace shunt::ctl {

Result<bool> ipv6_disabled(const std::string& ifname);
Status set_ipv6_disabled(const std::string& ifname, bool disabled);

}  // namespace shunt::ctl
