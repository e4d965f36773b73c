// Binding a PCI NIC to vfio-pci and back, recorded in the undo log (STATE/bind/ADDR.undo)
// before the change so that `unbind` (or a recovery run) gives it back to the driver it had.
#pragma once

#include "base/result.hpp"
#include "ioctl_ctl/pci.hpp"

#include <string>
#include <vector>

namespace shunt::ctl {

struct BindOptions {
    std::string state_dir;  // state_dir() resolves the default
    bool force = false;     // skip bind_refusals
};

// Why binding A to vfio-pci should not happen without --force: an interface of it is active
// (carries routes), its interface lives in another network namespace, or its IOMMU group is
// not viable. Empty when there is no reason.
Result<std::vector<std::string>> bind_refusals(const PciAddress& a);

struct BindResult {
    bool already_bound = false;
    std::string previous_driver;  // empty: it had none
    std::string log_path;
};
Result<BindResult> bind_vfio(const PciAddress& a, const BindOptions& options);

struct UnbindResult {
    bool nothing_to_do = false;           // not bound to vfio-pci and no log
    std::string driver;                   // the driver it has now ("" = none)
    std::vector<std::string> interfaces;  // its interfaces now
};
// Back to the driver the bind log recorded, or (without a log) to whatever driver the
// kernel picks. A device that `kernel-stack off --unbind` took is restored by kernel-stack on.
Result<UnbindResult> unbind_vfio(const PciAddress& a, const BindOptions& options);

}  // namespace shunt::ctl
