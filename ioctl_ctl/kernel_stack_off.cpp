// kernel_stack_off: save the interface's state to the undo log, then flush addresses and
// routes, turn IPv6 off, take the link down and (with unbind) hand the device to vfio-pci.
#include "ioctl_ctl/ipv6_conf.hpp"
#include "ioctl_ctl/kernel_stack.hpp"
#include "ioctl_ctl/kernel_stack_detail.hpp"
#include "ioctl_ctl/link_nl.hpp"
#include "ioctl_ctl/pci.hpp"
#include "ioctl_ctl/ssh_sessions.hpp"
#include "ioctl_ctl/sysfs.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <algorithm>

namespace shunt::ctl {
namespace detail {

Result<std::vector<RouteRecord>> routes_through(int ifindex) {
    auto all = list_routes();
    if (!all) return all.error();
    std::vector<RouteRecord> out;
    for (auto& r : all.value()) {
        if (!r.uses(ifindex)) continue;
        if (r.protocol == RTPROT_RA || r.protocol == RTPROT_REDIRECT) continue;
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace detail

namespace {

using detail::run_step;

std::string table_name(uint32_t table) {
    if (table == RT_TABLE_MAIN) return "main";
    if (table == RT_TABLE_LOCAL) return "local";
    return std::to_string(table);
}

// The SSH sessions this host serves, from the socket table (ssh_sessions.hpp): refused when
// the interface holds the address a session came in on, or the route back to its client
// goes through the interface. One reason per interface is enough.
Status check_ssh_sessions(const std::string& ifname, int ifindex, std::vector<std::string>& out) {
    auto sessions = find_ssh_sessions();
    if (!sessions) return sessions.error();
    if (sessions->empty()) return {};
    auto addrs = list_addresses(ifindex);
    if (!addrs) return addrs.error();
    for (const auto& s : sessions.value()) {
        for (const auto& a : addrs.value()) {
            if (a.local != s.local) continue;
            out.push_back(fmt::format(
                "{} holds {}, the address of an established SSH session (port {}) from {}; "
                "taking it off would end the session",
                ifname, s.local, s.local_port, s.remote));
            return {};
        }
    }
    for (const auto& s : sessions.value()) {
        auto oif = route_lookup_oif(s.remote);
        if (oif && oif.value() == ifindex) {
            out.push_back(fmt::format(
                "the route back to the client {} of an established SSH session (to {} port "
                "{}) goes through {}",
                s.remote, s.local, s.local_port, ifname));
            return {};
        }
    }
    return {};
}

Result<UndoLog> snapshot(const std::string& ifname, uint64_t netns, const KernelStackOptions& o) {
    auto link = link_state(ifname);
    if (!link) return link.error();
    if (link->flags & IFF_LOOPBACK) {
        return make_error("{} is the loopback interface: it has no kernel stack to give away",
                          ifname);
    }
    UndoLog log;
    log.kind = "kernel-stack";
    log.netns = netns;
    log.ifname = link->name;
    log.ifindex = link->index;
    log.mac = link->mac;
    log.mtu = link->mtu;
    log.flags = link->flags;
    if (auto v6 = ipv6_disabled(ifname)) log.ipv6_disabled = v6.value();
    log.keep_link = o.keep_link;
    log.unbind = o.unbind;
    auto addrs = list_addresses(link->index);
    if (!addrs) return addrs.error();
    for (auto& a : addrs.value()) {
        // Privacy addresses are the kernel's own, made again when IPv6 comes back.
        if (a.family == AF_INET6 && (a.flags & IFA_F_TEMPORARY)) continue;
        log.addresses.push_back(std::move(a));
    }
    auto routes = detail::routes_through(link->index);
    if (!routes) return routes.error();
    log.routes = std::move(routes).value();
    if (auto pci = pci_address_of_interface(ifname)) {
        log.pci = pci->to_string();
        const pci::PciSysfs sys;
        log.driver = sys.driver(*pci);
        log.driver_override = sys.driver_override(*pci);
    }
    if (o.unbind && log.pci.empty()) {
        return make_error("{} is a virtual interface (no PCI device): --unbind needs a PCI NIC",
                          ifname);
    }
    if (o.unbind && !pci::PciSysfs().driver_loaded("vfio-pci")) {
        return make_error("driver vfio-pci is not loaded: run 'modprobe vfio-pci'");
    }
    return log;
}

Status flush_addresses(int ifindex) {
    auto addrs = list_addresses(ifindex);
    if (!addrs) return addrs.error();
    // Last first: IPv4 secondaries go before their primary, so none is promoted.
    for (auto it = addrs->rbegin(); it != addrs->rend(); ++it) {
        if (auto s = delete_address(*it, ifindex); !s) return s;
    }
    return {};
}

Status flush_routes(int ifindex) {
    auto routes = detail::routes_through(ifindex);
    if (!routes) return routes.error();
    for (const auto& r : routes.value()) {
        if (auto s = delete_route(r); !s) return s;
    }
    return {};
}

// The steps, each logged before it is made; all are idempotent, so a resumed run repeats the
// ones an interrupted run may have begun.
Status take_down(UndoLog& log, const std::string& path, const KernelStackOptions& o,
                 std::vector<std::string>& done) {
    const std::string& ifname = log.ifname;
    auto link = link_state(ifname);
    const bool unbound = !link && log.has_change(detail::kUnbound);
    if (!link && !unbound) return link.error();
    if (!unbound) {
        const int ifindex = link->index;
        if (auto s = run_step(log, path, o, detail::kAddressesFlushed, done,
                              [&] { return flush_addresses(ifindex); });
            !s) {
            return s;
        }
        if (auto s = run_step(log, path, o, detail::kRoutesFlushed, done,
                              [&] { return flush_routes(ifindex); });
            !s) {
            return s;
        }
        if (log.ipv6_disabled) {
            if (auto s = run_step(log, path, o, detail::kIpv6Off, done,
                                  [&] { return set_ipv6_disabled(ifname, true); });
                !s) {
                return s;
            }
        }
        if (!log.keep_link) {
            if (auto s = run_step(log, path, o, detail::kLinkDown, done,
                                  [&] { return set_link_up_netlink(ifname, false); });
                !s) {
                return s;
            }
        }
    }
    if (log.unbind) {
        auto pci = PciAddress::parse(log.pci);
        if (!pci) return make_error("undo log {}: bad PCI address '{}'", path, log.pci);
        if (auto s = run_step(log, path, o, detail::kUnbound, done,
                              [&] { return bind_pci_driver(*pci, "vfio-pci"); });
            !s) {
            return s;
        }
    }
    if (!log.has_change(detail::kOffComplete)) {
        log.changes.emplace_back(detail::kOffComplete);
        if (auto s = write_undo_log(path, log); !s) return s;
    }
    return {};
}

}  // namespace

namespace {

// The live log of the interface IFNAME of this namespace: the one for its ifindex, or, when
// `off --unbind` took the interface away, the one that unbound it.
std::optional<KernelStackEntry> live_log(const std::string& state, const std::string& ifname,
                                         std::vector<std::string>* errors) {
    auto link = link_state(ifname);
    for (auto& e : kernel_stack_status(state, errors)) {
        if (e.check.owner != LogOwner::live) continue;
        const bool unbound = e.log.has_change(detail::kUnbound);
        if ((link && !unbound && e.log.ifindex == link->index) ||
            (!link && unbound && e.log.ifname == ifname)) {
            return e;
        }
    }
    return std::nullopt;
}

}  // namespace

bool kernel_stack_saved(const std::string& state, const std::string& ifname) {
    return live_log(state, ifname, nullptr).has_value();
}

Result<std::vector<std::string>> kernel_stack_off_refusals(const std::string& ifname, bool unbind) {
    auto link = link_state(ifname);
    if (!link) return link.error();
    std::vector<std::string> out;
    auto routes = detail::routes_through(link->index);
    if (!routes) return routes.error();
    // The main table's default route first: it is the one people know.
    std::stable_partition(routes->begin(), routes->end(),
                          [](const RouteRecord& r) { return r.table == RT_TABLE_MAIN; });
    for (const auto& r : routes.value()) {
        if (!r.is_default() || r.table == RT_TABLE_LOCAL) continue;
        const std::string via = r.nexthops.empty() || r.nexthops[0].gateway.empty()
                                    ? ""
                                    : " via " + r.nexthops[0].gateway;
        out.push_back(
            fmt::format("{} carries the {} default route{} (table {}); taking it off "
                        "the kernel stack would cut this host off that network",
                        ifname, r.family == AF_INET ? "IPv4" : "IPv6", via, table_name(r.table)));
        break;
    }
    if (auto s = check_ssh_sessions(ifname, link->index, out); !s) return s.error();
    if (unbind) {
        if (auto pci = pci_address_of_interface(ifname)) {
            if (const auto group = pci::PciSysfs().check_group(*pci); !group.viable()) {
                out.push_back(group.problem());
            }
        }
    }
    return out;
}

Result<OffResult> kernel_stack_off(const std::string& ifname, const KernelStackOptions& o) {
    const std::string state = state_dir(o.state_dir);
    auto lock = StateLock::acquire(state);
    if (!lock) return lock.error();
    auto netns = current_netns();
    if (!netns) return netns.error();
    OffResult res;
    UndoLog log;
    std::vector<std::string> errors;
    auto existing = live_log(state, ifname, &errors);
    for (const auto& e : errors) {
        // An unreadable log of this name may be this interface's: never save over it.
        if (existing || e.find("/kernel-stack/" + ifname + ".") == std::string::npos) continue;
        return make_error("{} (move it away only once the interface is restored by hand)", e);
    }
    if (existing) {
        res.log_path = existing->log_path;
        log = std::move(existing->log);
        const bool complete = log.has_change(detail::kOffComplete);
        const bool more = (log.keep_link && !o.keep_link) || (o.unbind && !log.unbind);
        if (complete && !more) {
            res.already_off = true;
            return res;
        }
        res.resumed = !complete;
        log.keep_link = log.keep_link && o.keep_link;
        log.unbind = log.unbind || o.unbind;
        std::erase(log.changes, std::string(detail::kOffComplete));
    } else {
        if (!o.force) {
            auto refusals = kernel_stack_off_refusals(ifname, o.unbind);
            if (!refusals) return refusals.error();
            if (!refusals->empty()) {
                return make_error("{} (--force overrides)", refusals->front());
            }
        }
        auto snap = snapshot(ifname, netns.value(), o);
        if (!snap) return snap.error();
        log = std::move(snap).value();
        log.netns_cookie = current_netns_cookie();
        res.log_path = kernel_stack_log_path(
            state, log.ifname, log.netns_cookie != 0 ? log.netns_cookie : log.netns, log.ifindex);
        if (auto s = write_undo_log(res.log_path, log); !s) return s.error();
        res.steps.emplace_back(detail::kSaved);
        if (o.after_step) o.after_step(detail::kSaved);
    }
    if (auto s = take_down(log, res.log_path, o, res.steps); !s) {
        return make_error(
            "{} (the undo log {} restores what was changed: shuntctl kernel-stack "
            "on {})",
            s.error().message, res.log_path, ifname);
    }
    return res;
}

}  // namespace shunt::ctl
