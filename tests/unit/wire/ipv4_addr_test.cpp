#include "stack/wire/ipv4_addr.hpp"

#include <gtest/gtest.h>

#include <array>

namespace shunt::wire {
namespace {

TEST(Ipv4Addr, ParsesDottedQuads) {
    EXPECT_EQ(Ipv4Addr::parse("192.0.2.1"), Ipv4Addr{0xc0000201});
    EXPECT_EQ(Ipv4Addr::parse("0.0.0.0"), Ipv4Addr::any());
    EXPECT_EQ(Ipv4Addr::parse("255.255.255.255"), Ipv4Addr::broadcast());
    EXPECT_EQ(Ipv4Addr::parse("10.0.0.1"), Ipv4Addr::from_octets(10, 0, 0, 1));
    EXPECT_EQ(Ipv4Addr::parse("100.64.200.9")->to_string(), "100.64.200.9");
}

TEST(Ipv4Addr, RejectsMalformed) {
    for (const char* bad :
         {"",          "1",          "1.2.3",      "1.2.3.4.", "1.2.3.4.5", ".1.2.3",   "1..2.3",
          "256.0.0.1", "1.2.3.256",  "1000.1.1.1", " 1.2.3.4", "1.2.3.4 ",  "+1.2.3.4", "1.2.3.-4",
          "0x1.2.3.4", "1.2.3.4/24", "a.b.c.d",    "01.2.3.4", "1.2.3.00",  "010.0.0.1"}) {
        EXPECT_FALSE(Ipv4Addr::parse(bad).has_value()) << '"' << bad << '"';
    }
}

TEST(Ipv4Addr, LoadStoreAreBigEndian) {
    const std::array<uint8_t, 4> wire{198, 51, 100, 7};
    const auto a = Ipv4Addr::load(wire.data());
    EXPECT_EQ(a, Ipv4Addr::from_octets(198, 51, 100, 7));
    std::array<uint8_t, 4> out{};
    a.store(out.data());
    EXPECT_EQ(out, wire);
}

TEST(Ipv4Addr, Classes) {
    EXPECT_TRUE(Ipv4Addr::parse("224.0.0.1")->is_multicast());
    EXPECT_TRUE(Ipv4Addr::parse("239.255.255.255")->is_multicast());
    EXPECT_FALSE(Ipv4Addr::parse("240.0.0.1")->is_multicast());
    EXPECT_FALSE(Ipv4Addr::parse("223.255.255.255")->is_multicast());
    EXPECT_TRUE(Ipv4Addr::parse("127.1.2.3")->is_loopback());
    EXPECT_TRUE(Ipv4Addr::any().is_unspecified());
    EXPECT_TRUE(Ipv4Addr::broadcast().is_broadcast());
    EXPECT_FALSE(Ipv4Addr::parse("192.0.2.255")->is_broadcast());
}

TEST(Ipv4Cidr, ParsesAndDerives) {
    auto c = Ipv4Cidr::parse("192.0.2.77/24");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->addr, Ipv4Addr::from_octets(192, 0, 2, 77));
    EXPECT_EQ(c->prefix_len, 24);
    EXPECT_EQ(c->netmask(), 0xffffff00u);
    EXPECT_EQ(c->network(), Ipv4Addr::from_octets(192, 0, 2, 0));
    EXPECT_EQ(c->subnet_broadcast(), Ipv4Addr::from_octets(192, 0, 2, 255));
    EXPECT_TRUE(c->contains(Ipv4Addr::from_octets(192, 0, 2, 1)));
    EXPECT_FALSE(c->contains(Ipv4Addr::from_octets(192, 0, 3, 1)));
    EXPECT_EQ(c->to_string(), "192.0.2.77/24");

    auto odd = Ipv4Cidr::parse("198.51.100.130/25");
    ASSERT_TRUE(odd);
    EXPECT_EQ(odd->network(), Ipv4Addr::from_octets(198, 51, 100, 128));
    EXPECT_FALSE(odd->contains(Ipv4Addr::from_octets(198, 51, 100, 127)));
}

TEST(Ipv4Cidr, PrefixExtremes) {
    auto all = Ipv4Cidr::parse("0.0.0.0/0");
    ASSERT_TRUE(all);
    EXPECT_EQ(all->netmask(), 0u);
    EXPECT_TRUE(all->contains(Ipv4Addr::broadcast()));
    auto host = Ipv4Cidr::parse("192.0.2.1/32");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->netmask(), 0xffffffffu);
    EXPECT_TRUE(host->contains(Ipv4Addr::from_octets(192, 0, 2, 1)));
    EXPECT_FALSE(host->contains(Ipv4Addr::from_octets(192, 0, 2, 2)));
}

TEST(Ipv4Cidr, RejectsMalformed) {
    for (const char* bad :
         {"", "192.0.2.1", "192.0.2.1/", "192.0.2.1/33", "192.0.2.1/-1", "192.0.2.1/x",
          "192.0.2.1/24x", "/24", "192.0.2/24", "192.0.2.1//24", "192.0.2.1/24/8"}) {
        EXPECT_FALSE(Ipv4Cidr::parse(bad).has_value()) << '"' << bad << '"';
    }
}

}  // namespace
}  // namespace shunt::wire
