// pci.ids lookups and ethtool's hash-field letters: the text ioctl_ctl reads from
// /usr/share/misc/pci.ids and from shuntctl's command line (PCI addresses: tests/unit/pci).
#include "ioctl_ctl/ethtool.hpp"
#include "ioctl_ctl/pci_ids.hpp"

#include <gtest/gtest.h>

namespace shunt::ctl {
namespace {

TEST(PciIds, VendorAndDeviceNames) {
    const std::string ids = std::string(SHUNT_CTL_TEST_DATA) + "/pci.ids";
    PciNames n = pci_names(0x8086, 0x10fb, ids);
    EXPECT_EQ(n.vendor, "Intel Corporation");
    EXPECT_EQ(n.device, "82599ES 10-Gigabit SFI/SFP+ Network Connection");
    n = pci_names(0x1af4, 0x1041, ids);
    EXPECT_EQ(n.device, "Virtio 1.0 network device");
    n = pci_names(0x8086, 0xa01f, ids);  // a subsystem ID, not a device of 8086
    EXPECT_EQ(n.vendor, "Intel Corporation");
    EXPECT_EQ(n.device, "");
    n = pci_names(0x0002, 0x0001, ids);
    EXPECT_EQ(n.vendor, "");
    n = pci_names(0x8086, 0x10fb, "/nonexistent/pci.ids");
    EXPECT_EQ(n.vendor, "");
}

TEST(EthtoolText, HashLetters) {
    const uint64_t sdfn = RXH_IP_SRC | RXH_IP_DST | RXH_L4_B_0_1 | RXH_L4_B_2_3;
    EXPECT_EQ(rxh_letters(sdfn), "sdfn");
    EXPECT_EQ(parse_rxh_letters("nfds").value(), sdfn);
    EXPECT_EQ(parse_rxh_letters("sx").error().message,
              "hash field letter 'x': expected some of mvtsdfnr");
    EXPECT_EQ(flow_type_from_name("udp6"), static_cast<uint32_t>(UDP_V6_FLOW));
    EXPECT_EQ(flow_type_from_name("tcp5"), std::nullopt);
    EXPECT_EQ(flow_type_name(TCP_V4_FLOW), "tcp4");
}

}  // namespace
}  // namespace shunt::ctl
