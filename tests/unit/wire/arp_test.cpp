#include "stack/wire/arp.hpp"

#include "golden_frames.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace shunt::wire {
namespace {

using namespace golden;

std::span<uint8_t> arp_part(std::vector<uint8_t>& frame) {
    return std::span{frame}.subspan(14);
}

TEST(Arp, ParsesCapturedRequest) {
    auto buf = copy_of(kArpRequest);
    auto v = ArpView::check(arp_part(buf));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.value.hardware_type(), 1);
    EXPECT_EQ(v.value.protocol_type(), 0x0800);
    EXPECT_EQ(v.value.hardware_len(), 6);
    EXPECT_EQ(v.value.protocol_len(), 4);
    EXPECT_EQ(v.value.operation(), 1);
    EXPECT_EQ(v.value.sender_mac(), kMacA);
    EXPECT_EQ(v.value.sender_ip(), kIpA);
    EXPECT_EQ(v.value.target_mac(), MacAddr{});
    EXPECT_EQ(v.value.target_ip(), kIpB);

    auto r = ArpRepr::parse(v.value);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, (ArpRepr{ArpOp::request, kMacA, kIpA, MacAddr{}, kIpB}));
}

TEST(Arp, ParsesCapturedReply) {
    auto buf = copy_of(kArpReply);
    auto v = ArpView::check(arp_part(buf));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.value.operation(), 2);
    auto r = ArpRepr::parse(v.value);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, (ArpRepr{ArpOp::reply, kMacB, kIpB, kMacA, kIpA}));
}

TEST(Arp, EmitReproducesCapturedFrames) {
    std::vector<uint8_t> buf(42, 0xee);
    EthernetView eth{buf};
    EthernetRepr{kMacA, MacAddr::broadcast(), ethertype::arp}.emit(eth);
    ArpView arp{eth.payload()};
    ArpRepr{ArpOp::request, kMacA, kIpA, MacAddr{}, kIpB}.emit(arp);
    EXPECT_EQ(buf, copy_of(kArpRequest));

    std::fill(buf.begin(), buf.end(), 0xee);
    EthernetRepr{kMacB, kMacA, ethertype::arp}.emit(eth);
    ArpRepr{ArpOp::reply, kMacB, kIpB, kMacA, kIpA}.emit(arp);
    EXPECT_EQ(buf, copy_of(kArpReply));
}

TEST(Arp, AcceptsEthernetPaddingAndProbes) {
    // Real NICs pad ARP to the 60-byte minimum frame: 46 bytes after the header.
    auto buf = copy_of(kArpRequest);
    buf.resize(60, 0);
    auto v = ArpView::check(arp_part(buf));
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(ArpRepr::parse(v.value).ok());
    // RFC 5227 probe: sender IP 0.0.0.0.
    v.value.set_sender_ip(Ipv4Addr::any());
    auto r = ArpRepr::parse(v.value);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value.sender_ip.is_unspecified());
}

TEST(Arp, Truncated) {
    auto buf = copy_of(kArpRequest);
    EXPECT_EQ(ArpView::check(arp_part(buf).first(27)).error, Error::truncated);
    EXPECT_TRUE(ArpView::check(arp_part(buf).first(28)).ok());
    EXPECT_EQ(ArpRepr::parse(ArpView{}).error, Error::truncated);
}

// Each rejection in ArpRepr::parse, starting from a valid captured request.
TEST(Arp, ParseErrors) {
    auto fresh = [] { return copy_of(kArpRequest); };
    struct Case {
        const char* what;
        void (*mutate)(ArpView&);
        Error want;
    };
    const Case cases[] = {
        {"htype 6 (IEEE 802)", [](ArpView& v) { v.set_hardware_type(6); }, Error::bad_hardware},
        {"hlen 8", [](ArpView& v) { v.set_hardware_len(8); }, Error::bad_hardware},
        {"ptype IPv6", [](ArpView& v) { v.set_protocol_type(ethertype::ipv6); },
         Error::bad_protocol},
        {"plen 16", [](ArpView& v) { v.set_protocol_len(16); }, Error::bad_protocol},
        {"op 0", [](ArpView& v) { v.set_operation(0); }, Error::bad_operation},
        {"op 3 (RARP)", [](ArpView& v) { v.set_operation(3); }, Error::bad_operation},
        {"multicast sender MAC",
         [](ArpView& v) {
             v.set_sender_mac(MacAddr{{0x01, 0, 0x5e, 0, 0, 1}});
         },
         Error::bad_address},
        {"broadcast sender MAC", [](ArpView& v) { v.set_sender_mac(MacAddr::broadcast()); },
         Error::bad_address},
        {"broadcast sender IP", [](ArpView& v) { v.set_sender_ip(Ipv4Addr::broadcast()); },
         Error::bad_address},
        {"multicast target IP",
         [](ArpView& v) { v.set_target_ip(Ipv4Addr::from_octets(224, 0, 0, 1)); },
         Error::bad_address},
    };
    for (const auto& c : cases) {
        auto buf = fresh();
        ArpView v{arp_part(buf)};
        ASSERT_TRUE(ArpRepr::parse(v).ok());
        c.mutate(v);
        EXPECT_EQ(ArpRepr::parse(v).error, c.want) << c.what;
    }
}

}  // namespace
}  // namespace shunt::wire
