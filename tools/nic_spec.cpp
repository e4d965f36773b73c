#include "tools/nic_spec.hpp"

#include "driver/tap/tap_nic.hpp"
#include "ioctl_ctl/link.hpp"

#include <filesystem>

namespace shunt::tools {

Result<std::unique_ptr<Nic>> open_nic(const std::string& spec, const NicOptions& options) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos) {
        return make_error("--nic '{}': expected tap:NAME or pci:DDDD:BB:DD.F", spec);
    }
    const std::string kind = spec.substr(0, colon);
    const std::string arg = spec.substr(colon + 1);
    if (kind == "tap") {
        auto tap = TapNic::open(TapConfig{arg, options.mac, options.mtu});
        if (!tap) return tap.error();
        // The kernel's side of the TAP must be up for it to hand us frames.
        if (auto up = ctl::set_link_up(arg, true); !up) return up.error();
        return std::unique_ptr<Nic>(std::move(tap).value());
    }
    if (kind == "pci") {
        // sysfs names carry the domain; "03:00.0" means domain 0000.
        const std::filesystem::path dev =
            "/sys/bus/pci/devices/" + (arg.size() == 7 ? "0000:" + arg : arg);
        std::error_code ec;
        if (!std::filesystem::exists(dev, ec)) {
            return make_error("--nic {}: no PCI device {} (see lspci -D)", spec, arg);
        }
        auto nic = open_pci_nic(arg, options.pci);
        if (!nic) return make_error("--nic {}: {}", spec, nic.error().message);
        return std::move(nic).value();
    }
    return make_error("--nic '{}': unknown NIC kind '{}' (expected tap or pci)", spec, kind);
}

}  // namespace shunt::tools
