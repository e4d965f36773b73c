#include "pci/sysfs.hpp"

#include "pci/sysfs_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace shunt::pci {

// The rule is the kernel's, Linux 6.1. VFIO_GROUP_GET_STATUS sets VFIO_GROUP_FLAGS_VIABLE
// when !iommu_group_dma_owner_claimed(group) (drivers/vfio/vfio_main.c,
// vfio_group_ioctl_get_status). The PCI core claims the group's DMA for the kernel when it
// probes any driver that does not set driver_managed_dma (drivers/pci/pci-driver.c,
// pci_dma_configure -> iommu_device_use_default_domain). In 6.1 the PCI drivers that set it
// are vfio-pci (drivers/vfio/pci/vfio_pci.c) and its variant drivers built on vfio_pci_core
// (mlx5_vfio_pci, hisi_acc_vfio_pci), pci-stub (drivers/pci/pci-stub.c: it only keeps other
// drivers off a device) and pcieport (drivers/pci/pcie/portdrv_pci.c). An unbound device
// claims nothing.
//
// Bridges are no exception of their own any more: the older vfio_dev_driver_allowed() (a
// list holding pci-stub, plus any device whose header type is not normal, i.e. bridges,
// whatever their driver) went in 5.19 with "vfio: Set DMA ownership for VFIO devices". A
// bridge now leaves its group viable unbound or under pcieport, and blocks it under any other
// driver (shpchp, for one, does not set driver_managed_dma).
bool driver_allows_vfio_group(std::string_view driver) {
    return driver.empty() || driver == "vfio-pci" || driver.ends_with("_vfio_pci") ||
           driver == "pci-stub" || driver == "pcieport";
}

std::string GroupCheck::problem() const {
    if (!group) {
        return fmt::format(
            "{} has no IOMMU group: the IOMMU is off (add intel_iommu=on iommu=pt, or "
            "amd_iommu=on, to the kernel command line and reboot; shuntctl doctor checks it)",
            address.to_string());
    }
    if (blockers.empty()) return {};
    std::string who;
    for (const auto& b : blockers) {
        who += fmt::format("{}{} is bound to {}", who.empty() ? "" : ", ", b.device, b.driver);
    }
    const bool one = blockers.size() == 1;
    return fmt::format("IOMMU group {} is not viable: {}; bind {} to vfio-pci too or unbind {}",
                       *group, who, one ? "it" : "them", one ? "it" : "them");
}

std::string PciSysfs::device_dir(const PciAddress& a) const {
    return root_ + "/bus/pci/devices/" + a.to_string();
}

std::string PciSysfs::group_dir(int group) const {
    return fmt::format("{}/kernel/iommu_groups/{}", root_, group);
}

bool PciSysfs::exists(const PciAddress& a) const {
    return path_exists(device_dir(a));
}

std::vector<PciAddress> PciSysfs::devices() const {
    std::vector<PciAddress> out;
    for (const auto& name : list_dir(root_ + "/bus/pci/devices")) {
        if (auto a = PciAddress::parse(name)) out.push_back(*a);
    }
    std::sort(out.begin(), out.end());
    return out;
}

PciIds PciSysfs::ids(const PciAddress& a) const {
    const std::string dir = device_dir(a);
    PciIds ids;
    if (auto v = read_hex(dir + "/vendor")) ids.vendor_id = static_cast<uint16_t>(v.value());
    if (auto v = read_hex(dir + "/device")) ids.device_id = static_cast<uint16_t>(v.value());
    if (auto v = read_hex(dir + "/class")) ids.class_code = v.value();
    return ids;
}

std::string PciSysfs::driver(const PciAddress& a) const {
    return link_basename(device_dir(a) + "/driver").value_or("");
}

std::string PciSysfs::driver_override(const PciAddress& a) const {
    auto o = read_text(device_dir(a) + "/driver_override");
    return o && o.value() != "(null)" ? o.value() : "";
}

bool PciSysfs::driver_loaded(std::string_view driver) const {
    return !driver.empty() && path_exists(root_ + "/bus/pci/drivers/" + std::string(driver));
}

std::optional<int> PciSysfs::iommu_group(const PciAddress& a) const {
    auto g = link_basename(device_dir(a) + "/iommu_group");
    if (!g) return std::nullopt;
    int n = 0;
    auto [end, ec] = std::from_chars(g->data(), g->data() + g->size(), n);
    if (ec != std::errc{} || end != g->data() + g->size() || n < 0) return std::nullopt;
    return n;
}

std::vector<PciAddress> PciSysfs::group_members(int group) const {
    std::vector<PciAddress> out;
    for (const auto& name : list_dir(group_dir(group) + "/devices")) {
        if (auto a = PciAddress::parse(name)) out.push_back(*a);
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool PciSysfs::group_is_noiommu(int group) const {
    auto name = read_text(group_dir(group) + "/name");
    return name && name.value() == "vfio-noiommu";
}

GroupCheck PciSysfs::check_group(const PciAddress& a) const {
    GroupCheck c;
    c.address = a;
    c.group = iommu_group(a);
    if (!c.group) return c;
    // Every device of the group counts, not only PCI ones: the kernel's ownership claim is per
    // group. Each entry links to its device, whose driver link says who holds it.
    const std::string devices = group_dir(*c.group) + "/devices";
    for (const auto& name : list_dir(devices)) {
        if (name == a.to_string()) continue;
        std::string drv = link_basename(devices + "/" + name + "/driver").value_or("");
        if (!driver_allows_vfio_group(drv)) c.blockers.push_back({name, std::move(drv)});
    }
    return c;
}

}  // namespace shunt::pci
