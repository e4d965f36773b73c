#include "ioctl_ctl/pci.hpp"

#include "ioctl_ctl/pci_ids.hpp"
#include "ioctl_ctl/sysfs.hpp"

#include <charconv>
#include <filesystem>

namespace shunt::ctl {
namespace {

const std::string kPciDevices = "/sys/bus/pci/devices/";

template <typename T>
bool parse_hex_field(std::string_view s, size_t digits, T& out) {
    if (s.size() != digits) return false;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc{} || end != s.data() + s.size()) return false;
    out = static_cast<T>(v);
    return true;
}

// Interfaces (in the caller's namespace) with the PCI device each sits on.
std::vector<std::pair<std::string, PciAddress>> interfaces_with_pci() {
    std::vector<std::pair<std::string, PciAddress>> out;
    for (const auto& ifname : list_dir("/sys/class/net")) {
        if (auto a = pci_address_of_interface(ifname)) out.emplace_back(ifname, *a);
    }
    return out;
}

PciDevice read_device(const PciAddress& a,
                      const std::vector<std::pair<std::string, PciAddress>>& ifaces) {
    const std::string dir = pci_sysfs_path(a);
    PciDevice d;
    d.address = a;
    if (auto v = read_hex(dir + "/vendor")) d.vendor_id = static_cast<uint16_t>(v.value());
    if (auto v = read_hex(dir + "/device")) d.device_id = static_cast<uint16_t>(v.value());
    if (auto v = read_hex(dir + "/class")) d.class_code = v.value();
    const PciNames names = pci_names(d.vendor_id, d.device_id);
    d.vendor_name = names.vendor;
    d.device_name = names.device;
    d.driver = bound_driver(a);
    if (auto o = read_text(dir + "/driver_override"); o && o.value() != "(null)") {
        d.driver_override = o.value();
    }
    for (const auto& [name, addr] : ifaces) {
        if (addr == a) d.interfaces.push_back(name);
    }
    d.iommu_group = iommu_group_of(a);
    if (d.iommu_group) {
        for (const auto& m :
             list_dir(fmt::format("/sys/kernel/iommu_groups/{}/devices", *d.iommu_group))) {
            if (auto ma = PciAddress::parse(m)) d.iommu_group_members.push_back(*ma);
        }
    }
    if (auto n = read_int(dir + "/numa_node")) d.numa_node = static_cast<int>(n.value());
    if (auto s = sriov_info(a)) d.sriov = s.value();
    return d;
}

}  // namespace

std::optional<PciAddress> PciAddress::parse(std::string_view text) {
    PciAddress a;
    if (text.size() == 7) {  // BB:DD.F
        return parse(std::string("0000:") + std::string(text));
    }
    // DDDD:BB:DD.F
    if (text.size() != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.') {
        return std::nullopt;
    }
    if (!parse_hex_field(text.substr(0, 4), 4, a.domain) ||
        !parse_hex_field(text.substr(5, 2), 2, a.bus) ||
        !parse_hex_field(text.substr(8, 2), 2, a.device) ||
        !parse_hex_field(text.substr(11, 1), 1, a.function)) {
        return std::nullopt;
    }
    if (a.device > 0x1f || a.function > 7) return std::nullopt;
    return a;
}

std::string PciAddress::to_string() const {
    return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", domain, bus, device, function);
}

std::string pci_sysfs_path(const PciAddress& a) {
    return kPciDevices + a.to_string();
}

bool pci_device_exists(const PciAddress& a) {
    return path_exists(pci_sysfs_path(a));
}

Result<PciDevice> pci_device(const PciAddress& a) {
    if (!pci_device_exists(a)) {
        return make_error("no PCI device {} (shuntctl status lists the network devices)",
                          a.to_string());
    }
    return read_device(a, interfaces_with_pci());
}

