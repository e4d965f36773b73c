// PciAddress: both spellings in, the long form out, order and hashing.
#include "pci/address.hpp"

#include <gtest/gtest.h>

#include <unordered_set>

namespace shunt::pci {
namespace {

TEST(PciAddress, ParsesLongAndShortForms) {
    auto a = PciAddress::parse("0000:03:00.1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->domain, 0);
    EXPECT_EQ(a->bus, 3);
    EXPECT_EQ(a->device, 0);
    EXPECT_EQ(a->function, 1);
    EXPECT_EQ(a->to_string(), "0000:03:00.1");
    EXPECT_EQ(PciAddress::parse("af:1f.7")->to_string(), "0000:af:1f.7");
    EXPECT_EQ(PciAddress::parse("ABCD:EF:1F.7")->to_string(), "abcd:ef:1f.7");
    auto d = PciAddress::parse("10de:00:02.0");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->domain, 0x10de);
}

TEST(PciAddress, RejectsEverythingElse) {
    for (const char* bad :
         {"", "eth0", "0000:03:00", "0000:03:20.0", "0000:03:00.8", "0000-03:00.0", "0000:0g:00.0",
          "pci0000:00", "10000:00:00.0", "000:03:00.0", "0000:03:00.0 ", " 03:00.0", "3:00.0",
          "03:0.0", "+3:00.0", "0000:03.00:0", "0x03:00.0"}) {
        EXPECT_EQ(PciAddress::parse(bad), std::nullopt) << bad;
    }
}

TEST(PciAddress, OrdersByDomainBusDeviceFunction) {
    const auto a = *PciAddress::parse("0000:03:00.1");
    const auto b = *PciAddress::parse("0000:03:01.0");
    const auto c = *PciAddress::parse("0001:00:00.0");
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    EXPECT_EQ(a, *PciAddress::parse("03:00.1"));
    EXPECT_NE(a, b);
}

TEST(PciAddress, HashesDistinctAddressesApart) {
    std::unordered_set<PciAddress> set;
    for (const char* s : {"0000:03:00.0", "0000:03:00.1", "0000:03:01.0", "0000:04:00.0",
                          "0001:03:00.0", "03:00.0"}) {
        set.insert(*PciAddress::parse(s));
    }
    EXPECT_EQ(set.size(), 5u);  // "03:00.0" is "0000:03:00.0"
    EXPECT_EQ(set.count(*PciAddress::parse("0000:03:01.0")), 1u);
    EXPECT_NE(std::hash<PciAddress>{}(*PciAddress::parse("0000:03:00.1")),
              std::hash<PciAddress>{}(*PciAddress::parse("0000:03:01.0")));
}

}  // namespace
}  // namespace shunt::pci
