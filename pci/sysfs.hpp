// What sysfs says about PCI devices: IDs, the bound driver, the IOMMU group, and whether VFIO
// can take that group. The one place these rules live: vfio/ asks before it opens a group,
// ioctl_ctl and shuntctl ask for status, doctor and bind advice.
//
// PciSysfs reads under a root ("/sys" on a host); tests point it at a fake tree.
#pragma once

#include "pci/address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::pci {

struct PciIds {
    uint16_t vendor_id = 0;
    uint16_t device_id = 0;
    uint32_t class_code = 0;  // 24-bit: class, subclass, prog-if

    bool is_network() const { return (class_code >> 16) == 0x02; }
};

// Whether a device of an IOMMU group bound to DRIVER ("" = none) leaves the group viable for
// VFIO, i.e. whether the kernel lets the driver share the group with a user-owned device.
bool driver_allows_vfio_group(std::string_view driver);

// A device that keeps an IOMMU group from being viable, and the driver that makes it one.
struct GroupBlocker {
    std::string device;  // its sysfs name: a PCI address for PCI devices
    std::string driver;
};

// Whether the IOMMU group of one device can be handed to VFIO.
struct GroupCheck {
    PciAddress address;                  // the device asked about
    std::optional<int> group;            // nullopt: no IOMMU group (the IOMMU is off)
    std::vector<GroupBlocker> blockers;  // the group's other devices that block it

    bool viable() const { return group.has_value() && blockers.empty(); }
    // Why not, in one sentence ("IOMMU group 7 is not viable: 0000:03:00.1 is bound to
    // ixgbe; bind it to vfio-pci too or unbind it"); "" when viable.
    std::string problem() const;
};

class PciSysfs {
  public:
    explicit PciSysfs(std::string root = "/sys") : root_(std::move(root)) {}

    // ROOT/bus/pci/devices/DDDD:BB:DD.F
    std::string device_dir(const PciAddress& a) const;
    bool exists(const PciAddress& a) const;
    // Every PCI function, in address order.
    std::vector<PciAddress> devices() const;
    PciIds ids(const PciAddress& a) const;  // zeros for what cannot be read
    // The bound driver's name; "" when none.
    std::string driver(const PciAddress& a) const;
    // driver_override; "" when unset (the kernel shows "(null)").
    std::string driver_override(const PciAddress& a) const;
    // Whether DRIVER is registered on the PCI bus (its module loaded).
    bool driver_loaded(std::string_view driver) const;
    // nullopt when the device has no IOMMU group.
    std::optional<int> iommu_group(const PciAddress& a) const;
    // The group's PCI devices, in address order (the device itself included).
    std::vector<PciAddress> group_members(int group) const;
    // A group VFIO made up for a device without an IOMMU (vfio.enable_unsafe_noiommu_mode):
    // its name attribute says "vfio-noiommu" and it is opened as /dev/vfio/noiommu-N.
    bool group_is_noiommu(int group) const;
    // Whether A's IOMMU group is viable for VFIO, A's own driver aside (that is the one
    // being bound to, or checked to be, vfio-pci).
    GroupCheck check_group(const PciAddress& a) const;

  private:
    std::string group_dir(int group) const;
    std::string root_;
};

}  // namespace shunt::pci
