#include "ioctl_ctl/route.hpp"

#include "ioctl_ctl/netlink.hpp"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/route/nexthop.h>

namespace shunt::ctl {
namespace {

std::string text_or_zero(const nl_addr* a, int family) {
    std::string t = nl::addr_text(a);
    if (!t.empty()) return t;
    return family == AF_INET ? "0.0.0.0" : "::";
}

NextHopRecord to_nexthop(rtnl_nexthop* nh) {
    NextHopRecord n;
    n.ifindex = rtnl_route_nh_get_ifindex(nh);
    n.gateway = nl::addr_text(rtnl_route_nh_get_gateway(nh));
    if (n.gateway.empty()) n.gateway = nl::addr_text(rtnl_route_nh_get_via(nh));
    n.weight = rtnl_route_nh_get_weight(nh);
    n.flags = rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK;
    return n;
}

RouteRecord to_record(rtnl_route* rt) {
    RouteRecord r;
    r.family = rtnl_route_get_family(rt);
    r.table = rtnl_route_get_table(rt);
    r.type = rtnl_route_get_type(rt);
    r.protocol = rtnl_route_get_protocol(rt);
    r.scope = rtnl_route_get_scope(rt);
    r.tos = rtnl_route_get_tos(rt);
    r.priority = rtnl_route_get_priority(rt);
    r.flags = rtnl_route_get_flags(rt) & RTNH_F_ONLINK;
    nl_addr* dst = rtnl_route_get_dst(rt);
    r.dst_len = dst != nullptr ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0;
    r.dst = text_or_zero(dst, r.family);
    if (nl_addr* src = rtnl_route_get_src(rt); src != nullptr && nl_addr_get_prefixlen(src) > 0) {
        r.src = nl::addr_text(src);
        r.src_len = static_cast<int>(nl_addr_get_prefixlen(src));
    }
    r.pref_src = nl::addr_text(rtnl_route_get_pref_src(rt));
    r.iif = rtnl_route_get_iif(rt);
    for (int m = 1; m <= RTAX_MAX; ++m) {
        uint32_t v = 0;
        if (rtnl_route_get_metric(rt, m, &v) == 0) r.metrics.emplace_back(m, v);
    }
    const int n = rtnl_route_get_nnexthops(rt);
    for (int i = 0; i < n; ++i) r.nexthops.push_back(to_nexthop(rtnl_route_nexthop_n(rt, i)));
    return r;
}

Status set_nexthops(rtnl_route* rt, const RouteRecord& r) {
    for (const auto& n : r.nexthops) {
        rtnl_nexthop* nh = rtnl_route_nh_alloc();
        if (nh == nullptr) return make_error("netlink: out of memory");
        // The route owns NH from here on (rtnl_route_add_nexthop takes it).
        rtnl_route_add_nexthop(rt, nh);
        rtnl_route_nh_set_ifindex(nh, n.ifindex);
        rtnl_route_nh_set_weight(nh, n.weight);
        if (n.flags != 0) rtnl_route_nh_set_flags(nh, n.flags);
        if (n.gateway.empty()) continue;
        const int gw_family = n.gateway.find(':') != std::string::npos ? AF_INET6 : AF_INET;
        auto gw = nl::parse_addr(gw_family, n.gateway, gw_family == AF_INET ? 32 : 128);
        if (!gw) return gw.error();
        if (gw_family == r.family) {
            rtnl_route_nh_set_gateway(nh, gw->get());
        } else if (int err = rtnl_route_nh_set_via(nh, gw->get()); err < 0) {
            return make_error("route via {}: {}", n.gateway, nl::error_text(err));
        }
    }
    return {};
}

Result<nl::Route> to_object(const RouteRecord& r) {
    nl::Route rt(rtnl_route_alloc());
    if (!rt) return make_error("netlink: out of memory");
    rtnl_route_set_family(rt.get(), static_cast<uint8_t>(r.family));
    rtnl_route_set_table(rt.get(), r.table);
    rtnl_route_set_type(rt.get(), r.type);
    rtnl_route_set_protocol(rt.get(), r.protocol);
    rtnl_route_set_scope(rt.get(), r.scope);
    rtnl_route_set_tos(rt.get(), r.tos);
    rtnl_route_set_priority(rt.get(), r.priority);
    if (r.flags != 0) rtnl_route_set_flags(rt.get(), r.flags);
    // A default route has no RTA_DST: a zero-length address with prefix 0 says so to libnl.
    nl::Addr dst = r.dst_len == 0 ? nl::Addr(nl_addr_build(r.family, nullptr, 0)) : nullptr;
    if (r.dst_len != 0) {
        auto d = nl::parse_addr(r.family, r.dst, r.dst_len);
        if (!d) return d.error();
        dst = std::move(d).value();
    }
    if (!dst) return make_error("netlink: out of memory");
    nl_addr_set_prefixlen(dst.get(), r.dst_len);
    if (int err = rtnl_route_set_dst(rt.get(), dst.get()); err < 0) {
        return make_error("route {}/{}: {}", r.dst, r.dst_len, nl::error_text(err));
    }
    if (!r.src.empty()) {
        auto s = nl::parse_addr(r.family, r.src, r.src_len);
        if (!s) return s.error();
        rtnl_route_set_src(rt.get(), s->get());
    }
    if (!r.pref_src.empty()) {
        auto s = nl::parse_addr(r.family, r.pref_src, r.family == AF_INET ? 32 : 128);
        if (!s) return s.error();
        rtnl_route_set_pref_src(rt.get(), s->get());
    }
    if (r.iif != 0) rtnl_route_set_iif(rt.get(), r.iif);
    for (const auto& [m, v] : r.metrics) rtnl_route_set_metric(rt.get(), m, v);
    if (auto s = set_nexthops(rt.get(), r); !s) return s.error();
    return rt;
}

}  // namespace

bool RouteRecord::uses(int ifindex) const {
    for (const auto& n : nexthops) {
        if (n.ifindex == ifindex) return true;
    }
    return false;
}

namespace {

// NL_CB_VALID for the route dump: one RTM_NEWROUTE message -> one record.
int on_route_message(nl_msg* msg, void* arg) {
    auto* out = static_cast<std::vector<RouteRecord>*>(arg);
    rtnl_route* raw = nullptr;
    if (rtnl_route_parse(nlmsg_hdr(msg), &raw) < 0 || raw == nullptr) return NL_SKIP;
    nl::Route rt(raw);
    const int family = rtnl_route_get_family(raw);
    // Cached clones (PMTU exceptions, redirects) are kernel state, not configuration.
    if ((family == AF_INET || family == AF_INET6) && !(rtnl_route_get_flags(raw) & RTM_F_CLONED)) {
        out->push_back(to_record(raw));
    }
    return NL_OK;
}

}  // namespace

Result<std::vector<RouteRecord>> list_routes() {
    // A plain RTM_GETROUTE dump parsed message by message, NOT rtnl_route_alloc_cache: libnl's
    // route cache keys an object by (family, tos, table, dst, priority) and merges or drops
    // IPv6 routes that share that key on different interfaces (every interface's fe80::/64 in
    // main and ff00::/8 in local, metric 256). Which one survives depends on the dump order,
    // so an interface's routes were sometimes missing from the undo log and sometimes from
    // the comparison on restore, which then re-added a route the kernel already had
    // ("adding route ff00::/8 (table 255): Object exists", on every later attempt too).
    auto sock = nl::route_socket();
    if (!sock) return sock.error();
    rtmsg req{};
    req.rtm_family = AF_UNSPEC;
    if (int err = nl_send_simple(sock->get(), RTM_GETROUTE, NLM_F_DUMP, &req, sizeof req);
        err < 0) {
        return make_error("netlink: dumping routes: {}", nl::error_text(err));
    }
    std::vector<RouteRecord> out;
    if (int err =
            nl_socket_modify_cb(sock->get(), NL_CB_VALID, NL_CB_CUSTOM, on_route_message, &out);
        err < 0) {
        return make_error("netlink: dumping routes: {}", nl::error_text(err));
    }
    if (int err = nl_recvmsgs_default(sock->get()); err < 0) {
        return make_error("netlink: dumping routes: {}", nl::error_text(err));
    }
    return out;
}

Status add_route(const RouteRecord& r, bool* existed) {
    auto rt = to_object(r);
    if (!rt) return rt.error();
    auto sock = nl::route_socket();
    if (!sock) return sock.error();
    // NLM_F_CREATE without NLM_F_EXCL: with EXCL, IPv6 refuses a route whose prefix and
    // metric match a route of ANY interface in the table (fib6_add_rt2node), e.g. another
    // interface's ff00::/8. An identical route on this interface is still EEXIST.
    if (int err = rtnl_route_add(sock->get(), rt->get(), 0); err < 0) {
        if (existed != nullptr) *existed = err == -NLE_EXIST;
        return make_error("adding route {}/{} (table {}): {}", r.dst, r.dst_len, r.table,
                          nl::error_text(err));
    }
    return {};
}

Status delete_route(const RouteRecord& r) {
    auto rt = to_object(r);
    if (!rt) return rt.error();
    auto sock = nl::route_socket();
    if (!sock) return sock.error();
    const int err = rtnl_route_delete(sock->get(), rt->get(), 0);
    if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV) {
        return make_error("removing route {}/{} (table {}): {}", r.dst, r.dst_len, r.table,
                          nl::error_text(err));
    }
    return {};
}

Result<std::optional<int>> route_lookup_oif(const std::string& dst) {
    const int family = dst.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    auto addr = nl::parse_addr(family, dst, family == AF_INET ? 32 : 128);
    if (!addr) return addr.error();
    auto sock = nl::route_socket();
    if (!sock) return sock.error();
    rtnl_route* raw = nullptr;
    if (int err = rtnl_route_lookup(sock->get(), addr->get(), &raw); err < 0) {
        // No route to the destination is an answer, not a failure.
        return std::optional<int>();
    }
    nl::Route found(raw);
    if (rtnl_route_get_nnexthops(raw) == 0) return std::optional<int>();
    return std::optional<int>(rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(raw, 0)));
}

}  // namespace shunt::ctl
