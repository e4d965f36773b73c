// The NIC a runtime's spec names: "tap:NAME" (a TAP device, its kernel side set up) or
// "pci:DDDD:BB:DD.F" (a device bound to vfio-pci, run by the user-space drivers).
#pragma once

#include "base/mac_addr.hpp"
#include "base/result.hpp"
#include "driver/nic.hpp"
#include "driver/pci_nic.hpp"

#include <memory>
#include <string>

namespace shunt::lib {

struct NicSpecOptions {
    MacAddr mac{};  // zero: the backend picks
    uint16_t mtu = 1500;
    uint32_t pool_buffers = 4096;  // tap: (pci: takes pci.pool_buffers)
    PciNicOptions pci{};
};

Result<std::unique_ptr<Nic>> open_nic_spec(const std::string& spec, const NicSpecOptions& options);

}  // namespace shunt::lib
