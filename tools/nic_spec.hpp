// Opens the NIC a `--nic` argument names: `tap:NAME` today; `pci:DDDD:BB:DD.F` with the VFIO
// drivers.
#pragma once

#include "base/mac_addr.hpp"
#include "base/result.hpp"
#include "driver/nic.hpp"

#include <memory>
#include <string>

namespace shunt::tools {

struct NicOptions {
    MacAddr mac{};  // zero: the backend picks
    uint16_t mtu = 1500;
};

Result<std::unique_ptr<Nic>> open_nic(const std::string& spec, const NicOptions& options);

}  // namespace shunt::tools
