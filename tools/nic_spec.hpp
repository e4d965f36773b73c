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

namespace CLI {
class App;
}

namespace shunt::tools {

struct NicOptions {
    MacAddr mac{};  // zero: the backend picks
    uint16_t mtu = 1500;
    // Queue pairs (one shard each in shuntd): a multi-queue TAP, or RSS on a PCI NIC. Over
    // pci.queues, which open_nic sets from it.
    uint16_t queues = 1;
    PciNicOptions pci{};  // for pci: (no-IOMMU opt-in, interrupts, rings, pool size)
};

// The pci: flags every tool that opens one NIC offers, spelled alike everywhere:
// --allow-noiommu, --interrupts and --irq best|msix|msi|intx.
struct PciFlags {
    bool allow_noiommu = false;
    bool interrupts = false;
    std::string irq = "best";
};
void add_pci_flags(CLI::App& app, PciFlags& flags);
// Copies the parsed flags into the driver options (add_pci_flags checked the irq name).
void apply_pci_flags(const PciFlags& flags, PciNicOptions& pci);

// Checks a --nic value's form (and that a pci: device exists) without opening it: for tools
// that hand the spec to another process (shunt-run).
Status check_nic_spec(const std::string& spec);

Result<std::unique_ptr<Nic>> open_nic(const std::string& spec, const NicOptions& options);

// Opens several NICs that will hand each other buffers (shunt-fwd): all tap: (each opened on
// its own; TAP copies anyway) or all pci: (in one VFIO container, so the buffers of one are
// DMA-reachable by the others). Mixing the two kinds is an error.
Result<NicSet> open_nics(const std::vector<std::string>& specs, const NicOptions& options);

}  // namespace shunt::tools
