// Vendor and device names from pci.ids (Debian's pci.ids package puts it in
// /usr/share/misc/pci.ids). Without the file, names are simply empty.
#pragma once

#include <cstdint>
#include <string>

namespace shunt::ctl {

struct PciNames {
    std::string vendor;
    std::string device;
};

// Looks the IDs up in PATH (default: the first of the usual locations that exists).
PciNames pci_names(uint16_t vendor_id, uint16_t device_id, const std::string& path = {});

}  // namespace shunt::ctl
