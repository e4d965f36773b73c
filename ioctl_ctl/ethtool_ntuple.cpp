// n-tuple steering rules through the RX classification ioctls (ETHTOOL_GRXCLSRLCNT,
// GRXCLSRLALL, GRXCLSRULE, SRXCLSRLINS, SRXCLSRLDEL).
#include "ioctl_ctl/ethtool.hpp"

#include "ioctl_ctl/ethtool_call.hpp"

#include <algorithm>
#include <cstring>

namespace shunt::ctl {
namespace {

using detail::ethtool_error;
using detail::ethtool_ioctl;

struct RuleCount {
    uint32_t count = 0;
    uint32_t table_size = 0;
    bool driver_picks_location = false;  // RX_CLS_LOC_SPECIAL in data
};

Result<RuleCount> rule_count(const std::string& ifname) {
    ethtool_rxnfc nfc;
    std::memset(&nfc, 0, sizeof nfc);
    nfc.cmd = ETHTOOL_GRXCLSRLCNT;
    if (int err = ethtool_ioctl(ifname, &nfc); err != 0) {
        return ethtool_error(ifname, err, "n-tuple steering rules (ETHTOOL_GRXCLSRLCNT)");
    }
    RuleCount c;
    c.count = nfc.rule_cnt;
    c.table_size = static_cast<uint32_t>(nfc.data & ~static_cast<uint64_t>(RX_CLS_LOC_SPECIAL));
    c.driver_picks_location = (nfc.data & RX_CLS_LOC_SPECIAL) != 0;
    return c;
}

Result<std::vector<uint32_t>> rule_locations(const std::string& ifname, uint32_t count) {
    // ethtool_rxnfc ends in rule_locs[rule_cnt]: the request is the struct plus that array,
    // copied in and out of a byte buffer rather than written through a flexible member.
    ethtool_rxnfc head;
    std::memset(&head, 0, sizeof head);
    head.cmd = ETHTOOL_GRXCLSRLALL;
    head.rule_cnt = count;
    std::vector<unsigned char> buf(sizeof head + count * sizeof(uint32_t), 0);
    std::memcpy(buf.data(), &head, sizeof head);
    if (int err = ethtool_ioctl(ifname, buf.data()); err != 0) {
        return ethtool_error(ifname, err, "listing n-tuple steering rules (ETHTOOL_GRXCLSRLALL)");
    }
    std::memcpy(&head, buf.data(), sizeof head);
    std::vector<uint32_t> locs(std::min(head.rule_cnt, count));
    std::memcpy(locs.data(), buf.data() + sizeof head, locs.size() * sizeof(uint32_t));
    return locs;
}

// Like ethtool's rule manager for RX_CLS_LOC_ANY: the highest free slot.
Result<uint32_t> free_location(const std::string& ifname, const RuleCount& c) {
    if (c.table_size == 0) {
        // igb on the 82576 answers the count query but has no rule table ("ntuple-filters:
        // off [fixed]"): say that, not "all 0 slots are in use".
        return ethtool_error(ifname, EOPNOTSUPP,
                             "n-tuple steering rules (it reports no rule slots)");
    }
    auto used = rule_locations(ifname, c.count);
    if (!used) return used.error();
    for (uint32_t loc = c.table_size; loc-- > 0;) {
        if (std::find(used->begin(), used->end(), loc) == used->end()) return loc;
    }
    return make_error("{}: all {} steering rule slots are in use", ifname, c.table_size);
}

}  // namespace

Result<std::vector<RuleEntry>> list_steer_rules(const std::string& ifname) {
    auto count = rule_count(ifname);
    if (!count) return count.error();
    auto locs = rule_locations(ifname, count->count);
    if (!locs) return locs.error();
    std::vector<RuleEntry> out;
    for (uint32_t loc : locs.value()) {
        ethtool_rxnfc nfc;
        std::memset(&nfc, 0, sizeof nfc);
        nfc.cmd = ETHTOOL_GRXCLSRULE;
        nfc.fs.location = loc;
        if (int err = ethtool_ioctl(ifname, &nfc); err != 0) {
            return ethtool_error(ifname, err,
                                 fmt::format("reading steering rule {} (ETHTOOL_GRXCLSRULE)", loc));
        }
        RuleEntry e;
        e.location = loc;
        if (auto rule = decode_flow_spec(nfc.fs); rule) {
            e.rule = std::move(rule).value();
        } else {
            e.unsupported = rule.error().message;
        }
        out.push_back(std::move(e));
    }
    return out;
}

Result<uint32_t> insert_steer_rule(const std::string& ifname, const SteerRule& rule) {
    ethtool_rxnfc nfc = encode_insert_request(rule);
    if (!rule.location) {
        auto count = rule_count(ifname);
        if (!count) return count.error();
        if (!count->driver_picks_location) {
            auto loc = free_location(ifname, count.value());
            if (!loc) return loc.error();
            nfc.fs.location = loc.value();
        }
    }
    if (int err = ethtool_ioctl(ifname, &nfc); err != 0) {
        return ethtool_error(
            ifname, err,
            fmt::format("inserting steering rule '{}' (ETHTOOL_SRXCLSRLINS)", to_string(rule)));
    }
    // With RX_CLS_LOC_ANY the kernel writes the chosen location back.
    return nfc.fs.location;
}

Status delete_steer_rule(const std::string& ifname, uint32_t location) {
    ethtool_rxnfc nfc;
    std::memset(&nfc, 0, sizeof nfc);
    nfc.cmd = ETHTOOL_SRXCLSRLDEL;
    nfc.fs.location = location;
    if (int err = ethtool_ioctl(ifname, &nfc); err != 0) {
        return ethtool_error(
            ifname, err, fmt::format("deleting steering rule {} (ETHTOOL_SRXCLSRLDEL)", location));
    }
    return {};
}

}  // namespace shunt::ctl
