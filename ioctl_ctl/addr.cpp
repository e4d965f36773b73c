#include "ioctl_ctl/addr.hpp"

#include "ioctl_ctl/netlink.hpp"
#include "ioctl_ctl/record_text.hpp"

#include <linux/if_addr.h>
#include <netlink/errno.h>

#include <chrono>
#include <thread>

namespace shunt::ctl {
namespace {

// Flags RTM_NEWADDR accepts from user space; the others (secondary, tentative, permanent,
// deprecated, dadfailed) are kernel state that follows from the address and its lifetimes.
constexpr uint32_t kSettableFlags = IFA_F_NODAD | IFA_F_OPTIMISTIC | IFA_F_HOMEADDRESS |
                                    IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN;

const char* family_name(int family) {
    return family == AF_INET ? "inet" : "inet6";
}

AddressRecord to_record(rtnl_addr* a) {
    AddressRecord r;
    r.family = rtnl_addr_get_family(a);
    r.local = nl::addr_text(rtnl_addr_get_local(a));
    r.prefixlen = rtnl_addr_get_prefixlen(a);
    r.peer = nl::addr_text(rtnl_addr_get_peer(a));
    r.broadcast = nl::addr_text(rtnl_addr_get_broadcast(a));
    if (const char* label = rtnl_addr_get_label(a); label != nullptr && r.family == AF_INET) {
        r.label = label;
    }
    r.scope = rtnl_addr_get_scope(a);
    r.flags = rtnl_addr_get_flags(a);
    r.valid_lft = rtnl_addr_get_valid_lifetime(a);
    r.preferred_lft = rtnl_addr_get_preferred_lifetime(a);
    return r;
}

Result<nl::Address> to_object(const AddressRecord& r, int ifindex, const std::string& label) {
    nl::Address a(rtnl_addr_alloc());
    if (!a) return make_error("netlink: out of memory");
    rtnl_addr_set_ifindex(a.get(), ifindex);
    rtnl_addr_set_family(a.get(), r.family);
    auto local = nl::parse_addr(r.family, r.local, r.prefixlen);
    if (!local) return local.error();
    if (int err = rtnl_addr_set_local(a.get(), local->get()); err < 0) {
        return make_error("address {}: {}", r.local, nl::error_text(err));
    }
    rtnl_addr_set_prefixlen(a.get(), r.prefixlen);
    if (!r.peer.empty()) {
        auto peer = nl::parse_addr(r.family, r.peer, r.prefixlen);
        if (!peer) return peer.error();
        rtnl_addr_set_peer(a.get(), peer->get());
    }
    if (!r.broadcast.empty()) {
        auto brd = nl::parse_addr(r.family, r.broadcast, 32);
        if (!brd) return brd.error();
        rtnl_addr_set_broadcast(a.get(), brd->get());
    }
    if (!label.empty()) rtnl_addr_set_label(a.get(), label.c_str());
    rtnl_addr_set_scope(a.get(), r.scope);
    return a;
}

Result<nl::Cache> address_cache(nl_sock* sock) {
    nl_cache* cache = nullptr;
    if (int err = rtnl_addr_alloc_cache(sock, &cache); err < 0) {
        return make_error("netlink: dumping addresses: {}", nl::error_text(err));
    }
    return nl::Cache(cache);
}

}  // namespace

std::string AddressRecord::key() const {
    return fmt::format("{} {}/{} peer {}", family_name(family), local, prefixlen, peer);
}

std::string AddressRecord::to_text() const {
    FieldWriter w;
    w.add("family", family_name(family)).add("local", local).add("prefixlen", prefixlen);
    if (!peer.empty()) w.add("peer", peer);
    if (!broadcast.empty()) w.add("broadcast", broadcast);
    if (!label.empty()) w.add("label", label);
    w.add("scope", scope).add_hex("flags", flags);
    w.add("valid", valid_lft).add("preferred", preferred_lft);
    return w.str();
}

Result<AddressRecord> AddressRecord::parse(std::string_view text) {
    auto f = Fields::parse(text);
    if (!f) return f.error();
    AddressRecord r;
    const std::string fam = f->text("family");
    if (fam != "inet" && fam != "inet6") {
        return make_error("address family '{}': expected inet or inet6", fam);
    }
    r.family = fam == "inet" ? AF_INET : AF_INET6;
    auto local = f->required("local");
    if (!local) return local.error();
    r.local = local.value();
    auto plen = f->required_integer("prefixlen", 0, r.family == AF_INET ? 32 : 128);
    auto scope = f->integer("scope", 0, 255, 0);
    auto flags = f->integer("flags", 0, UINT32_MAX, 0);
    auto valid = f->integer("valid", 0, UINT32_MAX, UINT32_MAX);
    auto pref = f->integer("preferred", 0, UINT32_MAX, UINT32_MAX);
    for (const auto* v : {&plen, &scope, &flags, &valid, &pref}) {
        if (!*v) return v->error();
    }
    r.prefixlen = static_cast<int>(plen.value());
    r.scope = static_cast<int>(scope.value());
    r.flags = static_cast<uint32_t>(flags.value());
    r.valid_lft = static_cast<uint32_t>(valid.value());
    r.preferred_lft = static_cast<uint32_t>(pref.value());
    r.peer = f->text("peer");
    r.broadcast = f->text("broadcast");
    r.label = f->text("label");
    for (const std::string* a : {&r.local, &r.peer, &r.broadcast}) {
        if (a->empty()) continue;
        if (auto ok = nl::parse_addr(r.family, *a, 0); !ok) return ok.error();
    }
    return r;
}

Result<std::vector<AddressRecord>> list_addresses(int ifindex) {
    auto sock = nl::route_socket();
    if (!sock) return sock.error();
    auto cache = address_cache(sock->get());
    if (!cache) return cache.error();
    std::vector<AddressRecord> out;
    for (nl_object* o = nl_cache_get_first(cache->get()); o != nullptr; o = nl_cache_get_next(o)) {
        auto* a = reinterpret_cast<rtnl_addr*>(o);
        if (rtnl_addr_get_ifindex(a) != ifindex) continue;
        const int family = rtnl_addr_get_family(a);
        if (family != AF_INET && family != AF_INET6) continue;
        out.push_back(to_record(a));
    }
    return out;
}

Status add_address(const AddressRecord& r, int ifindex, const std::string& label, bool* existed) {
    auto a = to_object(r, ifindex, r.family == AF_INET ? label : std::string());
    if (!a) return a.error();
    rtnl_addr_set_flags(a->get(), r.flags & kSettableFlags);
    rtnl_addr_set_valid_lifetime(a->get(), r.valid_lft);
    rtnl_addr_set_preferred_lifetime(a->get(), r.preferred_lft);
    auto sock = nl::route_socket();
    if (!sock) return sock.error();
    if (int err = rtnl_addr_add(sock->get(), a->get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
        if (existed != nullptr) *existed = err == -NLE_EXIST;
        return make_error("adding address {}/{}: {}", r.local, r.prefixlen, nl::error_text(err));
    }
    return {};
}

Status delete_address(const AddressRecord& r, int ifindex) {
    auto a = to_object(r, ifindex, {});
    if (!a) return a.error();
    auto sock = nl::route_socket();
    if (!sock) return sock.error();
    const int err = rtnl_addr_delete(sock->get(), a->get(), 0);
    if (err < 0 && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND) {
        return make_error("removing address {}/{}: {}", r.local, r.prefixlen, nl::error_text(err));
    }
    return {};
}

Status wait_dad_done(int ifindex, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        auto addrs = list_addresses(ifindex);
        if (!addrs) return addrs.error();
        std::string pending;
        for (const auto& a : addrs.value()) {
            if ((a.flags & IFA_F_TENTATIVE) && !(a.flags & IFA_F_DADFAILED)) pending = a.local;
        }
        if (pending.empty()) return {};
        if (std::chrono::steady_clock::now() >= deadline) {
            return make_error(
                "address {} still tentative (duplicate address detection) after {} ms", pending,
                timeout_ms);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace shunt::ctl
