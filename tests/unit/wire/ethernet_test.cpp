#include "stack/wire/ethernet.hpp"

#include "golden_frames.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace shunt::wire {
namespace {

using namespace golden;

TEST(Ethernet, ParsesCapturedBroadcastFrame) {
    auto buf = copy_of(kArpRequest);
    auto v = EthernetView::check(buf);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.value.dst(), MacAddr::broadcast());
    EXPECT_EQ(v.value.src(), kMacA);
    EXPECT_EQ(v.value.ethertype(), ethertype::arp);
    EXPECT_EQ(v.value.payload().data(), buf.data() + 14);
    EXPECT_EQ(v.value.payload().size(), 28u);
    EXPECT_EQ(v.value.bytes().size(), 42u);

    auto r = EthernetRepr::parse(v.value);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, (EthernetRepr{kMacA, MacAddr::broadcast(), ethertype::arp}));
}

TEST(Ethernet, ParsesCapturedUnicastIpv4Frame) {
    auto buf = copy_of(kIcmpEchoReply);
    auto v = EthernetView::check(buf);
    ASSERT_TRUE(v.ok());
    auto r = EthernetRepr::parse(v.value);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.src, kMacB);
    EXPECT_EQ(r.value.dst, kMacA);
    EXPECT_EQ(r.value.ethertype, ethertype::ipv4);
    EXPECT_EQ(v.value.payload().size(), 84u);
}

TEST(Ethernet, EmitReproducesCapturedHeader) {
    std::vector<uint8_t> buf(kIcmpEchoRequest.size(), 0xee);
    EthernetView v{buf};
    EthernetRepr{kMacA, kMacB, ethertype::ipv4}.emit(v);
    EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + 14, kIcmpEchoRequest.begin()));
    EXPECT_EQ(buf[14], 0xee) << "emit must not touch the payload";
}

TEST(Ethernet, Setters) {
    std::vector<uint8_t> buf(14, 0);
    EthernetView v{buf};
    v.set_dst(kMacB);
    v.set_src(kMacA);
    v.set_ethertype(ethertype::vlan);
    EXPECT_EQ(v.dst(), kMacB);
    EXPECT_EQ(v.src(), kMacA);
    EXPECT_EQ(v.ethertype(), 0x8100);
    EXPECT_EQ(buf[12], 0x81);
    EXPECT_EQ(buf[13], 0x00);
    EXPECT_TRUE(v.payload().empty());
}

TEST(Ethernet, TruncatedBelowHeader) {
    auto buf = copy_of(kArpRequest);
    EXPECT_EQ(EthernetView::check(std::span{buf}.first(13)).error, Error::truncated);
    EXPECT_EQ(EthernetView::check({}).error, Error::truncated);
    EXPECT_TRUE(EthernetView::check(std::span{buf}.first(14)).ok());
    EXPECT_EQ(EthernetRepr::parse(EthernetView{}).error, Error::truncated);
}

TEST(Ethernet, GroupSourceAddressIsRejected) {
    auto buf = copy_of(kIcmpEchoRequest);
    EthernetView v{buf};
    v.set_src(MacAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}});
    EXPECT_EQ(EthernetRepr::parse(v).error, Error::bad_address);
    v.set_src(MacAddr::broadcast());
    EXPECT_EQ(EthernetRepr::parse(v).error, Error::bad_address);
}

}  // namespace
}  // namespace shunt::wire
