// Opens the NIC a `--nic` argument names: `tap:NAME`, or `pci:DDDD:BB:DD.F` (a device bound to
// vfio-pci, driven by the user-space drivers in driver/pci_nic.hpp).
#pragma once

#include "base/mac_addr.hpp"
#include "base/result.hpp"
#include "driver/nic.hpp"
#include "driver/pci_nic.hpp"

#include <memory>
#include <string>
#include <vector>

namespace shunt::tools {

struct NicOptions {
    MacAddr mac{};  // zero: the backend picks
    uint16_t mtu = 1500;
    PciNicOptions pci{};  // for pci: (no-IOMMU opt-in, interrupts, rings, pool size)
};

Result<std::unique_ptr<Nic>> open_nic(const std::string& spec, const NicOptions& options);

// Opens several NICs that will hand each other buffers (shunt-fwd): all tap: (each opened on
// its own; TAP copies anyway) or all pci: (in one VFIO container, so the buffers of one are
// DMA-reachable by the others). Mixing the two kinds is an error.
Result<NicSet> open_nics(const std::vector<std::string>& specs, const NicOptions& options);

}  // namespace shunt::tools
