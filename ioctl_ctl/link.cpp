#include "ioctl_ctl/link.hpp"

#include "base/unique_fd.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace shunt::ctl {
namespace {

Result<UniqueFd> control_socket() {
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return make_error("socket(AF_INET, SOCK_DGRAM): {}", std::strerror(errno));
    return fd;
}

Result<ifreq> request_for(const std::string& ifname) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
        return make_error("interface name '{}' must be 1-{} characters", ifname, IFNAMSIZ - 1);
    }
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
    return ifr;
}

}  // namespace

bool InterfaceInfo::up() const {
    return (flags & IFF_UP) != 0;
}
bool InterfaceInfo::running() const {
    return (flags & IFF_RUNNING) != 0;
}

Result<InterfaceInfo> interface_info(const std::string& ifname) {
    auto sock = control_socket();
    if (!sock) return sock.error();
    auto req = request_for(ifname);
    if (!req) return req.error();
    ifreq ifr = req.value();
    InterfaceInfo info;
    info.name = ifname;
    if (::ioctl(sock->get(), SIOCGIFINDEX, &ifr) != 0) {
        return make_error("interface {}: {}", ifname,
                          errno == ENODEV ? "no such interface" : std::strerror(errno));
    }
    info.index = ifr.ifr_ifindex;
    if (::ioctl(sock->get(), SIOCGIFFLAGS, &ifr) != 0) {
        return make_error("interface {}: SIOCGIFFLAGS: {}", ifname, std::strerror(errno));
    }
    info.flags = static_cast<uint16_t>(ifr.ifr_flags);
    if (::ioctl(sock->get(), SIOCGIFMTU, &ifr) != 0) {
        return make_error("interface {}: SIOCGIFMTU: {}", ifname, std::strerror(errno));
    }
    info.mtu = ifr.ifr_mtu;
    if (::ioctl(sock->get(), SIOCGIFHWADDR, &ifr) != 0) {
        return make_error("interface {}: SIOCGIFHWADDR: {}", ifname, std::strerror(errno));
    }
    std::memcpy(info.mac.bytes.data(), ifr.ifr_hwaddr.sa_data, 6);
    return info;
}

Status set_link_up(const std::string& ifname, bool up) {
    auto sock = control_socket();
    if (!sock) return sock.error();
    auto req = request_for(ifname);
    if (!req) return req.error();
    ifreq ifr = req.value();
    if (::ioctl(sock->get(), SIOCGIFFLAGS, &ifr) != 0) {
        return make_error("interface {}: SIOCGIFFLAGS: {}", ifname,
                          errno == ENODEV ? "no such interface" : std::strerror(errno));
    }
    const short before = ifr.ifr_flags;
    ifr.ifr_flags = static_cast<short>(up ? (before | IFF_UP) : (before & ~IFF_UP));
    if (ifr.ifr_flags == before) return {};
    if (::ioctl(sock->get(), SIOCSIFFLAGS, &ifr) != 0) {
        return make_error("interface {}: setting link {}: {}", ifname, up ? "up" : "down",
                          std::strerror(errno));
    }
    return {};
}

}  // namespace shunt::ctl
