// Everything ioctl_ctl can tell about one interface in one call: the ioctl facts of link.hpp,
// the driver and bus address (ETHTOOL_GDRVINFO) and the link state netlink reports.
#pragma once

#include "base/result.hpp"
#include "ioctl_ctl/link.hpp"
#include "ioctl_ctl/pci.hpp"

#include <optional>
#include <string>
#include <vector>

namespace shunt::ctl {

struct InterfaceFacts {
    InterfaceInfo info;     // index, IFF_* flags, MAC, MTU
    std::string driver;     // ETHTOOL_GDRVINFO; else the link kind (veth, dummy); may be empty
    std::string bus_info;   // ETHTOOL_GDRVINFO's bus address; empty for virtual devices
    std::string kind;       // IFLA_INFO_KIND; empty for hardware NICs
    std::string operstate;  // UP, DOWN, UNKNOWN, LOWERLAYERDOWN, ...
    bool carrier = false;
    std::optional<PciAddress> pci;
};

Result<InterfaceFacts> interface_facts(const std::string& ifname);
// The interfaces of the caller's network namespace, by index.
std::vector<std::string> interface_names();

}  // namespace shunt::ctl
