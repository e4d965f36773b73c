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

// The log for DEV: by interface name, else any log whose interface or PCI address is DEV.
std::optional<std::pair<std::string, UndoLog>> find_log(const std::string& state,
                                                        const std::string& dev,
                                                        std::vector<std::string>& errors) {
    const auto addr = PciAddress::parse(dev);
    const std::string pci = addr ? addr->to_string() : "";
    for (auto& entry : list_undo_logs(state, "kernel-stack", &errors)) {
        const UndoLog& l = entry.second;
        if (l.ifname == dev || (!pci.empty() && l.pci == pci)) return entry;
    }
    return std::nullopt;
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
    auto found = find_log(state, dev, errors);
    OnResult res;
    if (!found) {
        if (!errors.empty()) return make_error("{}", errors.front());
        res.nothing_to_restore = true;
        res.ifname = dev;
        return res;
    }
    auto& [path, log] = *found;
    res.log_path = path;
    if (log.netns != netns.value()) {
        return make_error(
            "{} was saved in another network namespace (net:[{}], this is "
            "net:[{}]); run shuntctl there",
            log.ifname, log.netns, netns.value());
    }
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
        return make_error("{} (the undo log {} is kept: run shuntctl kernel-stack on {} again)",
                          s.error().message, path, log.ifname);
    }
    if (res.ifname != found_as) res.renamed_from = found_as;
    if (auto s = remove_file_durable(path); !s) return s.error();
    step("log-removed");
    return res;
}

std::vector<KernelStackEntry> kernel_stack_status(const std::string& state,
                                                  std::vector<std::string>* errors) {
    std::vector<KernelStackEntry> out;
    const auto netns = current_netns();
    for (auto& [path, log] : list_undo_logs(state, "kernel-stack", errors)) {
        KernelStackEntry e;
        e.log_path = path;
        e.complete = log.has_change(detail::kOffComplete);
        e.this_namespace = netns && netns.value() == log.netns;
        e.log = std::move(log);
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace shunt::ctl
