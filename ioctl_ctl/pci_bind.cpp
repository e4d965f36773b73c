#include "ioctl_ctl/pci_bind.hpp"

#include "ioctl_ctl/active.hpp"
#include "ioctl_ctl/link_nl.hpp"
#include "ioctl_ctl/sysfs.hpp"
#include "ioctl_ctl/undo_log.hpp"

#include <chrono>
#include <thread>

namespace shunt::ctl {
namespace {

constexpr const char* kVfio = "vfio-pci";

// The interfaces a driver creates appear shortly after the bind: wait for them (bounded).
std::vector<std::string> wait_for_interfaces(const PciAddress& a, const std::string& driver) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
        auto dev = pci_device(a);
        if (dev && (!dev->interfaces.empty() || driver.empty() || driver == kVfio)) {
            return dev->interfaces;
        }
        if (std::chrono::steady_clock::now() >= deadline) return {};
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

}  // namespace

Result<std::vector<std::string>> bind_refusals(const PciAddress& a) {
    auto dev = pci_device(a);
    if (!dev) return dev.error();
    std::vector<std::string> out;
    auto active = active_ifindexes();
    if (!active) return active.error();
    for (const auto& ifname : dev->interfaces) {
        auto link = link_state(ifname);
        if (link && active->count(link->index) != 0) {
            out.push_back(
                fmt::format("{} ({}) is active: it carries routes; take it off the "
                            "kernel stack first (shuntctl kernel-stack off {})",
                            a.to_string(), ifname, ifname));
        }
    }
    // sysfs shows only this namespace's interfaces: a bound network driver without one
    // means the interface is elsewhere, where nothing here can see whether it is in use.
    if (dev->is_network() && dev->interfaces.empty() && !dev->driver.empty() &&
        dev->driver != kVfio) {
        out.push_back(
            fmt::format("{} is bound to {} but has no interface in this network "
                        "namespace: it may be in use in another one",
                        a.to_string(), dev->driver));
    }
    if (const auto group = pci::PciSysfs().check_group(a); !group.viable()) {
        out.push_back(group.problem());
    }
    return out;
}

Result<BindResult> bind_vfio(const PciAddress& a, const BindOptions& o) {
    const std::string state = state_dir(o.state_dir);
    auto lock = StateLock::acquire(state);
    if (!lock) return lock.error();
    auto dev = pci_device(a);
    if (!dev) return dev.error();
    BindResult res;
    res.log_path = bind_log_path(state, a.to_string());
    res.previous_driver = dev->driver;
    if (dev->driver == kVfio) {
        res.already_bound = true;
        return res;
    }
    if (!pci::PciSysfs().driver_loaded(kVfio))
        return make_error("driver vfio-pci is not loaded: run 'modprobe vfio-pci'");
    if (!o.force) {
        auto refusals = bind_refusals(a);
        if (!refusals) return refusals.error();
        if (!refusals->empty()) return make_error("{} (--force overrides)", refusals->front());
    }
    if (!path_exists(res.log_path)) {
        UndoLog log;
        log.kind = "bind";
        log.pci = a.to_string();
        log.driver = dev->driver;
        log.driver_override = dev->driver_override;
        if (!dev->interfaces.empty()) log.ifname = dev->interfaces.front();
        if (auto s = write_undo_log(res.log_path, log); !s) return s.error();
    }
    if (auto s = bind_pci_driver(a, kVfio); !s) {
        return make_error("{} (shuntctl unbind {} gives it back to {})", s.error().message,
                          a.to_string(), dev->driver.empty() ? "no driver" : dev->driver);
    }
    return res;
}

Result<UnbindResult> unbind_vfio(const PciAddress& a, const BindOptions& o) {
    const std::string state = state_dir(o.state_dir);
    auto lock = StateLock::acquire(state);
    if (!lock) return lock.error();
    const pci::PciSysfs sys;
    if (!sys.exists(a)) return no_pci_device(a);
    UnbindResult res;
    const std::string path = bind_log_path(state, a.to_string());
    std::string driver;
    std::string override_before;
    if (path_exists(path)) {
        auto log = read_undo_log(path);
        if (!log) return log.error();
        driver = log->driver;
        override_before = log->driver_override;
    } else if (sys.driver(a) != kVfio) {
        res.nothing_to_do = true;
        res.driver = sys.driver(a);
        return res;
    }
    if (auto s = restore_pci_driver(a, driver, override_before); !s) return s.error();
    if (auto s = remove_file_durable(path); !s) return s.error();
    res.driver = sys.driver(a);
    res.interfaces = wait_for_interfaces(a, res.driver);
    return res;
}

}  // namespace shunt::ctl
