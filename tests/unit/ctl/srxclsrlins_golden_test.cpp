// Our ETHTOOL_SRXCLSRLINS request against the bytes the real `ethtool -N` passes for the same
// rule, captured by golden/capture_ethtool_golden.sh (ethtool 6.1, LD_PRELOAD shim). Each
// golden file starts with "# ethtool -N IFACE WORDS": the words are fed to our parser, so the
// same text drives both sides.
#include "ioctl_ctl/steer_rule.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace shunt::ctl {
namespace {

struct Golden {
    std::vector<std::string> words;
    std::vector<uint8_t> bytes;
};

Golden load(const std::string& name) {
    Golden g;
    std::ifstream in(std::string(SHUNT_CTL_TEST_DATA) + "/" + name);
    EXPECT_TRUE(in.good()) << name;
    std::string line;
    const std::string prefix = "# ethtool -N IFACE ";
    while (std::getline(in, line)) {
        if (line.starts_with(prefix)) {
            std::istringstream w(line.substr(prefix.size()));
            for (std::string word; w >> word;) g.words.push_back(word);
            continue;
        }
        if (line.starts_with("#")) continue;
        std::istringstream hex(line);
        for (std::string b; hex >> b;)
            g.bytes.push_back(static_cast<uint8_t>(std::stoul(b, nullptr, 16)));
    }
    return g;
}

// Bytes ethtool 6.1 leaves uninitialized (rxclass_rule_ins sets only cmd, rss_context and fs
// of a stack struct): flow_type and data before fs, and the tail padding after rule_cnt.
// The kernel ignores them for SRXCLSRLINS; ours are zero.
bool dont_care(size_t offset) {
    const size_t fs = offsetof(ethtool_rxnfc, fs);
    const size_t tail = offsetof(ethtool_rxnfc, rule_cnt) + sizeof(uint32_t);
    return (offset >= offsetof(ethtool_rxnfc, flow_type) && offset < fs) || offset >= tail;
}

class SrxclsrlinsGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(SrxclsrlinsGolden, MatchesEthtoolsBytes) {
    const Golden g = load(GetParam());
    ASSERT_FALSE(g.words.empty()) << "no '# ethtool -N IFACE' line in " << GetParam();
    ASSERT_EQ(g.bytes.size(), sizeof(ethtool_rxnfc)) << GetParam();
    auto rule = parse_steer_rule(g.words);
    ASSERT_TRUE(rule.ok()) << rule.error().message;
    const ethtool_rxnfc req = encode_insert_request(rule.value());
    std::vector<uint8_t> ours(sizeof req);
    std::memcpy(ours.data(), &req, sizeof req);
    for (size_t i = 0; i < ours.size(); ++i) {
        if (dont_care(i)) {
            EXPECT_EQ(ours[i], 0) << "offset " << i << ": our padding must be zero";
            continue;
        }
        EXPECT_EQ(static_cast<int>(ours[i]), static_cast<int>(g.bytes[i]))
            << GetParam() << ": byte " << i << " differs from ethtool's";
    }
}

INSTANTIATE_TEST_SUITE_P(Ethtool61, SrxclsrlinsGolden,
                         ::testing::Values("srxclsrlins_tcp4_full.hex", "srxclsrlins_udp4_drop.hex",
                                           "srxclsrlins_udp4_sport.hex"));

TEST(SrxclsrlinsLayout, StructIsTheKernels) {
    // The golden files are 192 bytes: the x86-64 layout of struct ethtool_rxnfc.
    EXPECT_EQ(sizeof(ethtool_rxnfc), 192u);
    EXPECT_EQ(offsetof(ethtool_rxnfc, fs), 16u);
    EXPECT_EQ(offsetof(ethtool_rxnfc, fs) + offsetof(ethtool_rx_flow_spec, ring_cookie), 168u);
    EXPECT_EQ(offsetof(ethtool_rxnfc, fs) + offsetof(ethtool_rx_flow_spec, location), 176u);
}

}  // namespace
}  // namespace shunt::ctl
