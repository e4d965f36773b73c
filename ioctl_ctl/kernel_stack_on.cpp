// kernel_stack_on: bring an interface back to the state its undo log saved, from whatever
// point an earlier off (or on) reached. Every step compares before it changes, so running it
// again after a crash is safe; the log goes only when everything is back.
#include "ioctl_ctl/ipv6_conf.hpp"
#include "ioctl_ctl/kernel_stack.hpp"
#include "ioctl_ctl/kernel_stack_detail.hpp"
#include "ioctl_ctl/link_nl.hpp"
#include "ioctl_ctl/pci.hpp"
#include "ioctl_ctl/restore.hpp"
#include "ioctl_ctl/sysfs.hpp"

#include <net/if.h>

#include <chrono>
#include <thread>

namespace shunt::ctl {
namespace {

// The logs for DEV: those whose interface or PCI address is DEV, each with its owner.
std::vector<KernelStackEntry> logs_for(const std::string& state, const std::string& dev,
                                       std::vector<std::string>& errors) {
    const auto addr = PciAddress::parse(dev);
    const std::string pci = addr ? addr->to_string() : "";
    std::vector<KernelStackEntry> out;
    for (auto& e : kernel_stack_status(state, &errors)) {
        if (e.log.ifname == dev || (!pci.empty() && e.log.pci == pci)) out.push_back(std::move(e));
    }
    return out;
}

// Gives the PCI device back to the driver it had, then waits (bounded) for its interface.
Status restore_driver(const UndoLog& log) {
    auto pci = PciAddress::parse(log.pci);
    if (!pci) return make_error("bad PCI address '{}' in the undo log", log.pci);
    return restore_pci_driver(*pci, log.driver, log.driver_override);
}

// The interface now: its saved name if that still names the same device, else the
// interface on the saved PCI device (waiting up to 10 s for the driver to create it).
Result<std::string> find_interface(const UndoLog& log) {
    const auto pci = PciAddress::parse(log.pci);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    if (!log.has_change(detail::kUnbound)) {
        // Never unbound: the same interface instance, found by its ifindex (its name may have
        // changed; a new interface with the old name is not it).
        char name[IF_NAMESIZE] = {};
        if (::if_indextoname(static_cast<unsigned>(log.ifindex), name) != nullptr) {
            return std::string(name);
        }
        return make_error("interface {} (ifindex {}) no longer exists: nothing to restore it onto",
                          log.ifname, log.ifindex);
    }
    for (;;) {
        if (path_exists("/sys/class/net/" + log.ifname) &&
            (!pci || pci_address_of_interface(log.ifname) == pci)) {
            return log.ifname;
        }
        if (pci) {
            for (const auto& name : list_dir("/sys/class/net")) {
                if (pci_address_of_interface(name) == pci) return name;
            }
        }
        if (!pci || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (pci) {
        return make_error("no network interface appeared for {} (driver {})", log.pci,
                          log.driver.empty() ? "none" : log.driver);
    }
    return make_error("interface {} no longer exists: nothing to restore it onto", log.ifname);
}

}  // namespace

Result<OnResult> kernel_stack_on(const std::string& dev, const KernelStackOptions& o) {
    const std::string state = state_dir(o.state_dir);
    auto lock = StateLock::acquire(state);
    if (!lock) return lock.error();
    auto netns = current_netns();
    if (!netns) return netns.error();
    std::vector<std::string> errors;
    auto candidates = logs_for(state, dev, errors);
    OnResult res;
    const KernelStackEntry* live = nullptr;
    const KernelStackEntry* elsewhere = nullptr;
    for (const auto& e : candidates) {
        if (e.check.owner == LogOwner::live && live == nullptr) live = &e;
        if (e.check.owner == LogOwner::other_namespace && elsewhere == nullptr) elsewhere = &e;
        if (e.check.owner == LogOwner::stale) {
            res.stale.push_back(fmt::format("{}: {}", e.log_path, e.check.reason));
        }
    }
    if (live == nullptr) {
        if (!errors.empty()) return make_error("{}", errors.front());
        if (elsewhere != nullptr) {
            return make_error(
                "{} was saved in another network namespace (net:[{}], this is "
                "net:[{}]); run shuntctl there",
                elsewhere->log.ifname, elsewhere->log.netns, netns.value());
        }
        res.nothing_to_restore = true;
        res.ifname = dev;
        return res;
    }
    const std::string path = live->log_path;
    const UndoLog log = live->log;
    res.log_path = path;
    auto step = [&](std::string_view name) {
        if (o.after_step) o.after_step(name);
    };
    if (!log.pci.empty() && log.has_change(detail::kUnbound)) {
        if (auto s = restore_driver(log); !s) return s.error();
        res.driver_restored = true;
        step("driver-restored");
    }
    auto ifname = find_interface(log);
    if (!ifname) return ifname.error();
    res.ifname = ifname.value();
    const std::string found_as = res.ifname;
    if (auto s = restore_interface(log, res.ifname, step, res.warnings); !s) {
        // Every part is idempotent: a second `on` finishes what this one could not, once the
        // cause (named in the message) is gone.
        return make_error(
            "{} (the undo log {} is kept: fix that, then run shuntctl kernel-stack on {} "
            "again; every part already restored is accepted as it is)",
            s.error().message, path, log.ifname);
    }
    if (res.ifname != found_as) res.renamed_from = found_as;
    if (auto s = remove_file_durable(path); !s) return s.error();
    step("log-removed");
    return res;
}

}  // namespace shunt::ctl
