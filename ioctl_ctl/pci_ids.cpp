#include "ioctl_ctl/pci_ids.hpp"

#include <charconv>
#include <fstream>
#include <string_view>

namespace shunt::ctl {
namespace {

std::string default_path() {
    for (const char* p :
         {"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids"}) {
        if (std::ifstream(p).good()) return p;
    }
    return {};
}

bool parse_id(std::string_view s, uint16_t& out) {
    if (s.size() < 4) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + 4, out, 16);
    return ec == std::errc{} && end == s.data() + 4;
}

}  // namespace

PciNames pci_names(uint16_t vendor_id, uint16_t device_id, const std::string& path) {
    PciNames names;
    std::ifstream in(path.empty() ? default_path() : path);
    if (!in) return names;
    // Format: "vvvv  Vendor" at column 0, "\tdddd  Device" under it, "\t\t..." subsystems.
    // The file is sorted by vendor, so the scan stops at the next vendor after ours.
    std::string line;
    bool in_vendor = false;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        uint16_t id = 0;
        if (line[0] != '\t') {
            if (in_vendor) break;
            if (line.starts_with("C ")) break;  // device classes follow the vendors
            if (parse_id(line, id) && id == vendor_id && line.size() > 6) {
                names.vendor = line.substr(6);
                in_vendor = true;
            }
        } else if (in_vendor && line.size() > 7 && line[1] != '\t' &&
                   parse_id(std::string_view(line).substr(1), id) && id == device_id) {
            names.device = line.substr(7);
            break;
        }
    }
    return names;
}

}  // namespace shunt::ctl
