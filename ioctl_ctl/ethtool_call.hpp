// Internal to ioctl_ctl: one SIOCETHTOOL request and the error sentence for a failed one.
#pragma once

#include "base/result.hpp"

#include <string>

namespace shunt::ctl::detail {

// Issues SIOCETHTOOL on IFNAME with DATA (a struct from linux/ethtool.h whose first member
// is the ETHTOOL_* command); returns 0 or the errno.
int ethtool_ioctl(const std::string& ifname, void* data);
// EOPNOTSUPP -> "DRIVER on IFACE does not support WHAT"; ENODEV, EPERM and others with
// WHAT and the interface. DRIVER comes from ETHTOOL_GDRVINFO, else the link kind.
Error ethtool_error(const std::string& ifname, int err, const std::string& what);

}  // namespace shunt::ctl::detail
