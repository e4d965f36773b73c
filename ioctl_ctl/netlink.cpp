#include "ioctl_ctl/netlink.hpp"

#include <arpa/inet.h>
#include <netlink/errno.h>

#include <cstring>

namespace shunt::ctl::nl {

Result<Socket> route_socket() {
    Socket sock(nl_socket_alloc());
    if (!sock) return make_error("netlink: out of memory allocating a socket");
    if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
        return make_error("netlink: connecting a NETLINK_ROUTE socket: {}", error_text(err));
    }
    return sock;
}

std::string error_text(int nl_err) {
    return nl_geterror(nl_err);
}

Result<Link> get_link(nl_sock* sock, const std::string& ifname) {
    rtnl_link* link = nullptr;
    if (int err = rtnl_link_get_kernel(sock, 0, ifname.c_str(), &link); err < 0) {
        return make_error(
            "interface {}: {}", ifname,
            err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND ? "no such interface" : error_text(err));
    }
    return Link(link);
}

Result<Link> get_link(nl_sock* sock, int ifindex) {
    rtnl_link* link = nullptr;
    if (int err = rtnl_link_get_kernel(sock, ifindex, nullptr, &link); err < 0) {
        return make_error(
            "interface index {}: {}", ifindex,
            err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND ? "no such interface" : error_text(err));
    }
    return Link(link);
}

std::string addr_text(const nl_addr* a) {
    if (a == nullptr) return {};
    const int family = nl_addr_get_family(a);
    if (family != AF_INET && family != AF_INET6) return {};
    const size_t need = family == AF_INET ? 4 : 16;
    if (nl_addr_get_len(a) != need) return {};
    char buf[INET6_ADDRSTRLEN] = {};
    if (::inet_ntop(family, nl_addr_get_binary_addr(a), buf, sizeof buf) == nullptr) return {};
    return buf;
}

Result<Addr> parse_addr(int family, const std::string& text, int prefixlen) {
    unsigned char bin[16] = {};
    if (::inet_pton(family, text.c_str(), bin) != 1) {
        return make_error("'{}' is not an {} address", text, family == AF_INET ? "IPv4" : "IPv6");
    }
    Addr a(nl_addr_build(family, bin, family == AF_INET ? 4 : 16));
    if (!a) return make_error("netlink: out of memory building an address");
    nl_addr_set_prefixlen(a.get(), prefixlen);
    return a;
}

}  // namespace shunt::ctl::nl
