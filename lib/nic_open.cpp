#include "lib/nic_open.hpp"

#include "base/unique_fd.hpp"
#include "driver/tap/tap_nic.hpp"
#include "pci/address.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace shunt::lib {

namespace {

// The kernel's side of a TAP must be up for it to pass us frames. One SIOCSIFFLAGS ioctl
// (netdevice(7)) rather than netlink: the library then needs no libnl.
Status set_link_up(const std::string& name) {
    if (name.size() >= IFNAMSIZ) return make_error("interface name '{}' is too long", name);
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s.valid()) return make_error("socket(AF_INET): {}", std::strerror(errno));
    ifreq req{};
    std::memcpy(req.ifr_name, name.c_str(), name.size());
    if (::ioctl(s.get(), SIOCGIFFLAGS, &req) < 0) {
        return make_error("reading the flags of {}: {}", name, std::strerror(errno));
    }
    if ((req.ifr_flags & IFF_UP) != 0) return {};
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
    if (::ioctl(s.get(), SIOCSIFFLAGS, &req) < 0) {
        return make_error("setting {} up: {}", name, std::strerror(errno));
    }
    return {};
}

}  // namespace

Result<std::unique_ptr<Nic>> open_nic_spec(const std::string& spec, const NicSpecOptions& options) {
    const auto colon = spec.find(':');
    const std::string kind = colon == std::string::npos ? spec : spec.substr(0, colon);
    const std::string arg = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
    if (kind == "tap" && !arg.empty()) {
        auto tap = TapNic::open(TapConfig{arg, options.mac, options.mtu, options.pool_buffers});
        if (!tap) return make_error("nic {}: {}", spec, tap.error().message);
        if (auto up = set_link_up(arg); !up)
            return make_error("nic {}: {}", spec, up.error().message);
        return std::unique_ptr<Nic>(std::move(tap).value());
    }
    if (kind == "pci" && !arg.empty()) {
        if (!pci::PciAddress::parse(arg)) {
            return make_error("nic {}: '{}' is not a PCI address (expected DDDD:BB:DD.F)", spec,
                              arg);
        }
        auto nic = open_pci_nic(arg, options.pci);
        if (!nic) return make_error("nic {}: {}", spec, nic.error().message);
        return std::move(nic).value();
    }
    return make_error("nic '{}': expected tap:NAME or pci:DDDD:BB:DD.F", spec);
}

}  // namespace shunt::lib
