#include "stack/wire/ipv4.hpp"

#include "golden_frames.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace shunt::wire {
namespace {

using namespace golden;

std::span<uint8_t> ip_part(std::vector<uint8_t>& frame) {
    return std::span{frame}.subspan(14);
}

// Emits `r` into a copy of `frame` whose IPv4 header was wiped, and returns the copy.
template <size_t N>
std::vector<uint8_t> emit_over(const std::array<uint8_t, N>& frame, const Ipv4Repr& r) {
    auto buf = copy_of(frame);
    std::fill(buf.begin() + 14, buf.begin() + 34, 0xee);
    Ipv4View v{ip_part(buf)};
    r.emit(v);
    return buf;
}

TEST(Ipv4, ParsesCapturedEchoRequestEveryField) {
    auto buf = copy_of(kIcmpEchoRequest);
    auto c = Ipv4View::check(ip_part(buf));
    ASSERT_TRUE(c.ok());
    const Ipv4View& v = c.value;
    EXPECT_EQ(v.version(), 4);
    EXPECT_EQ(v.header_len(), 20u);
    EXPECT_EQ(v.dscp_ecn(), 0);
    EXPECT_EQ(v.total_len(), 84);
    EXPECT_EQ(v.ident(), 7940);
    EXPECT_TRUE(v.dont_frag());
    EXPECT_FALSE(v.more_frags());
    EXPECT_EQ(v.frag_offset(), 0);
    EXPECT_EQ(v.ttl(), 64);
    EXPECT_EQ(v.protocol(), ip_proto::icmp);
    EXPECT_EQ(v.checksum(), 0x97a1);
    EXPECT_EQ(v.src(), kIpA);
    EXPECT_EQ(v.dst(), kIpB);
    EXPECT_TRUE(v.options().empty());
    EXPECT_EQ(v.payload().data(), buf.data() + 34);
    EXPECT_EQ(v.payload().size(), 64u);
    EXPECT_TRUE(v.verify_checksum());

    auto r = Ipv4Repr::parse(v);
    ASSERT_TRUE(r.ok());
    Ipv4Repr want{.src = kIpA,
                  .dst = kIpB,
                  .protocol = ip_proto::icmp,
                  .payload_len = 64,
                  .ttl = 64,
                  .dscp_ecn = 0,
                  .ident = 7940,
                  .dont_frag = true};
    EXPECT_EQ(r.value, want);
    EXPECT_FALSE(r.value.is_fragment());
}

TEST(Ipv4, ParsesCapturedIcmpErrorWithDscp) {
    auto buf = copy_of(kIcmpPortUnreachable);
    auto c = Ipv4View::check(ip_part(buf));
    ASSERT_TRUE(c.ok());
    auto r = Ipv4Repr::parse(c.value);
    ASSERT_TRUE(r.ok());
    // Linux sends ICMP errors as CS6 (tos 0xc0), without DF.
    Ipv4Repr want{.src = kIpB,
                  .dst = kIpA,
                  .protocol = ip_proto::icmp,
                  .payload_len = 37,
                  .ttl = 64,
                  .dscp_ecn = 0xc0,
                  .ident = 0xa9b7};
    EXPECT_EQ(r.value, want);
}

TEST(Ipv4, ParsesCapturedFragments) {
    auto first = copy_of(kFragFirst);
    auto c1 = Ipv4View::check(ip_part(first));
    ASSERT_TRUE(c1.ok());
    EXPECT_TRUE(c1.value.more_frags());
    EXPECT_FALSE(c1.value.dont_frag());
    EXPECT_EQ(c1.value.frag_offset(), 0);
    EXPECT_EQ(c1.value.payload().size(), 48u);
    auto r1 = Ipv4Repr::parse(c1.value);
    ASSERT_TRUE(r1.ok());
    Ipv4Repr want1{.src = kIpA,
                   .dst = kIpB,
                   .protocol = ip_proto::icmp,
                   .payload_len = 48,
                   .ttl = 64,
                   .ident = 0x21c1,
                   .more_frags = true,
                   .frag_offset = 0};
    EXPECT_EQ(r1.value, want1);
    EXPECT_TRUE(r1.value.is_fragment());

    auto last = copy_of(kFragLast);
    auto c2 = Ipv4View::check(ip_part(last));
    ASSERT_TRUE(c2.ok());
    EXPECT_FALSE(c2.value.more_frags());
    EXPECT_EQ(c2.value.frag_offset(), 48);  // field value 6, in 8-byte units
    auto r2 = Ipv4Repr::parse(c2.value);
    ASSERT_TRUE(r2.ok());
    Ipv4Repr want2 = want1;
    want2.payload_len = 16;
    want2.more_frags = false;
    want2.frag_offset = 48;
    EXPECT_EQ(r2.value, want2);
    EXPECT_TRUE(r2.value.is_fragment());
}

TEST(Ipv4, EmitReproducesCapturedHeaders) {
    Ipv4Repr echo{.src = kIpA,
                  .dst = kIpB,
                  .protocol = ip_proto::icmp,
                  .payload_len = 64,
                  .ident = 7940,
                  .dont_frag = true};
    EXPECT_EQ(emit_over(kIcmpEchoRequest, echo), copy_of(kIcmpEchoRequest));

    Ipv4Repr reply{
        .src = kIpB, .dst = kIpA, .protocol = ip_proto::icmp, .payload_len = 64, .ident = 43298};
    EXPECT_EQ(emit_over(kIcmpEchoReply, reply), copy_of(kIcmpEchoReply));

    Ipv4Repr udp{.src = kIpA,
                 .dst = kIpB,
                 .protocol = ip_proto::udp,
                 .payload_len = 20,
                 .ident = 0x14fd,
                 .dont_frag = true};
    EXPECT_EQ(emit_over(kUdpHello, udp), copy_of(kUdpHello));

    Ipv4Repr frag{.src = kIpA,
                  .dst = kIpB,
                  .protocol = ip_proto::icmp,
                  .payload_len = 48,
                  .ident = 0x21c1,
                  .more_frags = true};
    EXPECT_EQ(emit_over(kFragFirst, frag), copy_of(kFragFirst));
    frag.payload_len = 16;
    frag.more_frags = false;
    frag.frag_offset = 48;
    EXPECT_EQ(emit_over(kFragLast, frag), copy_of(kFragLast));

    Ipv4Repr err{.src = kIpB,
                 .dst = kIpA,
                 .protocol = ip_proto::icmp,
                 .payload_len = 96,
                 .dscp_ecn = 0xc0,
                 .ident = 45301};
    EXPECT_EQ(emit_over(kIcmpFragNeeded, err), copy_of(kIcmpFragNeeded));
}

TEST(Ipv4, EmitWithoutChecksumLeavesZero) {
    std::vector<uint8_t> buf(20, 0xee);
    Ipv4View v{buf};
    Ipv4Repr{.src = kIpA, .dst = kIpB, .protocol = ip_proto::udp}.emit(v, false);
    EXPECT_EQ(v.checksum(), 0);
    EXPECT_EQ(v.total_len(), 20);
    EXPECT_FALSE(v.verify_checksum());
    v.fill_checksum();
    EXPECT_TRUE(v.verify_checksum());
}

TEST(Ipv4, SettersRoundTrip) {
    std::vector<uint8_t> buf(24, 0);
    Ipv4View v{buf};
    v.set_version_and_header_len(24);
    v.set_dscp_ecn(0xb8);
    v.set_total_len(24);
    v.set_ident(0xbeef);
    v.set_flags_and_offset(true, true, 65528);  // largest offset: 0x1fff * 8
    v.set_ttl(1);
    v.set_protocol(ip_proto::tcp);
    v.set_src(kIpC);
    v.set_dst(kIpA);
    EXPECT_EQ(buf[0], 0x46);
    EXPECT_EQ(buf[6], 0x7f);  // DF | MF | high offset bits
    EXPECT_EQ(buf[7], 0xff);
    EXPECT_EQ(v.version(), 4);
    EXPECT_EQ(v.header_len(), 24u);
    EXPECT_EQ(v.dscp_ecn(), 0xb8);
    EXPECT_EQ(v.ident(), 0xbeef);
    EXPECT_TRUE(v.dont_frag());
    EXPECT_TRUE(v.more_frags());
    EXPECT_EQ(v.frag_offset(), 65528);
    EXPECT_EQ(v.ttl(), 1);
    EXPECT_EQ(v.protocol(), ip_proto::tcp);
    EXPECT_EQ(v.src(), kIpC);
    EXPECT_EQ(v.dst(), kIpA);
    v.set_flags_and_offset(false, false, 0);
    EXPECT_EQ(buf[6], 0);
    EXPECT_EQ(buf[7], 0);
}

TEST(Ipv4, OptionsAreSkippedAndCoveredByTheChecksum) {
    // The captured echo request with a 4-byte Router Alert option (RFC 2113) inserted.
    auto frame = copy_of(kIcmpEchoRequest);
    std::vector<uint8_t> buf(frame.begin() + 14, frame.begin() + 34);
    const uint8_t router_alert[] = {0x94, 0x04, 0x00, 0x00};
    buf.insert(buf.end(), std::begin(router_alert), std::end(router_alert));
    buf.insert(buf.end(), frame.begin() + 34, frame.end());
    Ipv4View v{buf};
    v.set_version_and_header_len(24);
    v.set_total_len(88);
    v.fill_checksum();

    auto c = Ipv4View::check(buf);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.value.header_len(), 24u);
    ASSERT_EQ(c.value.options().size(), 4u);
    EXPECT_EQ(c.value.options()[0], 0x94);
    EXPECT_EQ(c.value.payload().data(), buf.data() + 24);
    EXPECT_EQ(c.value.payload().size(), 64u);
    auto r = Ipv4Repr::parse(c.value);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.payload_len, 64);
    buf[22] = 0x01;  // the checksum covers the options too
    EXPECT_EQ(Ipv4Repr::parse(v).error, Error::bad_checksum);
}

