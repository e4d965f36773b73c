#include "ioctl_ctl/link_nl.hpp"

#include "ioctl_ctl/netlink.hpp"

#include <linux/if.h>

#include <cstring>

namespace shunt::ctl {
namespace {

std::string operstate_name(uint8_t state) {
    // Names and order of IF_OPER_* (linux/if.h), as ip-link(8) prints them.
    static constexpr const char* names[] = {"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN",
                                            "TESTING", "DORMANT",    "UP"};
    return state < std::size(names) ? names[state] : "UNKNOWN";
}

LinkState to_state(rtnl_link* link) {
    LinkState s;
    s.name = rtnl_link_get_name(link);
    s.index = rtnl_link_get_ifindex(link);
    if (const char* kind = rtnl_link_get_type(link)) s.kind = kind;
    s.flags = rtnl_link_get_flags(link);
    s.mtu = rtnl_link_get_mtu(link);
    if (nl_addr* a = rtnl_link_get_addr(link); a != nullptr && nl_addr_get_len(a) == 6) {
        std::memcpy(s.mac.bytes.data(), nl_addr_get_binary_addr(a), 6);
    }
    s.operstate = operstate_name(rtnl_link_get_operstate(link));
    s.carrier = rtnl_link_get_carrier(link) != 0;
    return s;
}

// Applies CHANGE to IFNAME's link; DESCRIBE says what was being changed, for the error.
template <typename Fill>
Status change_link(const std::string& ifname, const std::string& what, Fill fill) {
    auto sock = nl::route_socket();
    if (!sock) return sock.error();
    auto orig = nl::get_link(sock->get(), ifname);
    if (!orig) return orig.error();
    nl::Link change(rtnl_link_alloc());
    if (!change) return make_error("netlink: out of memory");
    fill(change.get());
    if (int err = rtnl_link_change(sock->get(), orig->get(), change.get(), 0); err < 0) {
        return make_error("interface {}: {}: {}", ifname, what, nl::error_text(err));
    }
    return {};
}

}  // namespace

Result<LinkState> link_state(const std::string& ifname) {
    auto sock = nl::route_socket();
    if (!sock) return sock.error();
    auto link = nl::get_link(sock->get(), ifname);
    if (!link) return link.error();
    return to_state(link->get());
}

Result<LinkState> link_state(int ifindex) {
    auto sock = nl::route_socket();
    if (!sock) return sock.error();
    auto link = nl::get_link(sock->get(), ifindex);
    if (!link) return link.error();
    return to_state(link->get());
}

Result<int> ifindex_of(const std::string& ifname) {
    auto s = link_state(ifname);
    if (!s) return s.error();
    return s->index;
}

Status set_link_up_netlink(const std::string& ifname, bool up) {
    return change_link(ifname, up ? "setting link up" : "setting link down", [up](rtnl_link* l) {
        if (up) {
            rtnl_link_set_flags(l, IFF_UP);
        } else {
            rtnl_link_unset_flags(l, IFF_UP);
        }
    });
}

Status set_link_mtu(const std::string& ifname, uint32_t mtu) {
    return change_link(ifname, fmt::format("setting MTU {}", mtu),
                       [mtu](rtnl_link* l) { rtnl_link_set_mtu(l, mtu); });
}

Status set_link_mac(const std::string& ifname, const MacAddr& mac) {
    nl::Addr addr(nl_addr_build(AF_LLC, mac.bytes.data(), mac.bytes.size()));
    if (!addr) return make_error("netlink: out of memory");
    return change_link(ifname, fmt::format("setting MAC {}", mac.to_string()),
                       [&addr](rtnl_link* l) { rtnl_link_set_addr(l, addr.get()); });
}

Status rename_link(const std::string& ifname, const std::string& new_name) {
    return change_link(ifname, fmt::format("renaming to {}", new_name),
                       [&new_name](rtnl_link* l) { rtnl_link_set_name(l, new_name.c_str()); });
}

}  // namespace shunt::ctl
