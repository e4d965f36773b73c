#include "ioctl_ctl/pci.hpp"

#include "ioctl_ctl/pci_ids.hpp"
#include "ioctl_ctl/sysfs.hpp"

#include <filesystem>

namespace shunt::ctl {
namespace {

// Interfaces (in the caller's namespace) with the PCI device each sits on.
std::vector<std::pair<std::string, PciAddress>> interfaces_with_pci() {
    std::vector<std::pair<std::string, PciAddress>> out;
    for (const auto& ifname : list_dir("/sys/class/net")) {
        if (auto a = pci_address_of_interface(ifname)) out.emplace_back(ifname, *a);
    }
    return out;
}

PciDevice read_device(const pci::PciSysfs& sys, const PciAddress& a,
                      const std::vector<std::pair<std::string, PciAddress>>& ifaces) {
    const std::string dir = sys.device_dir(a);
    PciDevice d;
    d.address = a;
    const pci::PciIds ids = sys.ids(a);
    d.vendor_id = ids.vendor_id;
    d.device_id = ids.device_id;
    d.class_code = ids.class_code;
    const PciNames names = pci_names(d.vendor_id, d.device_id);
    d.vendor_name = names.vendor;
    d.device_name = names.device;
    d.driver = sys.driver(a);
    d.driver_override = sys.driver_override(a);
    for (const auto& [name, addr] : ifaces) {
        if (addr == a) d.interfaces.push_back(name);
    }
    d.iommu_group = sys.iommu_group(a);
    if (d.iommu_group) d.iommu_group_members = sys.group_members(*d.iommu_group);
    if (auto n = read_int(dir + "/numa_node")) d.numa_node = static_cast<int>(n.value());
    if (auto s = sriov_info(a)) d.sriov = s.value();
    return d;
}

}  // namespace

Error no_pci_device(const PciAddress& a) {
    return make_error("no PCI device {} (shuntctl status lists the network devices)",
                      a.to_string());
}

Result<PciDevice> pci_device(const PciAddress& a) {
    const pci::PciSysfs sys;
    if (!sys.exists(a)) return no_pci_device(a);
    return read_device(sys, a, interfaces_with_pci());
}

Result<std::vector<PciDevice>> list_network_devices() {
    const pci::PciSysfs sys;
    std::vector<PciDevice> out;
    const auto ifaces = interfaces_with_pci();
    for (const auto& a : sys.devices()) {
        if (sys.ids(a).is_network()) out.push_back(read_device(sys, a, ifaces));
    }
    return out;
}

std::optional<PciAddress> pci_address_of_interface(const std::string& ifname) {
    // /sys/class/net/IF resolves to the device path, e.g.
    // /sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0: the last component that is a
    // PCI address is the function the interface belongs to.
    std::error_code ec;
    const auto real = std::filesystem::canonical("/sys/class/net/" + ifname, ec);
    if (ec) return std::nullopt;
    std::optional<PciAddress> found;
    for (const auto& part : real) {
        if (auto a = PciAddress::parse(part.string()); a && part.string().size() == 12) found = a;
    }
    return found;
}

Result<PciAddress> resolve_pci_device(const std::string& dev) {
    if (auto a = PciAddress::parse(dev)) {
        if (!pci::PciSysfs().exists(*a)) return no_pci_device(*a);
        return *a;
    }
    if (!path_exists("/sys/class/net/" + dev)) {
        return make_error(
            "'{}' is neither a PCI address (0000:03:00.0) nor a network interface "
            "in this namespace",
            dev);
    }
    auto a = pci_address_of_interface(dev);
    if (!a) return make_error("{} is a virtual interface, not a PCI device", dev);
    return *a;
}

Status bind_pci_driver(const PciAddress& a, const std::string& driver) {
    const pci::PciSysfs sys;
    const std::string dir = sys.device_dir(a);
    const std::string addr = a.to_string();
    if (!driver.empty() && !sys.driver_loaded(driver)) {
        return make_error("driver {} is not loaded: run 'modprobe {}'", driver, driver);
    }
    // "\n" clears the override: a zero-length write would not reach the kernel.
    if (auto s = write_text(dir + "/driver_override", driver.empty() ? "\n" : driver); !s) {
        return s;
    }
    const std::string current = sys.driver(a);
    if (!driver.empty() && current == driver) return {};
    if (!current.empty()) {
        if (auto s = write_text(dir + "/driver/unbind", addr); !s) {
            return make_error("unbinding {} from {}: {}", addr, current, s.error().message);
        }
    }
    // drivers_probe fails with ENODEV-like errors when no driver wants the device: that is an
    // answer for DRIVER "", checked below for a named driver.
    (void)write_text("/sys/bus/pci/drivers_probe", addr);
    const std::string now = sys.driver(a);
    if (!driver.empty() && now != driver) {
        return make_error("{} did not bind to {} (now: {}); the kernel log (dmesg) says why", addr,
                          driver, now.empty() ? "no driver" : now);
    }
    return {};
}

Status restore_pci_driver(const PciAddress& a, const std::string& driver,
                          const std::string& override) {
    const pci::PciSysfs sys;
    if (sys.driver(a) != driver) {
        if (auto s = bind_pci_driver(a, driver); !s) return s;
    }
    // bind_pci_driver left its own override (or none); "\n" clears it.
    return write_text(sys.device_dir(a) + "/driver_override", override.empty() ? "\n" : override);
}

Result<SriovInfo> sriov_info(const PciAddress& a) {
    const std::string dir = pci::PciSysfs().device_dir(a);
    auto total = read_int(dir + "/sriov_totalvfs");
    if (!total) return make_error("{} is not SR-IOV capable", a.to_string());
    auto num = read_int(dir + "/sriov_numvfs");
    if (!num) return num.error();
    return SriovInfo{static_cast<uint32_t>(num.value()), static_cast<uint32_t>(total.value())};
}

Status set_sriov_numvfs(const PciAddress& a, uint32_t numvfs) {
    auto info = sriov_info(a);
    if (!info) return info.error();
    if (numvfs > info->totalvfs) {
        return make_error("{} supports at most {} VFs, not {}", a.to_string(), info->totalvfs,
                          numvfs);
    }
    if (info->numvfs == numvfs) return {};
    const std::string path = pci::PciSysfs().device_dir(a) + "/sriov_numvfs";
    // The kernel refuses to change a non-zero VF count except through 0.
    if (info->numvfs != 0 && numvfs != 0) {
        if (auto s = write_text(path, "0"); !s) return s;
    }
    return write_text(path, std::to_string(numvfs));
}

}  // namespace shunt::ctl
