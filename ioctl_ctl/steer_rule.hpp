// One flow-steering rule in ethtool's words ("flow-type tcp4 src-ip A dst-ip B src-port P
// dst-port Q action N|drop [loc L]"). The same value is parsed from shuntctl's command line,
// encoded into the kernel's ethtool_rx_flow_spec for ETHTOOL_SRXCLSRLINS, decoded from
// ETHTOOL_GRXCLSRULE, and (later) handed to shuntd, which programs the NIC itself.
#pragma once

#include "base/result.hpp"

#include <linux/ethtool.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shunt::ctl {

using Ipv4Bytes = std::array<uint8_t, 4>;  // network order, as on the wire

struct SteerRule {
    enum class Flow : uint8_t { tcp4, udp4 };

    Flow flow = Flow::tcp4;
    std::optional<Ipv4Bytes> src_ip;  // nullopt: any (the field is not matched)
    std::optional<Ipv4Bytes> dst_ip;
    std::optional<uint16_t> src_port;
    std::optional<uint16_t> dst_port;
    std::optional<uint32_t> queue;     // nullopt: drop the packet
    std::optional<uint32_t> location;  // nullopt: the driver (or shuntctl) picks a free slot

    bool drop() const { return !queue.has_value(); }
    bool operator==(const SteerRule&) const = default;
};

// WORDS are ethtool -N's words after the interface. Each mistake gets one error naming the
// word: unknown word, missing value, bad address/port/queue, repeated word, missing
// flow-type or action.
Result<SteerRule> parse_steer_rule(const std::vector<std::string>& words);
// The rule in the same words, in a fixed order; parse_steer_rule(words(r)) == r.
std::vector<std::string> steer_rule_words(const SteerRule& rule);
std::string to_string(const SteerRule& rule);

// The kernel's flow spec, as ethtool builds it: matched fields with all-ones masks, ring
// cookie = queue or RX_CLS_FLOW_DISC, location = loc or RX_CLS_LOC_ANY.
ethtool_rx_flow_spec encode_flow_spec(const SteerRule& rule);
// The whole ETHTOOL_SRXCLSRLINS request; every byte (padding included) is defined.
ethtool_rxnfc encode_insert_request(const SteerRule& rule);
// Fails, naming what, for flow types and matches this rule type cannot express.
Result<SteerRule> decode_flow_spec(const ethtool_rx_flow_spec& fs);

}  // namespace shunt::ctl
