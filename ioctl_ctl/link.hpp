// Interface facts and link state through the classic socket ioctls (netdevice(7)).
#pragma once

#include "base/mac_addr.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <string>

namespace shunt::ctl {

struct InterfaceInfo {
    std::string name;
    int index = 0;
    uint32_t flags = 0;  // IFF_* as SIOCGIFFLAGS reports them
    MacAddr mac{};
    int mtu = 0;
    bool up() const;
    bool running() const;
};

Result<InterfaceInfo> interface_info(const std::string& ifname);
// Sets or clears IFF_UP (SIOCGIFFLAGS, then SIOCSIFFLAGS with only that bit changed).
Status set_link_up(const std::string& ifname, bool up);

}  // namespace shunt::ctl
