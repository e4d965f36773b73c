// The undo log's key=value record syntax, and address/route records' own checks.
#include "ioctl_ctl/record_text.hpp"
#include "ioctl_ctl/addr.hpp"
#include "ioctl_ctl/route.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace shunt::ctl {
namespace {

TEST(RecordInteger, DecimalOrHexAndNothingElse) {
    EXPECT_EQ(parse_record_integer<uint64_t>("42"), 42u);
    EXPECT_EQ(parse_record_integer<uint64_t>("0x1f"), 31u);
    EXPECT_EQ(parse_record_integer<uint64_t>("18446744073709551615"), UINT64_MAX);
    EXPECT_EQ(parse_record_integer<int64_t>("-3"), -3);
    for (const char* bad : {"", "0x", "-3", "1x", " 1", "1 ", "0x-1", "18446744073709551616"}) {
        EXPECT_EQ(parse_record_integer<uint64_t>(bad), std::nullopt) << bad;
    }
}

TEST(Fields, ParsesAndChecks) {
    auto f = Fields::parse("a=1  b=0x10 empty= name=eth1:vip");
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->integer("a", 0, 10, 5).value(), 1);
    EXPECT_EQ(f->integer("b", 0, 100, 5).value(), 16);
    EXPECT_EQ(f->integer("missing", 0, 100, 5).value(), 5);
    EXPECT_EQ(f->text("empty"), "");
    EXPECT_TRUE(f->has("empty"));
    EXPECT_EQ(f->text("name"), "eth1:vip");
    EXPECT_EQ(f->integer("a", 2, 10, 5).error().message, "field a=1 is outside 2..10");
    EXPECT_EQ(f->integer("name", 0, 10, 5).error().message,
              "field name=eth1:vip is not an integer");
    EXPECT_EQ(f->required("x").error().message, "field 'x' is missing");
    EXPECT_EQ(Fields::parse("a=1 a=2").error().message, "field 'a' appears twice");
    EXPECT_EQ(Fields::parse("a=1 lonely").error().message, "field 'lonely' is not key=value");
    EXPECT_EQ(Fields::parse("=1").error().message, "field '=1' is not key=value");
}

TEST(Records, AddressKeyIgnoresLifetimesAndFlags) {
    AddressRecord a;
    a.family = AF_INET6;
    a.local = "2001:db8::1";
    a.prefixlen = 64;
    AddressRecord b = a;
    b.valid_lft = 10;
    b.flags = 0x40;
    EXPECT_EQ(a.key(), b.key());
    b.prefixlen = 56;
    EXPECT_NE(a.key(), b.key());
}

TEST(Records, RouteRejectsBadFields) {
    EXPECT_EQ(RouteRecord::parse("family=inet4 table=1 type=1 dst=0.0.0.0/0").error().message,
              "route family 'inet4': expected inet or inet6");
    EXPECT_EQ(RouteRecord::parse("family=inet type=1 dst=0.0.0.0/0").error().message,
              "field 'table' is missing");
    EXPECT_EQ(RouteRecord::parse("family=inet table=254 type=1 dst=10.0.0.0/33").error().message,
              "prefix length '33' is not a number up to 32");
    EXPECT_EQ(
        RouteRecord::parse("family=inet table=254 type=1 dst=0.0.0.0/0 nh=1,2,3").error().message,
        "nexthop '1,2,3': expected IFINDEX,GW,WEIGHT,FLAGS");
    auto ok = RouteRecord::parse("family=inet6 table=254 type=1 dst=::/0 nh=2,fe80::1,0,0x0");
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_TRUE(ok->is_default());
    EXPECT_TRUE(ok->uses(2));
    EXPECT_FALSE(ok->uses(3));
}

}  // namespace
}  // namespace shunt::ctl
