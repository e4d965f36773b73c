#include "stack/wire/icmpv4.hpp"

#include "golden_frames.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv4.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace shunt::wire {
namespace {

using namespace golden;

// The ICMP message of a captured frame: after Ethernet (14) and a 20-byte IPv4 header.
std::span<uint8_t> icmp_part(std::vector<uint8_t>& frame) {
    return std::span{frame}.subspan(34);
}

TEST(Icmpv4, ParsesCapturedEchoRequest) {
    auto buf = copy_of(kIcmpEchoRequest);
    auto c = Icmpv4View::check(icmp_part(buf));
    ASSERT_TRUE(c.ok());
    const Icmpv4View& v = c.value;
    EXPECT_EQ(v.type(), icmp_type::echo_request);
    EXPECT_EQ(v.code(), 0);
    EXPECT_EQ(v.checksum(), 0x9777);
    EXPECT_EQ(v.echo_ident(), 4285);
    EXPECT_EQ(v.echo_seq(), 1);
    EXPECT_EQ(v.payload().size(), 56u);
    EXPECT_EQ(v.payload()[16], 0x10);  // after a 16-byte timeval, iputils writes
    EXPECT_EQ(v.payload()[55], 0x37);  // 0x10, 0x11, ... 0x37
    EXPECT_TRUE(v.verify_checksum());
    auto r = Icmpv4Repr::parse(v);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, (Icmpv4Repr{.type = icmp_type::echo_request, .ident = 4285, .seq = 1}));
}

TEST(Icmpv4, ParsesCapturedEchoReply) {
    auto buf = copy_of(kIcmpEchoReply);
    auto c = Icmpv4View::check(icmp_part(buf));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.value.checksum(), 0x9f77);
    auto r = Icmpv4Repr::parse(c.value);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, (Icmpv4Repr{.type = icmp_type::echo_reply, .ident = 4285, .seq = 1}));
}

TEST(Icmpv4, ParsesCapturedErrors) {
    {
        auto buf = copy_of(kIcmpPortUnreachable);
        auto c = Icmpv4View::check(icmp_part(buf));
        ASSERT_TRUE(c.ok());
        EXPECT_EQ(c.value.checksum(), 0x811b);
        auto r = Icmpv4Repr::parse(c.value);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r.value,
                  (Icmpv4Repr{.type = icmp_type::dest_unreachable, .code = icmp_unreach::port}));
        // The payload quotes the offending datagram: its IPv4 header parses.
        auto inner = Ipv4View::check(c.value.payload());
        ASSERT_TRUE(inner.ok());
        EXPECT_EQ(inner.value.protocol(), ip_proto::udp);
        EXPECT_EQ(inner.value.dst(), kIpB);
        // Only "fragmentation needed" carries an MTU; other codes' bytes 4-7 are unused.
        c.value.set_next_hop_mtu(1500);
        c.value.fill_checksum();
        auto r2 = Icmpv4Repr::parse(c.value);
        ASSERT_TRUE(r2.ok());
        EXPECT_EQ(r2.value.next_hop_mtu, 0);
    }
    {
        auto buf = copy_of(kIcmpFragNeeded);
        auto c = Icmpv4View::check(icmp_part(buf));
        ASSERT_TRUE(c.ok());
        EXPECT_EQ(c.value.next_hop_mtu(), 68);
        EXPECT_EQ(c.value.payload().size(), 88u);
        auto r = Icmpv4Repr::parse(c.value);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r.value, (Icmpv4Repr{.type = icmp_type::dest_unreachable,
                                       .code = icmp_unreach::frag_needed,
                                       .next_hop_mtu = 68}));
        auto inner = Ipv4View::check(c.value.payload());
        ASSERT_TRUE(inner.ok());
        EXPECT_EQ(inner.value.dst(), kIpC);
        EXPECT_TRUE(inner.value.dont_frag());
    }
    {
        auto buf = copy_of(kIcmpTimeExceeded);
        auto c = Icmpv4View::check(icmp_part(buf));
        ASSERT_TRUE(c.ok());
        auto r = Icmpv4Repr::parse(c.value);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r.value, (Icmpv4Repr{.type = icmp_type::time_exceeded, .code = 0}));
    }
}

// Writes header + quoted payload of `frame`'s ICMP part from scratch and fills the checksum.
template <size_t N>
std::vector<uint8_t> emit_over(const std::array<uint8_t, N>& frame, const Icmpv4Repr& r) {
    auto buf = copy_of(frame);
    std::fill(buf.begin() + 34, buf.begin() + 42, 0xee);
    Icmpv4View v{icmp_part(buf)};
    r.emit_header(v);
    EXPECT_EQ(v.checksum(), 0);
    v.fill_checksum();
    return buf;
}