TEST(Ipv4, PaddingAfterTotalLengthIsNotPayload) {
    // A 46-byte datagram would be padded to 60 bytes on Ethernet: payload stops at total_len.
    auto frame = copy_of(kFragLast);
    std::vector<uint8_t> buf(frame.begin() + 14, frame.end());
    buf.resize(46, 0);
    auto c = Ipv4View::check(buf);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.value.payload().size(), 16u);
    EXPECT_EQ(Ipv4Repr::parse(c.value).value.payload_len, 16);
}

TEST(Ipv4, CheckErrors) {
    auto frame = copy_of(kIcmpEchoRequest);
    auto fresh = [&] { return std::vector<uint8_t>(frame.begin() + 14, frame.end()); };
    {
        auto b = fresh();
        EXPECT_EQ(Ipv4View::check(std::span{b}.first(19)).error, Error::truncated);
        EXPECT_EQ(Ipv4View::check({}).error, Error::truncated);
    }
    {
        auto b = fresh();
        b[0] = 0x65;  // IPv6's version number
        EXPECT_EQ(Ipv4View::check(b).error, Error::bad_version);
    }
    {
        auto b = fresh();
        b[0] = 0x44;  // IHL 4: shorter than the fixed header
        EXPECT_EQ(Ipv4View::check(b).error, Error::bad_header_len);
    }
    {
        auto b = fresh();
        b[0] = 0x4f;  // IHL 15 = 60 bytes: longer than these 40 bytes
        EXPECT_EQ(Ipv4View::check(std::span{b}.first(40)).error, Error::bad_header_len);
    }
    {
        auto b = fresh();
        store_be16(&b[2], 19);  // total_len below the header
        EXPECT_EQ(Ipv4View::check(b).error, Error::bad_length);
    }
    {
        auto b = fresh();
        store_be16(&b[2], 85);  // one byte more than we have
        EXPECT_EQ(Ipv4View::check(b).error, Error::bad_length);
        store_be16(&b[2], 84);
        EXPECT_TRUE(Ipv4View::check(b).ok());
    }
}

