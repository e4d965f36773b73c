// PCI network devices from sysfs: identity, names (pci.ids), kernel driver, interfaces,
// IOMMU group, NUMA node, SR-IOV; driver binding through driver_override. The PCI address,
// the sysfs reading and the IOMMU-group rule are pci/'s (the floor vfio/ shares); what is
// here adds the host's side: names, interfaces, SR-IOV, and the writes.
#pragma once

#include "base/result.hpp"
#include "pci/address.hpp"
#include "pci/sysfs.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shunt::ctl {

using pci::PciAddress;

struct SriovInfo {
    uint32_t numvfs = 0;
    uint32_t totalvfs = 0;
};

struct PciDevice {
    PciAddress address;
    uint16_t vendor_id = 0;
    uint16_t device_id = 0;
    uint32_t class_code = 0;  // 24-bit: class, subclass, prog-if
    std::string vendor_name;  // from pci.ids; empty when unknown or not installed
    std::string device_name;
    std::string driver;  // bound kernel driver; empty when none
    std::string driver_override;
    std::vector<std::string> interfaces;  // network interfaces in the caller's namespace
    std::optional<int> iommu_group;
    std::vector<PciAddress> iommu_group_members;  // the device itself included
    int numa_node = -1;
    std::optional<SriovInfo> sriov;  // only for SR-IOV capable physical functions

    bool is_network() const { return (class_code >> 16) == 0x02; }
};

// "no PCI device A (shuntctl status lists the network devices)"
Error no_pci_device(const PciAddress& a);
Result<PciDevice> pci_device(const PciAddress& a);
// Every PCI device of class 02 (network controller), by address.
Result<std::vector<PciDevice>> list_network_devices();
// The PCI device under a network interface (virtio and SR-IOV VFs included); nullopt for
// virtual interfaces (veth, dummy, bridge).
std::optional<PciAddress> pci_address_of_interface(const std::string& ifname);
// DEV is a PCI address or an interface name in the caller's namespace.
Result<PciAddress> resolve_pci_device(const std::string& dev);

// Binds A to DRIVER through driver_override (so no other device of the same ID moves),
// unbinding it from its current driver first. DRIVER "" means: clear the override and let
// the kernel pick (drivers_probe). Verifies the result.
Status bind_pci_driver(const PciAddress& a, const std::string& driver);
// The undo of a bind: A back on DRIVER ("" = none; left alone if it is there already) and its
// driver_override back to OVERRIDE ("" = none), as an undo log recorded them.
Status restore_pci_driver(const PciAddress& a, const std::string& driver,
                          const std::string& override);

Result<SriovInfo> sriov_info(const PciAddress& a);
// Changing a non-zero count goes through 0, as the kernel requires.
Status set_sriov_numvfs(const PciAddress& a, uint32_t numvfs);

}  // namespace shunt::ctl
