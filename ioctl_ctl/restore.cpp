#include "ioctl_ctl/restore.hpp"

#include "ioctl_ctl/ipv6_conf.hpp"
#include "ioctl_ctl/kernel_stack_detail.hpp"
#include "ioctl_ctl/link_nl.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <algorithm>

namespace shunt::ctl {
namespace {

bool same_keys(const std::vector<const AddressRecord*>& a,
               const std::vector<const AddressRecord*>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const auto* x, const auto* y) { return x->key() == y->key(); });
}

bool is_link_local(const AddressRecord& a) {
    return a.family == AF_INET6 && a.scope == RT_SCOPE_LINK && a.local.starts_with("fe80:");
}

// A label that was the old interface name (or "old:alias") follows the new name.
std::string mapped_label(const std::string& label, const std::string& old_name,
                         const std::string& name) {
    if (label == old_name) return name;
    if (label.starts_with(old_name + ":")) return name + label.substr(old_name.size());
    return label;
}

Status reconcile_family(int family, const std::vector<AddressRecord>& saved_all,
                        const std::vector<AddressRecord>& now_all, int ifindex,
                        const std::string& old_ifname, const std::string& ifname) {
    std::vector<const AddressRecord*> saved, now;
    for (const auto& a : saved_all) {
        if (a.family == family) saved.push_back(&a);
    }
    for (const auto& a : now_all) {
        if (a.family == family) now.push_back(&a);
    }
    if (same_keys(saved, now)) return {};
    auto in = [](const std::vector<const AddressRecord*>& v, const AddressRecord& a) {
        return std::any_of(v.begin(), v.end(), [&](const auto* x) { return x->key() == a.key(); });
    };
    // The kernel lists addresses in insertion order (IPv4) or newest first within a scope
    // (IPv6): the only way to get the saved order back is to re-add all but the kernel's own
    // link-local address, which always sorts last.
    std::vector<const AddressRecord*> kept;
    for (auto it = now.rbegin(); it != now.rend(); ++it) {
        if (is_link_local(**it) && in(saved, **it)) {
            kept.push_back(*it);
            continue;
        }
        if (auto s = delete_address(**it, ifindex); !s) return s;
    }
    auto add = [&](const AddressRecord& a) -> Status {
        if (in(kept, a)) return {};
        bool existed = false;
        auto s = add_address(a, ifindex, mapped_label(a.label, old_ifname, ifname), &existed);
        if (!s && existed && is_link_local(a)) {
            // IPv6 addrconf made the link-local address between our look and our add (it
            // comes back on its own once IPv6 is on and the link is up): the same address
            // from the same MAC, as good as ours. Seen in CI as "adding address fe80::…/64:
            // Object exists", after which every retry failed the same way.
            auto after = list_addresses(ifindex);
            if (after && std::any_of(after->begin(), after->end(),
                                     [&](const AddressRecord& x) { return x.key() == a.key(); })) {
                return {};
            }
        }
        return s;
    };
    if (family == AF_INET) {
        for (const auto* a : saved) {
            if (auto s = add(*a); !s) return s;
        }
    } else {
        for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
            if (auto s = add(**it); !s) return s;
        }
    }
    return {};
}

// True when a route equal to R goes through IFINDEX now.
bool route_present(const RouteRecord& r, int ifindex) {
    auto now = detail::routes_through(ifindex);
    return now && std::find(now->begin(), now->end(), r) != now->end();
}

RouteRecord remapped(RouteRecord r, int old_ifindex, int ifindex) {
    for (auto& nh : r.nexthops) {
        if (nh.ifindex == old_ifindex) nh.ifindex = ifindex;
    }
    return r;
}

}  // namespace

Status reconcile_addresses(const std::vector<AddressRecord>& saved, int ifindex,
                           const std::string& old_ifname, const std::string& ifname) {
    auto now = list_addresses(ifindex);
    if (!now) return now.error();
    for (int family : {AF_INET, AF_INET6}) {
        if (auto s = reconcile_family(family, saved, now.value(), ifindex, old_ifname, ifname);
            !s) {
            return s;
        }
    }
    return {};
}

bool same_route(const RouteRecord& a, const RouteRecord& b) {
    auto devices = [](const RouteRecord& r) {
        std::vector<int> d;
        for (const auto& nh : r.nexthops) d.push_back(nh.ifindex);
        std::sort(d.begin(), d.end());
        return d;
    };
    return a.family == b.family && a.table == b.table && a.dst == b.dst && a.dst_len == b.dst_len &&
           a.src == b.src && a.src_len == b.src_len && a.tos == b.tos && a.priority == b.priority &&
           devices(a) == devices(b);
}

