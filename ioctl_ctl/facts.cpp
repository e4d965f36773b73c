#include "ioctl_ctl/facts.hpp"

#include "ioctl_ctl/ethtool.hpp"
#include "ioctl_ctl/link_nl.hpp"

#include <net/if.h>

#include <memory>

namespace shunt::ctl {

Result<InterfaceFacts> interface_facts(const std::string& ifname) {
    InterfaceFacts f;
    auto info = interface_info(ifname);
    if (!info) return info.error();
    f.info = std::move(info).value();
    auto link = link_state(ifname);
    if (!link) return link.error();
    f.kind = link->kind;
    f.operstate = link->operstate;
    f.carrier = link->carrier;
    // dummy, ifb and bridges have no ethtool driver information: their kind says enough.
    if (auto d = driver_info(ifname)) {
        f.driver = d->driver;
        f.bus_info = d->bus_info;
    } else {
        f.driver = f.kind;
    }
    f.pci = pci_address_of_interface(ifname);
    return f;
}

std::vector<std::string> interface_names() {
    std::vector<std::string> out;
    // struct if_nameindex shares its name with the function: spell the struct out.
    std::unique_ptr<struct if_nameindex, decltype(&if_freenameindex)> list(::if_nameindex(),
                                                                           &if_freenameindex);
    if (!list) return out;
    for (const struct if_nameindex* i = list.get(); i->if_index != 0; ++i) {
        out.emplace_back(i->if_name);
    }
    return out;
}

}  // namespace shunt::ctl
