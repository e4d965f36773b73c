// Steering rules in ethtool's words: parsing (one clear error per mistake), the canonical
// words, and the flow spec encoding/decoding round trip.
#include "ioctl_ctl/steer_rule.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shunt::ctl {
namespace {

using Words = std::vector<std::string>;

SteerRule parse_ok(const Words& w) {
    auto r = parse_steer_rule(w);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : SteerRule{};
}

TEST(SteerRule, ParsesEveryWord) {
    const SteerRule r =
        parse_ok({"flow-type", "tcp4", "src-ip", "192.0.2.1", "dst-ip", "198.51.100.7", "src-port",
                  "1234", "dst-port", "80", "action", "3", "loc", "5"});
    EXPECT_EQ(r.flow, SteerRule::Flow::tcp4);
    EXPECT_EQ(r.src_ip, (Ipv4Bytes{192, 0, 2, 1}));
    EXPECT_EQ(r.dst_ip, (Ipv4Bytes{198, 51, 100, 7}));
    EXPECT_EQ(r.src_port, 1234);
    EXPECT_EQ(r.dst_port, 80);
    EXPECT_EQ(r.queue, 3u);
    EXPECT_EQ(r.location, 5u);
    EXPECT_FALSE(r.drop());
}

TEST(SteerRule, UnsetFieldsMatchAnything) {
    const SteerRule r = parse_ok({"flow-type", "udp4", "dst-port", "4789", "action", "drop"});
    EXPECT_EQ(r.flow, SteerRule::Flow::udp4);
    EXPECT_FALSE(r.src_ip || r.dst_ip || r.src_port);
    EXPECT_TRUE(r.drop());
    EXPECT_FALSE(r.location);
}

TEST(SteerRule, MinusOneIsEthtoolsDrop) {
    EXPECT_TRUE(parse_ok({"flow-type", "udp4", "action", "-1"}).drop());
}

TEST(SteerRule, WordsAreCanonicalAndRoundTrip) {
    const Words w = {"flow-type", "udp4", "dst-ip", "203.0.113.9", "action", "0x10", "loc", "7"};
    const SteerRule r = parse_ok(w);
    EXPECT_EQ(to_string(r), "flow-type udp4 dst-ip 203.0.113.9 action 16 loc 7");
    EXPECT_EQ(parse_ok(steer_rule_words(r)), r);
}

struct BadWords {
    Words words;
    std::string error;
};

TEST(SteerRule, EachMistakeHasOneClearError) {
    const std::string supported = "flow-type, src-ip, dst-ip, src-port, dst-port, action, loc";
    const std::vector<BadWords> cases = {
        {{}, "missing flow-type tcp4|udp4"},
        {{"flow-type"}, "'flow-type' needs a value"},
        {{"flow-type", "tcp6", "action", "1"}, "flow-type 'tcp6': expected tcp4 or udp4"},
        {{"src-ip", "192.0.2.1", "flow-type", "tcp4"},
         "a rule starts with flow-type tcp4|udp4, not 'src-ip'"},
        {{"flow-type", "tcp4", "src-ip", "192.0.2", "action", "1"},
         "src-ip '192.0.2': expected an IPv4 address A.B.C.D"},
        {{"flow-type", "tcp4", "dst-ip", "2001:db8::1", "action", "1"},
         "dst-ip '2001:db8::1': expected an IPv4 address A.B.C.D"},
        {{"flow-type", "udp4", "dst-port", "65536", "action", "1"},
         "dst-port '65536': expected a number from 0 to 65535"},
        {{"flow-type", "udp4", "src-port", "http", "action", "1"},
         "src-port 'http': expected a number from 0 to 65535"},
        {{"flow-type", "udp4", "action", "fast"}, "action 'fast': expected a queue number or drop"},
        {{"flow-type", "udp4", "action", "4294967296"},
         "action '4294967296': expected a queue number or drop"},
        {{"flow-type", "udp4", "action", "1", "loc", "-5"},
         "loc '-5': expected a number from 0 to 2147483647"},
        {{"flow-type", "tcp4", "src-ip", "192.0.2.1", "src-ip", "192.0.2.2", "action", "1"},
         "'src-ip' is given twice"},
        {{"flow-type", "tcp4", "frobnicate", "1", "action", "1"},
         "unknown word 'frobnicate' (expected one of: " + supported + ")"},
        {{"flow-type", "tcp4", "vlan", "5", "action", "1"},
         "'vlan' is an ethtool word that shunt's steering rules do not support (supported: " +
             supported + ")"},
        {{"flow-type", "tcp4", "dst-port", "80"}, "missing action N|drop (the queue, or drop)"},
        {{"flow-type", "tcp4", "dst-port", "80", "action"}, "'action' needs a value"},
    };
    for (const auto& c : cases) {
        auto r = parse_steer_rule(c.words);
        ASSERT_FALSE(r.ok()) << "accepted: " << ::testing::PrintToString(c.words);
        EXPECT_EQ(r.error().message, c.error) << ::testing::PrintToString(c.words);
    }
}

TEST(SteerRule, FlowSpecRoundTrip) {
    const std::vector<Words> rules = {
        {"flow-type", "tcp4", "src-ip", "192.0.2.1", "dst-ip", "198.51.100.7", "src-port", "1",
         "dst-port", "65535", "action", "3", "loc", "5"},
        {"flow-type", "udp4", "action", "drop", "loc", "0"},
        {"flow-type", "udp4", "dst-port", "4789", "action", "0", "loc", "1023"},
    };
    for (const auto& w : rules) {
        const SteerRule r = parse_ok(w);
        auto back = decode_flow_spec(encode_flow_spec(r));
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_EQ(back.value(), r) << to_string(r);
    }
}

TEST(SteerRule, EncodesLikeEthtool) {
    const ethtool_rx_flow_spec fs =
        encode_flow_spec(parse_ok({"flow-type", "udp4", "dst-port", "53", "action", "drop"}));
    EXPECT_EQ(fs.flow_type, static_cast<uint32_t>(UDP_V4_FLOW));
    EXPECT_EQ(fs.h_u.udp_ip4_spec.pdst, htons(53));
    EXPECT_EQ(fs.m_u.udp_ip4_spec.pdst, 0xffff);
    EXPECT_EQ(fs.m_u.udp_ip4_spec.ip4src, 0u);  // not matched
    EXPECT_EQ(fs.ring_cookie, RX_CLS_FLOW_DISC);
    EXPECT_EQ(fs.location, static_cast<uint32_t>(RX_CLS_LOC_ANY));  // the driver picks
}

TEST(SteerRule, DecodeNamesWhatItCannotExpress) {
    ethtool_rx_flow_spec fs = encode_flow_spec(parse_ok({"flow-type", "tcp4", "action", "1"}));
    fs.flow_type = TCP_V6_FLOW;
    EXPECT_EQ(decode_flow_spec(fs).error().message, "flow type 0x5 is not tcp4 or udp4");
    fs = encode_flow_spec(parse_ok({"flow-type", "tcp4", "src-ip", "10.0.0.0", "action", "1"}));
    fs.m_u.tcp_ip4_spec.ip4src = htonl(0xff000000);
    EXPECT_EQ(decode_flow_spec(fs).error().message,
              "the rule matches partial fields (masks) or TOS");
    fs = encode_flow_spec(parse_ok({"flow-type", "tcp4", "action", "1"}));
    fs.ring_cookie = (1ull << ETHTOOL_RX_FLOW_SPEC_RING_VF_OFF) | 2;
    EXPECT_EQ(decode_flow_spec(fs).error().message, "the rule's action targets a VF");
}

}  // namespace
}  // namespace shunt::ctl