TEST(Icmpv4, EmitReproducesCapturedMessages) {
    EXPECT_EQ(
        emit_over(kIcmpEchoRequest, {.type = icmp_type::echo_request, .ident = 4285, .seq = 1}),
        copy_of(kIcmpEchoRequest));
    EXPECT_EQ(emit_over(kIcmpEchoReply, {.type = icmp_type::echo_reply, .ident = 4285, .seq = 1}),
              copy_of(kIcmpEchoReply));
    EXPECT_EQ(emit_over(kIcmpPortUnreachable,
                        {.type = icmp_type::dest_unreachable, .code = icmp_unreach::port}),
              copy_of(kIcmpPortUnreachable));
    EXPECT_EQ(emit_over(kIcmpFragNeeded, {.type = icmp_type::dest_unreachable,
                                          .code = icmp_unreach::frag_needed,
                                          .next_hop_mtu = 68}),
              copy_of(kIcmpFragNeeded));
    EXPECT_EQ(emit_over(kIcmpTimeExceeded, {.type = icmp_type::time_exceeded}),
              copy_of(kIcmpTimeExceeded));
}

TEST(Icmpv4, EmitsWholeCapturedEchoFrameFromReprs) {
    // The way the stack answers/sends a ping: every layer written into one zeroed buffer.
    auto golden_frame = copy_of(kIcmpEchoRequest);
    std::vector<uint8_t> buf(golden_frame.size(), 0);
    std::copy(golden_frame.begin() + 42, golden_frame.end(), buf.begin() + 42);  // ping data

    EthernetView eth{buf};
    EthernetRepr{kMacA, kMacB, ethertype::ipv4}.emit(eth);
    Ipv4View ip{eth.payload()};
    Ipv4Repr{.src = kIpA,
             .dst = kIpB,
             .protocol = ip_proto::icmp,
             .payload_len = 64,
             .ident = 7940,
             .dont_frag = true}
        .emit(ip);
    Icmpv4View icmp{ip.payload()};
    Icmpv4Repr{.type = icmp_type::echo_request, .ident = 4285, .seq = 1}.emit_header(icmp);
    icmp.fill_checksum();
    EXPECT_EQ(buf, golden_frame);
}

TEST(Icmpv4, ScatteredChecksumMatchesFill) {
    // Header and payload in different buffers: sum the pieces, as emit_header's caller does.
    auto buf = copy_of(kIcmpEchoRequest);
    Icmpv4View v{icmp_part(buf)};
    std::vector<uint8_t> header(8);
    Icmpv4View h{header};
    Icmpv4Repr{.type = icmp_type::echo_request, .ident = 4285, .seq = 1}.emit_header(h);
    uint32_t sum = checksum_partial(header);
    sum = checksum_partial(v.payload(), sum);
    EXPECT_EQ(checksum_fold(sum), 0x9777);
}

TEST(Icmpv4, SettersRoundTrip) {
    std::vector<uint8_t> buf(8, 0xee);
    Icmpv4View v{buf};
    v.set_type(icmp_type::dest_unreachable);
    v.set_code(icmp_unreach::frag_needed);
    v.set_checksum(0x1234);
    v.set_rest_of_header(0);
    v.set_next_hop_mtu(1280);
    EXPECT_EQ(buf, (std::vector<uint8_t>{3, 4, 0x12, 0x34, 0, 0, 0x05, 0x00}));
    v.set_echo_ident(0xabcd);
    v.set_echo_seq(0x0102);
    EXPECT_EQ(v.echo_ident(), 0xabcd);
    EXPECT_EQ(v.echo_seq(), 0x0102);
    v.set_rest_of_header(0xdeadbeef);
    EXPECT_EQ(v.echo_ident(), 0xdead);
    EXPECT_EQ(v.next_hop_mtu(), 0xbeef);
    EXPECT_TRUE(v.payload().empty());
}

TEST(Icmpv4, Errors) {
    auto buf = copy_of(kIcmpEchoRequest);
    EXPECT_EQ(Icmpv4View::check(icmp_part(buf).first(7)).error, Error::truncated);
    EXPECT_TRUE(Icmpv4View::check(icmp_part(buf).first(8)).ok());
    EXPECT_EQ(Icmpv4Repr::parse(Icmpv4View{}).error, Error::truncated);

    Icmpv4View v{icmp_part(buf)};
    buf.back() ^= 0x01;  // payload corrupted: the checksum covers it
    EXPECT_EQ(Icmpv4Repr::parse(v).error, Error::bad_checksum);
    EXPECT_TRUE(Icmpv4Repr::parse(v, /*verify_checksum=*/false).ok());

    v.set_type(13);  // timestamp request: valid, but not handled
    v.fill_checksum();
    EXPECT_EQ(Icmpv4Repr::parse(v).error, Error::unsupported);
    v.set_type(5);  // redirect: hosts may ignore it (RFC 1122 §3.2.2.2); we do
    v.fill_checksum();
    EXPECT_EQ(Icmpv4Repr::parse(v).error, Error::unsupported);
}

}  // namespace
}  // namespace shunt::wire