TEST(Ipv4, ParseErrors) {
    auto frame = copy_of(kIcmpEchoRequest);
    std::vector<uint8_t> b(frame.begin() + 14, frame.end());
    Ipv4View v{b};
    b[8] = 63;  // TTL changed without fixing the checksum
    EXPECT_EQ(Ipv4Repr::parse(v).error, Error::bad_checksum);
    EXPECT_TRUE(Ipv4Repr::parse(v, /*verify_checksum=*/false).ok());

    v.set_src(Ipv4Addr::from_octets(224, 0, 0, 5));
    v.fill_checksum();
    EXPECT_EQ(Ipv4Repr::parse(v).error, Error::bad_address);
    v.set_src(Ipv4Addr::broadcast());
    v.fill_checksum();
    EXPECT_EQ(Ipv4Repr::parse(v).error, Error::bad_address);
    v.set_src(Ipv4Addr::any());  // allowed: a DHCP client has no address yet
    v.fill_checksum();
    EXPECT_TRUE(Ipv4Repr::parse(v).ok());

    // parse re-checks lengths, so an unchecked view is safe.
    b[0] = 0x4f;
    EXPECT_EQ(Ipv4Repr::parse(Ipv4View{std::span{b}.first(40)}).error, Error::bad_header_len);
    EXPECT_EQ(Ipv4Repr::parse(Ipv4View{}).error, Error::truncated);
}

}  // namespace
}  // namespace shunt::wire