RoutePlan plan_routes(const std::vector<RouteRecord>& saved, const std::vector<RouteRecord>& now) {
    RoutePlan plan;
    std::vector<bool> now_used(now.size(), false);
    for (const auto& s : saved) {
        // An exactly equal route first, then the same route in another version.
        size_t hit = now.size();
        for (size_t i = 0; i < now.size() && hit == now.size(); ++i) {
            if (!now_used[i] && now[i] == s) hit = i;
        }
        if (hit < now.size()) {
            now_used[hit] = true;
            plan.accept.push_back(s);
            continue;
        }
        for (size_t i = 0; i < now.size() && hit == now.size(); ++i) {
            if (!now_used[i] && same_route(now[i], s)) hit = i;
        }
        if (hit < now.size()) {
            now_used[hit] = true;
            plan.replace.emplace_back(now[hit], s);
            continue;
        }
        plan.add.push_back(s);
    }
    for (size_t i = 0; i < now.size(); ++i) {
        if (!now_used[i]) plan.remove.push_back(now[i]);
    }
    return plan;
}

Status reconcile_routes(const std::vector<RouteRecord>& saved_old, int old_ifindex, int ifindex) {
    std::vector<RouteRecord> saved;
    for (const auto& r : saved_old) saved.push_back(remapped(r, old_ifindex, ifindex));
    auto now = detail::routes_through(ifindex);
    if (!now) return now.error();
    RoutePlan plan = plan_routes(saved, now.value());
    for (const auto& r : plan.remove) {
        if (auto s = delete_route(r); !s) return s;
    }
    std::vector<const RouteRecord*> missing;
    for (const auto& [old, want] : plan.replace) {
        if (auto s = delete_route(old); !s) return s;
        missing.push_back(&want);
    }
    for (const auto& r : plan.add) missing.push_back(&r);
    // A route may need another one first (a gateway reached through a non-connected route):
    // repeat while a pass makes progress.
    Status last;
    while (!missing.empty()) {
        std::vector<const RouteRecord*> failed;
        for (const auto* r : missing) {
            bool existed = false;
            if (auto s = add_route(*r, &existed); !s) {
                // The kernel made it between our look and our add (IPv6 routes appear when
                // the link's carrier and DAD settle): equal is as good as added.
                if (existed && route_present(*r, ifindex)) continue;
                failed.push_back(r);
                last = s;
            }
        }
        if (failed.size() == missing.size()) return last;
        missing = std::move(failed);
    }
    return {};
}

Status restore_interface(const UndoLog& log, std::string& ifname,
                         const std::function<void(std::string_view)>& step,
                         std::vector<std::string>& warnings) {
    if (ifname != log.ifname && !log.ifname.empty()) {
        // The driver came back under another name: the saved one is the one routes and
        // scripts know. The kernel renames only a link that is down.
        if (auto s = set_link_up_netlink(ifname, false); !s) return s;
        if (auto s = rename_link(ifname, log.ifname); s) {
            ifname = log.ifname;
        } else {
            warnings.push_back(fmt::format("kept the name {}: {}", ifname, s.error().message));
        }
    }
    auto link = link_state(ifname);
    if (!link) return link.error();
    if (log.mac && link->mac != *log.mac) {
        if (auto s = set_link_mac(ifname, *log.mac); !s) return s;
        step("mac-restored");
    }
    if (log.mtu && link->mtu != *log.mtu) {
        if (auto s = set_link_mtu(ifname, *log.mtu); !s) return s;
        step("mtu-restored");
    }
    if (log.ipv6_disabled) {
        auto now = ipv6_disabled(ifname);
        if (!now) return now.error();
        if (now.value() != *log.ipv6_disabled) {
            if (auto s = set_ipv6_disabled(ifname, *log.ipv6_disabled); !s) return s;
        }
        step("ipv6-restored");
    }
    const bool want_up = log.flags && (*log.flags & IFF_UP);
    if (auto s = set_link_up_netlink(ifname, want_up); !s) return s;
    step("link-restored");
    if (auto s = reconcile_addresses(log.addresses, link->index, log.ifname, ifname); !s) return s;
    step("addresses-restored");
    // IPv6 installs an address's local route only when duplicate address detection ends:
    // the routes are compared after that.
    auto now = link_state(ifname);
    if (want_up && now && now->carrier && log.ipv6_disabled && !*log.ipv6_disabled) {
        if (auto s = wait_dad_done(link->index, 5000); !s) warnings.push_back(s.error().message);
    }
    if (auto s = reconcile_routes(log.routes, log.ifindex, link->index); !s) return s;
    step("routes-restored");
    return {};
}

}  // namespace shunt::ctl
