// Link state and link changes through rtnetlink (libnl-route-3): the netlink counterpart of
// link.hpp's ioctls, plus what only netlink reports (operstate, carrier, link kind).
#pragma once

#include "base/mac_addr.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <string>

namespace shunt::ctl {

struct LinkState {
    std::string name;
    int index = 0;
    std::string kind;    // IFLA_INFO_KIND ("veth", "dummy", "bridge"); empty for hardware NICs
    uint32_t flags = 0;  // IFF_*, including IFF_LOWER_UP
    uint32_t mtu = 0;
    MacAddr mac{};
    std::string operstate;  // RFC 2863 name as ip(8) prints it: UP, DOWN, UNKNOWN, ...
    bool carrier = false;
};

Result<LinkState> link_state(const std::string& ifname);
Result<LinkState> link_state(int ifindex);
Result<int> ifindex_of(const std::string& ifname);

// Sets or clears IFF_UP with RTM_NEWLINK, touching no other flag.
Status set_link_up_netlink(const std::string& ifname, bool up);
Status set_link_mtu(const std::string& ifname, uint32_t mtu);
Status set_link_mac(const std::string& ifname, const MacAddr& mac);
// The link must be down for the kernel to accept a new name.
Status rename_link(const std::string& ifname, const std::string& new_name);

}  // namespace shunt::ctl
