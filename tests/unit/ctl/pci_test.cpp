// PCI addresses, pci.ids lookups and ethtool's hash-field letters: the text ioctl_ctl reads
// from sysfs, from /usr/share/misc/pci.ids and from shuntctl's command line.
#include "ioctl_ctl/pci.hpp"
#include "ioctl_ctl/ethtool.hpp"
#include "ioctl_ctl/pci_ids.hpp"

#include <gtest/gtest.h>

namespace shunt::ctl {
namespace {

TEST(PciAddress, ParsesLongAndShortForms) {
    auto a = PciAddress::parse("0000:03:00.1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->bus, 3);
    EXPECT_EQ(a->function, 1);
    EXPECT_EQ(a->to_string(), "0000:03:00.1");
    EXPECT_EQ(PciAddress::parse("af:1f.7")->to_string(), "0000:af:1f.7");
    EXPECT_EQ(PciAddress::parse("10000:00:00.0"), std::nullopt);
    for (const char* bad : {"", "eth0", "0000:03:00", "0000:03:20.0", "0000:03:00.8",
                            "0000-03:00.0", "0000:0g:00.0", "pci0000:00"}) {
        EXPECT_EQ(PciAddress::parse(bad), std::nullopt) << bad;
    }
}

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
