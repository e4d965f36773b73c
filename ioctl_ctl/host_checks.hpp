// What shunt needs from the host for VFIO, checked one by one, each failing check with the
// exact command that fixes it (`shuntctl doctor`).
#pragma once

#include <string>
#include <vector>

namespace shunt::ctl {

struct HostCheck {
    std::string name;  // "iommu", "vfio-modules", "dev-vfio", "hugepages", "memlock"
    bool ok = false;
    std::string detail;  // what was found
    std::string fix;     // the command (or edit) that fixes it; empty when ok
};

std::vector<HostCheck> host_checks();

}  // namespace shunt::ctl
