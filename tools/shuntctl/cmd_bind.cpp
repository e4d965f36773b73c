// shuntctl bind / unbind (vfio-pci and back, through driver_override and the undo log) and
// shuntctl sriov (VF count).
#include "ioctl_ctl/kernel_stack.hpp"
#include "ioctl_ctl/pci.hpp"
#include "ioctl_ctl/pci_bind.hpp"
#include "ioctl_ctl/undo_log.hpp"
#include "tools/shuntctl/common.hpp"

#include <fmt/format.h>

namespace shunt::cli {
namespace {

struct BindArgs {
    std::string dev;
    bool force = false;
};

int run_bind(const Context& ctx, const BindArgs& a) {
    auto addr = ctl::resolve_pci_device(a.dev);
    if (!addr) return fail(kFailure, addr.error().message);
    const std::string where = addr->to_string();
    const pci::PciSysfs sys;
    if (sys.driver(*addr) == "vfio-pci") {
        fmt::print("{} is already bound to vfio-pci\n", where);
        return kOk;
    }
    if (!sys.driver_loaded("vfio-pci")) {
        return fail(kFailure, "driver vfio-pci is not loaded: run 'modprobe vfio-pci'");
    }
    if (!a.force) {
        auto refusals = ctl::bind_refusals(*addr);
        if (!refusals) return fail(kFailure, refusals.error().message);
        if (!refusals->empty()) {
            return fail(kRefused, fmt::format("refusing to bind {}: {} (--force overrides)", where,
                                              fmt::join(refusals.value(), "; ")));
        }
    }
    auto res = ctl::bind_vfio(*addr, ctl::BindOptions{ctx.state_dir, a.force});
    if (!res) return fail(kFailure, res.error().message);
    fmt::print("{}: bound to vfio-pci (was: {}); undo log {}\n", where,
               res->previous_driver.empty() ? "no driver" : res->previous_driver, res->log_path);
    return kOk;
}

// DEV as given to unbind: a PCI address, an interface, or the interface name a bind log
// recorded (the interface is gone while vfio-pci has the device).
Result<ctl::PciAddress> resolve_for_unbind(const Context& ctx, const std::string& dev) {
    if (auto a = ctl::resolve_pci_device(dev)) return a;
    const std::string state = ctl::state_dir(ctx.state_dir);
    for (const auto& kind : {"bind", "kernel-stack"}) {
        for (const auto& [path, log] : ctl::list_undo_logs(state, kind, nullptr)) {
            if (log.ifname == dev && !log.pci.empty()) {
                if (auto a = ctl::PciAddress::parse(log.pci)) return *a;
            }
        }
    }
    return ctl::resolve_pci_device(dev).error();
}

int run_unbind(const Context& ctx, const std::string& dev) {
    auto addr = resolve_for_unbind(ctx, dev);
    if (!addr) return fail(kFailure, addr.error().message);
    const std::string where = addr->to_string();
    const std::string state = ctl::state_dir(ctx.state_dir);
    for (const auto& [path, log] : ctl::list_undo_logs(state, "kernel-stack", nullptr)) {
        if (log.pci != where || !log.has_change("unbound")) continue;
        // kernel-stack off --unbind took it: its undo log restores the interface as well.
        ctl::KernelStackOptions o;
        o.state_dir = ctx.state_dir;
        o.after_step = crash_hook;
        auto on = ctl::kernel_stack_on(where, o);
        if (!on) return fail(kFailure, on.error().message);
        fmt::print("{}: restored with its kernel-stack undo log ({} is back)\n", where, on->ifname);
        return kOk;
    }
    auto res = ctl::unbind_vfio(*addr, ctl::BindOptions{ctx.state_dir, false});
    if (!res) return fail(kFailure, res.error().message);
    if (res->nothing_to_do) {
        fmt::print("{}: not bound to vfio-pci (driver: {}): nothing to do\n", where,
                   res->driver.empty() ? "none" : res->driver);
        return kOk;
    }
    fmt::print("{}: bound to {}{}\n", where, res->driver.empty() ? "no driver" : res->driver,
               res->interfaces.empty()
                   ? ""
                   : fmt::format(" (interface {})", fmt::join(res->interfaces, ", ")));
    return kOk;
}

struct SriovArgs {
    std::string dev;
    int64_t vfs = -1;
    bool json = false;
};

int run_sriov(const SriovArgs& a) {
    auto addr = ctl::resolve_pci_device(a.dev);
    if (!addr) return fail(kFailure, addr.error().message);
    if (a.vfs >= 0) {
        if (auto s = ctl::set_sriov_numvfs(*addr, static_cast<uint32_t>(a.vfs)); !s) {
            return fail(kFailure, s.error().message);
        }
    }
    auto info = ctl::sriov_info(*addr);
    if (!info) return fail(kFailure, info.error().message);
    if (a.json) {
        print_json(Json{{"address", addr->to_string()},
                        {"numvfs", info->numvfs},
                        {"totalvfs", info->totalvfs}});
    } else {
        fmt::print("{}: {} of {} VFs\n", addr->to_string(), info->numvfs, info->totalvfs);
    }
    return kOk;
}

}  // namespace

void add_bind(CLI::App& app, Context& ctx) {
    auto b = std::make_shared<BindArgs>();
    auto* bind = app.add_subcommand(
        "bind", "Bind a PCI NIC to vfio-pci (recording its driver in the undo log first)");
    bind->add_option("DEV", b->dev, "PCI address (0000:03:00.0) or interface name")->required();
    bind->add_flag("--force", b->force,
                   "Bind even if an interface of it is active or its IOMMU group is not viable");
    bind->callback([&ctx, b] { ctx.rc = run_bind(ctx, *b); });

    auto dev = std::make_shared<std::string>();
    auto* unbind = app.add_subcommand(
        "unbind", "Give a PCI NIC back from vfio-pci to the driver it had before bind");
    unbind->add_option("DEV", *dev, "PCI address, or the interface name it had")->required();
    unbind->callback([&ctx, dev] { ctx.rc = run_unbind(ctx, *dev); });
}

void add_sriov(CLI::App& app, Context& ctx) {
    auto s = std::make_shared<SriovArgs>();
    auto* sub = app.add_subcommand("sriov", "Show or set the SR-IOV VF count of a PCI NIC");
    sub->add_option("DEV", s->dev, "PCI address or interface name")->required();
    sub->add_option("--vfs", s->vfs, "Set the number of VFs (sriov_numvfs)")
        ->check(CLI::NonNegativeNumber);
    sub->add_flag("--json", s->json, "Print JSON");
    sub->callback([&ctx, s] { ctx.rc = run_sriov(*s); });
}

}  // namespace shunt::cli