Result<std::vector<PciDevice>> list_network_devices() {
    std::vector<PciDevice> out;
    const auto ifaces = interfaces_with_pci();
    for (const auto& name : list_dir(kPciDevices)) {
        auto a = PciAddress::parse(name);
        if (!a) continue;
        auto cls = read_hex(kPciDevices + name + "/class");
        if (!cls || (cls.value() >> 16) != 0x02) continue;
        out.push_back(read_device(*a, ifaces));
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
        if (!pci_device_exists(*a)) {
            return make_error("no PCI device {} (shuntctl status lists the network devices)",
                              a->to_string());
        }
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

std::string bound_driver(const PciAddress& a) {
    return link_basename(pci_sysfs_path(a) + "/driver").value_or("");
}

bool driver_loaded(const std::string& driver) {
    return path_exists("/sys/bus/pci/drivers/" + driver);
}

Status bind_pci_driver(const PciAddress& a, const std::string& driver) {
    const std::string dir = pci_sysfs_path(a);
    const std::string addr = a.to_string();
    if (!driver.empty() && !driver_loaded(driver)) {
        return make_error("driver {} is not loaded: run 'modprobe {}'", driver, driver);
    }
    // "\n" clears the override: a zero-length write would not reach the kernel.
    if (auto s = write_text(dir + "/driver_override", driver.empty() ? "\n" : driver); !s) {
        return s;
    }
    const std::string current = bound_driver(a);
    if (!driver.empty() && current == driver) return {};
    if (!current.empty()) {
        if (auto s = write_text(dir + "/driver/unbind", addr); !s) {
            return make_error("unbinding {} from {}: {}", addr, current, s.error().message);
        }
    }
    // drivers_probe fails with ENODEV-like errors when no driver wants the device: that is an
    // answer for DRIVER "", checked below for a named driver.
    (void)write_text("/sys/bus/pci/drivers_probe", addr);
    const std::string now = bound_driver(a);
    if (!driver.empty() && now != driver) {
        return make_error("{} did not bind to {} (now: {}); the kernel log (dmesg) says why", addr,
                          driver, now.empty() ? "no driver" : now);
    }
    return {};
}

std::optional<int> iommu_group_of(const PciAddress& a) {
    auto g = link_basename(pci_sysfs_path(a) + "/iommu_group");
    if (!g) return std::nullopt;
    int n = 0;
    auto [end, ec] = std::from_chars(g->data(), g->data() + g->size(), n);
    if (ec != std::errc{} || end != g->data() + g->size()) return std::nullopt;
    return n;
}

std::optional<std::string> iommu_group_problem(const PciAddress& a) {
    const auto group = iommu_group_of(a);
    if (!group) {
        return fmt::format(
            "{} has no IOMMU group: the IOMMU is off (add intel_iommu=on iommu=pt, or "
            "amd_iommu=on, to the kernel command line and reboot; shuntctl doctor checks it)",
            a.to_string());
    }
    for (const auto& m : list_dir(fmt::format("/sys/kernel/iommu_groups/{}/devices", *group))) {
        auto ma = PciAddress::parse(m);
        if (!ma || *ma == a) continue;
        const std::string drv = bound_driver(*ma);
        // vfio accepts group members that are unbound, bound to vfio-pci or pci-stub, and
        // PCIe bridges under pcieport.
        if (drv.empty() || drv == "vfio-pci" || drv == "pci-stub") continue;
        auto cls = read_hex(pci_sysfs_path(*ma) + "/class");
        if (drv == "pcieport" && cls && (cls.value() >> 8) == 0x0604) continue;
        return fmt::format(
            "IOMMU group {} is not viable: {} is bound to {}; bind it to vfio-pci "
            "too or unbind it",
            *group, m, drv);
    }
    return std::nullopt;
}

Result<SriovInfo> sriov_info(const PciAddress& a) {
    const std::string dir = pci_sysfs_path(a);
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
    const std::string path = pci_sysfs_path(a) + "/sriov_numvfs";
    // The kernel refuses to change a non-zero VF count except through 0.
    if (info->numvfs != 0 && numvfs != 0) {
        if (auto s = write_text(path, "0"); !s) return s;
    }
    return write_text(path, std::to_string(numvfs));
}

}  // namespace shunt::ctl
