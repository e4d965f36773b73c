// The ethtool ioctls (SIOCETHTOOL with the kernel's structs from linux/ethtool.h): driver
// facts, channels, RX rings, RSS indirection and hash fields, n-tuple steering rules. A
// driver without the operation gives "DRIVER on IFACE does not support WHAT".
#pragma once

#include "base/result.hpp"
#include "ioctl_ctl/steer_rule.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shunt::ctl {

struct DriverInfo {
    std::string driver;
    std::string version;
    std::string firmware;
    std::string bus_info;  // the PCI address for PCI NICs; empty for virtual devices
};
Result<DriverInfo> driver_info(const std::string& ifname);

struct Channels {
    uint32_t max_rx = 0, max_tx = 0, max_other = 0, max_combined = 0;
    uint32_t rx = 0, tx = 0, other = 0, combined = 0;
};
struct ChannelRequest {
    std::optional<uint32_t> rx, tx, other, combined;  // nullopt: leave as it is
};
Result<Channels> get_channels(const std::string& ifname);
// Checks the request against the maximums first, so the error names the limit.
Status set_channels(const std::string& ifname, const ChannelRequest& request);

Result<uint32_t> rx_ring_count(const std::string& ifname);

// The RSS indirection table: entry i is the RX ring for hash values i mod size.
Result<std::vector<uint32_t>> rss_indirection(const std::string& ifname);
// An empty TABLE restores the driver's default spread.
Status set_rss_indirection(const std::string& ifname, const std::vector<uint32_t>& table);
// Like `ethtool -X IFACE equal N`: entry i -> ring i mod N, N at most the RX ring count.
Status set_rss_equal(const std::string& ifname, uint32_t rings);

// Hash fields per flow type (TCP_V4_FLOW, UDP_V4_FLOW, ...): RXH_* bits.
Result<uint64_t> rx_flow_hash(const std::string& ifname, uint32_t flow_type);
Status set_rx_flow_hash(const std::string& ifname, uint32_t flow_type, uint64_t fields);
// ethtool's letters for RXH_* bits ("sdfn" = IP src, IP dst, L4 bytes 0-1, L4 bytes 2-3).
std::string rxh_letters(uint64_t fields);
Result<uint64_t> parse_rxh_letters(const std::string& letters);
// "tcp4" -> TCP_V4_FLOW, ...; nullopt for names ethtool does not use.
std::optional<uint32_t> flow_type_from_name(const std::string& name);
std::string flow_type_name(uint32_t flow_type);

struct RuleEntry {
    uint32_t location = 0;
    std::optional<SteerRule> rule;  // nullopt when SteerRule cannot express it
    std::string unsupported;        // why not, when rule is nullopt
};
Result<std::vector<RuleEntry>> list_steer_rules(const std::string& ifname);
// Returns the location the rule went to (picked like ethtool when the rule has none).
Result<uint32_t> insert_steer_rule(const std::string& ifname, const SteerRule& rule);
Status delete_steer_rule(const std::string& ifname, uint32_t location);

}  // namespace shunt::ctl
