// RAII owners for libnl-3 objects and the route socket. Internal to ioctl_ctl: the public
// headers never expose libnl types, so applications need not include libnl.
#pragma once

#include "base/result.hpp"

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <memory>
#include <string>

namespace shunt::ctl::nl {

struct SockDeleter {
    void operator()(nl_sock* s) const { nl_socket_free(s); }  // closes the fd too
};
struct CacheDeleter {
    void operator()(nl_cache* c) const { nl_cache_free(c); }  // drops the cache's references
};
struct AddrDeleter {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};
template <typename T>
struct ObjectDeleter {
    void operator()(T* o) const { nl_object_put(reinterpret_cast<nl_object*>(o)); }
};

using Socket = std::unique_ptr<nl_sock, SockDeleter>;
using Cache = std::unique_ptr<nl_cache, CacheDeleter>;
using Addr = std::unique_ptr<nl_addr, AddrDeleter>;
using Link = std::unique_ptr<rtnl_link, ObjectDeleter<rtnl_link>>;
using Route = std::unique_ptr<rtnl_route, ObjectDeleter<rtnl_route>>;
using Address = std::unique_ptr<rtnl_addr, ObjectDeleter<rtnl_addr>>;

// A connected NETLINK_ROUTE socket in the caller's network namespace.
Result<Socket> route_socket();
// libnl's text for a (negative) NLE_* code.
std::string error_text(int nl_err);
// The kernel's current view of one link, by name or by index.
Result<Link> get_link(nl_sock* sock, const std::string& ifname);
Result<Link> get_link(nl_sock* sock, int ifindex);

// Text <-> nl_addr for IPv4/IPv6 with an explicit prefix length (inet_ntop/inet_pton, so
// the text is the canonical form ip(8) prints).
std::string addr_text(const nl_addr* a);
Result<Addr> parse_addr(int family, const std::string& text, int prefixlen);

}  // namespace shunt::ctl::nl
