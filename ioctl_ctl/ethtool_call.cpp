#include "ioctl_ctl/ethtool_call.hpp"

#include "base/unique_fd.hpp"
#include "ioctl_ctl/ethtool.hpp"
#include "ioctl_ctl/link_nl.hpp"

#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace shunt::ctl::detail {
namespace {

// dummy and ifb have no ethtool driver information: their link kind names them instead.
std::string driver_name(const std::string& ifname) {
    if (auto info = driver_info(ifname); info && !info->driver.empty()) return info->driver;
    if (auto link = link_state(ifname); link && !link->kind.empty()) return link->kind;
    return "the driver";
}

}  // namespace

int ethtool_ioctl(const std::string& ifname, void* data) {
    if (ifname.empty() || ifname.size() >= IFNAMSIZ) return ENODEV;
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock.valid()) return errno;
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());
    ifr.ifr_data = static_cast<char*>(data);
    return ::ioctl(sock.get(), SIOCETHTOOL, &ifr) == 0 ? 0 : errno;
}

Error ethtool_error(const std::string& ifname, int err, const std::string& what) {
    switch (err) {
        case EOPNOTSUPP:
            return make_error("{} on {} does not support {}", driver_name(ifname), ifname, what);
        case ENODEV:
            return make_error("interface {}: no such interface", ifname);
        case EPERM:
        case EACCES:
            return make_error("{} on {}: permission denied (needs root or CAP_NET_ADMIN)", what,
                              ifname);
        default:
            return make_error("{} on {}: {}", what, ifname, std::strerror(err));
    }
}

}  // namespace shunt::ctl::detail
