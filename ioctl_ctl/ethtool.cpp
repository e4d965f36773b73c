#include "ioctl_ctl/ethtool.hpp"

#include "ioctl_ctl/ethtool_call.hpp"

#include <cerrno>
#include <cstring>

namespace shunt::ctl {
namespace {

using detail::ethtool_error;
using detail::ethtool_ioctl;

Status call(const std::string& ifname, void* data, const std::string& what) {
    if (int err = ethtool_ioctl(ifname, data); err != 0) return ethtool_error(ifname, err, what);
    return {};
}

std::string fixed_string(const char* s, size_t n) {
    return std::string(s, ::strnlen(s, n));
}

}  // namespace

Result<DriverInfo> driver_info(const std::string& ifname) {
    ethtool_drvinfo d{};
    d.cmd = ETHTOOL_GDRVINFO;
    if (int err = ethtool_ioctl(ifname, &d); err != 0) {
        // Not ethtool_error(): it calls this function for the driver's name.
        if (err == EOPNOTSUPP) return make_error("{} has no ethtool driver information", ifname);
        if (err == ENODEV) return make_error("interface {}: no such interface", ifname);
        return make_error("driver information of {}: {}", ifname, std::strerror(err));
    }
    DriverInfo info;
    info.driver = fixed_string(d.driver, sizeof d.driver);
    info.version = fixed_string(d.version, sizeof d.version);
    info.firmware = fixed_string(d.fw_version, sizeof d.fw_version);
    info.bus_info = fixed_string(d.bus_info, sizeof d.bus_info);
    return info;
}

Result<Channels> get_channels(const std::string& ifname) {
    ethtool_channels ch{};
    ch.cmd = ETHTOOL_GCHANNELS;
    if (auto s = call(ifname, &ch, "reading channels (ETHTOOL_GCHANNELS)"); !s) return s.error();
    Channels c;
    c.max_rx = ch.max_rx;
    c.max_tx = ch.max_tx;
    c.max_other = ch.max_other;
    c.max_combined = ch.max_combined;
    c.rx = ch.rx_count;
    c.tx = ch.tx_count;
    c.other = ch.other_count;
    c.combined = ch.combined_count;
    return c;
}

Status set_channels(const std::string& ifname, const ChannelRequest& req) {
    ethtool_channels ch{};
    ch.cmd = ETHTOOL_GCHANNELS;
    if (auto s = call(ifname, &ch, "reading channels (ETHTOOL_GCHANNELS)"); !s) return s;
    struct Field {
        const char* name;
        const std::optional<uint32_t>& want;
        uint32_t& count;
        uint32_t max;
    };
    const Field fields[] = {{"rx", req.rx, ch.rx_count, ch.max_rx},
                            {"tx", req.tx, ch.tx_count, ch.max_tx},
                            {"other", req.other, ch.other_count, ch.max_other},
                            {"combined", req.combined, ch.combined_count, ch.max_combined}};
    for (const auto& f : fields) {
        if (!f.want) continue;
        if (*f.want > f.max) {
            return make_error("{} {} channels: at most {} (ETHTOOL_GCHANNELS maximum)", ifname,
                              f.name, f.max);
        }
        f.count = *f.want;
    }
    ch.cmd = ETHTOOL_SCHANNELS;
    return call(ifname, &ch, "setting channels (ETHTOOL_SCHANNELS)");
}

Result<uint32_t> rx_ring_count(const std::string& ifname) {
    ethtool_rxnfc nfc;
    std::memset(&nfc, 0, sizeof nfc);
    nfc.cmd = ETHTOOL_GRXRINGS;
    if (auto s = call(ifname, &nfc, "reading the RX ring count (ETHTOOL_GRXRINGS)"); !s) {
        return s.error();
    }
    return static_cast<uint32_t>(nfc.data);
}

Result<std::vector<uint32_t>> rss_indirection(const std::string& ifname) {
    // struct ethtool_rxfh_indir is {cmd, size, ring_index[size]}: a u32 array says the same
    // without a flexible array member. The first call (size 0) asks for the size.
    const std::string what = "reading the RSS indirection table (ETHTOOL_GRXFHINDIR)";
    std::vector<uint32_t> buf = {ETHTOOL_GRXFHINDIR, 0};
    if (auto s = call(ifname, buf.data(), what); !s) return s.error();
    const uint32_t size = buf[1];
    buf.assign(2 + size, 0);
    buf[0] = ETHTOOL_GRXFHINDIR;
    buf[1] = size;
    if (auto s = call(ifname, buf.data(), what); !s) return s.error();
    return std::vector<uint32_t>(buf.begin() + 2, buf.end());
}

Status set_rss_indirection(const std::string& ifname, const std::vector<uint32_t>& table) {
    std::vector<uint32_t> buf = {ETHTOOL_SRXFHINDIR, static_cast<uint32_t>(table.size())};
    buf.insert(buf.end(), table.begin(), table.end());
    return call(ifname, buf.data(), "setting the RSS indirection table (ETHTOOL_SRXFHINDIR)");
}

Status set_rss_equal(const std::string& ifname, uint32_t rings) {
    if (rings == 0) return make_error("RSS over 0 rings: give at least 1");
    auto count = rx_ring_count(ifname);
    if (!count) return count.error();
    if (rings > count.value()) {
        return make_error("{} has {} RX rings: cannot spread RSS over {}", ifname, count.value(),
                          rings);
    }
    auto table = rss_indirection(ifname);
    if (!table) return table.error();
    if (table->empty()) return make_error("{} reports an empty RSS indirection table", ifname);
    for (size_t i = 0; i < table->size(); ++i) (*table)[i] = static_cast<uint32_t>(i % rings);
    return set_rss_indirection(ifname, table.value());
}

Result<uint64_t> rx_flow_hash(const std::string& ifname, uint32_t flow_type) {
    ethtool_rxnfc nfc;
    std::memset(&nfc, 0, sizeof nfc);
    nfc.cmd = ETHTOOL_GRXFH;
    nfc.flow_type = flow_type;
    const std::string what =
        fmt::format("reading the {} RSS hash fields (ETHTOOL_GRXFH)", flow_type_name(flow_type));
    if (auto s = call(ifname, &nfc, what); !s) return s.error();
    return static_cast<uint64_t>(nfc.data);
}

Status set_rx_flow_hash(const std::string& ifname, uint32_t flow_type, uint64_t fields) {
    ethtool_rxnfc nfc;
    std::memset(&nfc, 0, sizeof nfc);
    nfc.cmd = ETHTOOL_SRXFH;
    nfc.flow_type = flow_type;
    nfc.data = fields;
    return call(
        ifname, &nfc,
        fmt::format("setting the {} RSS hash fields (ETHTOOL_SRXFH)", flow_type_name(flow_type)));
}

namespace {

struct RxhLetter {
    char letter;
    uint64_t bit;
};
// ethtool(8)'s letters for rx-flow-hash.
constexpr RxhLetter kRxhLetters[] = {
    {'m', RXH_L2DA},     {'v', RXH_VLAN},   {'t', RXH_L3_PROTO},
    {'s', RXH_IP_SRC},   {'d', RXH_IP_DST}, {'f', RXH_L4_B_0_1},
    {'n', RXH_L4_B_2_3}, {'r', 1ull << 31}};  // RXH_DISCARD is (1 << 31): an int

struct FlowName {
    const char* name;
    uint32_t type;
};
constexpr FlowName kFlowNames[] = {
    {"tcp4", TCP_V4_FLOW},   {"udp4", UDP_V4_FLOW}, {"sctp4", SCTP_V4_FLOW}, {"ah4", AH_V4_FLOW},
    {"esp4", ESP_V4_FLOW},   {"ip4", IPV4_FLOW},    {"tcp6", TCP_V6_FLOW},   {"udp6", UDP_V6_FLOW},
    {"sctp6", SCTP_V6_FLOW}, {"ah6", AH_V6_FLOW},   {"esp6", ESP_V6_FLOW},   {"ip6", IPV6_FLOW},
    {"ether", ETHER_FLOW}};

}  // namespace

std::string rxh_letters(uint64_t fields) {
    std::string out;
    for (const auto& l : kRxhLetters) {
        if (fields & l.bit) out += l.letter;
    }
    return out;
}

Result<uint64_t> parse_rxh_letters(const std::string& letters) {
    uint64_t fields = 0;
    for (char c : letters) {
        bool found = false;
        for (const auto& l : kRxhLetters) {
            if (l.letter == c) {
                fields |= l.bit;
                found = true;
            }
        }
        if (!found) return make_error("hash field letter '{}': expected some of mvtsdfnr", c);
    }
    return fields;
}

std::optional<uint32_t> flow_type_from_name(const std::string& name) {
    for (const auto& f : kFlowNames) {
        if (name == f.name) return f.type;
    }
    return std::nullopt;
}

std::string flow_type_name(uint32_t flow_type) {
    for (const auto& f : kFlowNames) {
        if (flow_type == f.type) return f.name;
    }
    return fmt::format("flow type {:#x}", flow_type);
}

}  // namespace shunt::ctl
