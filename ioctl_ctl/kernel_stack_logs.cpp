// Which interface instance an undo log belongs to, and what to do with logs whose
// namespace or interface is gone (reported by status and doctor, discarded on request).
#include "ioctl_ctl/kernel_stack.hpp"
#include "ioctl_ctl/kernel_stack_detail.hpp"
#include "ioctl_ctl/pci.hpp"
#include "ioctl_ctl/sysfs.hpp"

#include <net/if.h>

namespace shunt::ctl {

Result<HostView> HostView::current() {
    HostView h;
    auto ns = current_netns();
    if (!ns) return ns.error();
    h.netns = ns.value();
    h.netns_cookie = current_netns_cookie();
    h.boot_id = current_boot_id();
    h.netns_exists = [](uint64_t inode, uint64_t cookie) {
        return ctl::netns_exists(inode, cookie);
    };
    h.ifname_of = [](int ifindex) -> std::optional<std::string> {
        char name[IF_NAMESIZE] = {};
        if (ifindex <= 0 || ::if_indextoname(static_cast<unsigned>(ifindex), name) == nullptr) {
            return std::nullopt;
        }
        return std::string(name);
    };
    h.pci_exists = [](const std::string& pci) {
        return path_exists("/sys/bus/pci/devices/" + pci);
    };
    return h;
}

LogCheck check_log_owner(const UndoLog& log, const HostView& host) {
    auto stale = [](std::string why) { return LogCheck{LogOwner::stale, std::move(why)}; };
    if (!log.boot_id.empty() && !host.boot_id.empty() && log.boot_id != host.boot_id) {
        return stale("written before the system last booted: the state it saved is gone");
    }
    // The inode may be reused by a namespace made after the log's was deleted; the cookie
    // is not, so when both sides know it, it decides.
    const bool same_ns = log.netns_cookie != 0 && host.netns_cookie != 0
                             ? log.netns_cookie == host.netns_cookie
                             : log.netns == host.netns;
    if (!same_ns) {
        if (host.netns_exists && host.netns_exists(log.netns, log.netns_cookie)) {
            return LogCheck{LogOwner::other_namespace, ""};
        }
        return stale(fmt::format("its network namespace net:[{}] no longer exists", log.netns));
    }
    if (!log.pci.empty() && log.has_change(detail::kUnbound)) {
        if (host.pci_exists && host.pci_exists(log.pci)) return LogCheck{};
        return stale(fmt::format("its PCI device {} no longer exists", log.pci));
    }
    const auto name = host.ifname_of ? host.ifname_of(log.ifindex) : std::nullopt;
    if (!name) {
        return stale(
            fmt::format("interface {} (ifindex {}) no longer exists", log.ifname, log.ifindex));
    }
    return LogCheck{};
}

std::vector<KernelStackEntry> kernel_stack_status(const std::string& state,
                                                  std::vector<std::string>* errors) {
    std::vector<KernelStackEntry> out;
    auto host = HostView::current();
    for (auto& [path, log] : list_undo_logs(state, "kernel-stack", errors)) {
        KernelStackEntry e;
        e.log_path = path;
        e.complete = log.has_change(detail::kOffComplete);
        if (host) {
            e.check = check_log_owner(log, host.value());
            e.this_namespace = e.check.owner != LogOwner::other_namespace &&
                               (log.netns == host->netns ||
                                (log.netns_cookie != 0 && log.netns_cookie == host->netns_cookie));
        }
        e.log = std::move(log);
        out.push_back(std::move(e));
    }
    return out;
}

Result<DiscardResult> kernel_stack_discard(const std::string& state, const std::string& dev,
                                           bool force) {
    auto lock = StateLock::acquire(state);
    if (!lock) return lock.error();
    std::vector<std::string> errors;
    const auto entries = kernel_stack_status(state, &errors);
    if (!errors.empty()) return make_error("{}", errors.front());
    const auto addr = PciAddress::parse(dev);
    DiscardResult res;
    for (const auto& e : entries) {
        if (!dev.empty() && e.log.ifname != dev && !(addr && e.log.pci == addr->to_string())) {
            continue;
        }
        if (e.check.owner != LogOwner::stale && !force) {
            res.refused.push_back(fmt::format(
                "{}: {}", e.log_path,
                e.check.owner == LogOwner::live
                    ? fmt::format("{} is off and this log is how it comes back (kernel-stack on "
                                  "{})",
                                  e.log.ifname, e.log.ifname)
                    : fmt::format("it belongs to network namespace net:[{}], which exists",
                                  e.log.netns)));
            continue;
        }
        if (auto s = remove_file_durable(e.log_path); !s) return s.error();
        res.removed.push_back(e.log_path);
    }
    return res;
}

}  // namespace shunt::ctl
