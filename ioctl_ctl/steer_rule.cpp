#include "ioctl_ctl/steer_rule.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string_view>

namespace shunt::ctl {
namespace {

constexpr std::string_view kWords = "flow-type, src-ip, dst-ip, src-port, dst-port, action, loc";

// ethtool -N words that mean something to ethtool but that this rule type does not carry yet.
bool is_unsupported_ethtool_word(std::string_view w) {
    static constexpr std::string_view words[] = {
        "m",   "tos", "l4proto", "l4data",  "spi", "vlan-etype", "vlan",   "user-def", "dst-mac",
        "src", "dst", "proto",   "context", "vf",  "queue",      "tclass", "src-ip6",  "dst-ip6"};
    for (auto u : words) {
        if (w == u) return true;
    }
    return false;
}

Result<uint64_t> parse_uint(const std::string& word, const std::string& value, uint64_t max) {
    uint64_t v = 0;
    std::string_view s = value;
    int base = 10;
    if (s.starts_with("0x") || s.starts_with("0X")) {
        s.remove_prefix(2);
        base = 16;
    }
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v > max) {
        return make_error("{} '{}': expected a number from 0 to {}", word, value, max);
    }
    return v;
}

Result<Ipv4Bytes> parse_ipv4(const std::string& word, const std::string& value) {
    in_addr a{};
    if (::inet_pton(AF_INET, value.c_str(), &a) != 1) {
        return make_error("{} '{}': expected an IPv4 address A.B.C.D", word, value);
    }
    Ipv4Bytes b{};
    std::memcpy(b.data(), &a.s_addr, 4);
    return b;
}

std::string ipv4_text(const Ipv4Bytes& b) {
    return fmt::format("{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
}

// Applies WORD VALUE to RULE; SEEN_* track what was given, for the repeat check.
Status apply_word(SteerRule& rule, bool& seen_flow, bool& seen_action, const std::string& word,
                  const std::string& value) {
    if (word == "flow-type") {
        if (value == "tcp4") {
            rule.flow = SteerRule::Flow::tcp4;
        } else if (value == "udp4") {
            rule.flow = SteerRule::Flow::udp4;
        } else {
            return make_error("flow-type '{}': expected tcp4 or udp4", value);
        }
        seen_flow = true;
    } else if (word == "src-ip" || word == "dst-ip") {
        auto ip = parse_ipv4(word, value);
        if (!ip) return ip.error();
        (word == "src-ip" ? rule.src_ip : rule.dst_ip) = ip.value();
    } else if (word == "src-port" || word == "dst-port") {
        auto port = parse_uint(word, value, 65535);
        if (!port) return port.error();
        (word == "src-port" ? rule.src_port : rule.dst_port) = static_cast<uint16_t>(port.value());
    } else if (word == "action") {
        if (value == "drop" || value == "-1") {
            rule.queue.reset();
        } else {
            // ethtool reserves -1 (drop) and -2 (wake-on-LAN) and puts a VF in bits 32-39.
            auto q = parse_uint(word, value, UINT32_MAX);
            if (!q) return make_error("action '{}': expected a queue number or drop", value);
            rule.queue = static_cast<uint32_t>(q.value());
        }
        seen_action = true;
    } else if (word == "loc") {
        // The top of the range is RX_CLS_LOC_SPECIAL's, which only the kernel interprets.
        auto loc = parse_uint(word, value, RX_CLS_LOC_SPECIAL - 1);
        if (!loc) return loc.error();
        rule.location = static_cast<uint32_t>(loc.value());
    }
    return {};
}

bool is_word(std::string_view w) {
    return w == "flow-type" || w == "src-ip" || w == "dst-ip" || w == "src-port" ||
           w == "dst-port" || w == "action" || w == "loc";
}

}  // namespace

Result<SteerRule> parse_steer_rule(const std::vector<std::string>& words) {
    SteerRule rule;
    bool seen_flow = false;
    bool seen_action = false;
    std::vector<std::string> seen;
    for (size_t i = 0; i < words.size(); i += 2) {
        const std::string& w = words[i];
        if (!is_word(w)) {
            if (is_unsupported_ethtool_word(w)) {
                return make_error(
                    "'{}' is an ethtool word that shunt's steering rules do not "
                    "support (supported: {})",
                    w, kWords);
            }
            return make_error("unknown word '{}' (expected one of: {})", w, kWords);
        }
        for (const auto& s : seen) {
            if (s == w) return make_error("'{}' is given twice", w);
        }
        seen.push_back(w);
        if (i + 1 >= words.size()) return make_error("'{}' needs a value", w);
        if (i == 0 && w != "flow-type") {
            return make_error("a rule starts with flow-type tcp4|udp4, not '{}'", w);
        }
        if (auto s = apply_word(rule, seen_flow, seen_action, w, words[i + 1]); !s) {
            return s.error();
        }
    }
    if (!seen_flow) return make_error("missing flow-type tcp4|udp4");
    if (!seen_action) return make_error("missing action N|drop (the queue, or drop)");
    return rule;
}

std::vector<std::string> steer_rule_words(const SteerRule& r) {
    std::vector<std::string> w = {"flow-type", r.flow == SteerRule::Flow::tcp4 ? "tcp4" : "udp4"};
    if (r.src_ip) w.insert(w.end(), {"src-ip", ipv4_text(*r.src_ip)});
    if (r.dst_ip) w.insert(w.end(), {"dst-ip", ipv4_text(*r.dst_ip)});
    if (r.src_port) w.insert(w.end(), {"src-port", std::to_string(*r.src_port)});
    if (r.dst_port) w.insert(w.end(), {"dst-port", std::to_string(*r.dst_port)});
    w.insert(w.end(), {"action", r.queue ? std::to_string(*r.queue) : "drop"});
    if (r.location) w.insert(w.end(), {"loc", std::to_string(*r.location)});
    return w;
}

std::string to_string(const SteerRule& rule) {
    std::string out;
    for (const auto& w : steer_rule_words(rule)) {
        if (!out.empty()) out += ' ';
        out += w;
    }
    return out;
}

ethtool_rx_flow_spec encode_flow_spec(const SteerRule& r) {
    ethtool_rx_flow_spec fs;
    std::memset(&fs, 0, sizeof fs);  // padding included: the bytes go to the kernel as they are
    fs.flow_type = r.flow == SteerRule::Flow::tcp4 ? TCP_V4_FLOW : UDP_V4_FLOW;
    // tcp_ip4_spec and udp_ip4_spec share one layout (ethtool_tcpip4_spec).
    ethtool_tcpip4_spec& h = fs.h_u.tcp_ip4_spec;
    ethtool_tcpip4_spec& m = fs.m_u.tcp_ip4_spec;
    if (r.src_ip) {
        std::memcpy(&h.ip4src, r.src_ip->data(), 4);
        m.ip4src = 0xffffffffu;
    }
    if (r.dst_ip) {
        std::memcpy(&h.ip4dst, r.dst_ip->data(), 4);
        m.ip4dst = 0xffffffffu;
    }
    if (r.src_port) {
        h.psrc = htons(*r.src_port);
        m.psrc = 0xffff;
    }
    if (r.dst_port) {
        h.pdst = htons(*r.dst_port);
        m.pdst = 0xffff;
    }
    fs.ring_cookie = r.queue ? *r.queue : RX_CLS_FLOW_DISC;
    fs.location = r.location ? *r.location : RX_CLS_LOC_ANY;
    return fs;
}

ethtool_rxnfc encode_insert_request(const SteerRule& rule) {
    ethtool_rxnfc nfc;
    std::memset(&nfc, 0, sizeof nfc);
    nfc.cmd = ETHTOOL_SRXCLSRLINS;
    nfc.fs = encode_flow_spec(rule);
    return nfc;
}

Result<SteerRule> decode_flow_spec(const ethtool_rx_flow_spec& fs) {
    SteerRule r;
    const uint32_t type = fs.flow_type & ~(FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS);
    if (type == TCP_V4_FLOW) {
        r.flow = SteerRule::Flow::tcp4;
    } else if (type == UDP_V4_FLOW) {
        r.flow = SteerRule::Flow::udp4;
    } else {
        return make_error("flow type {:#x} is not tcp4 or udp4", type);
    }
    if (fs.flow_type & (FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS)) {
        return make_error("the rule uses VLAN, MAC or RSS-context matching");
    }
    const ethtool_tcpip4_spec& h = fs.h_u.tcp_ip4_spec;
    const ethtool_tcpip4_spec& m = fs.m_u.tcp_ip4_spec;
    auto full32 = [](uint32_t mask) { return mask == 0 || mask == 0xffffffffu; };
    auto full16 = [](uint16_t mask) { return mask == 0 || mask == 0xffff; };
    if (!full32(m.ip4src) || !full32(m.ip4dst) || !full16(m.psrc) || !full16(m.pdst) || m.tos) {
        return make_error("the rule matches partial fields (masks) or TOS");
    }
    if (m.ip4src != 0) std::memcpy(r.src_ip.emplace().data(), &h.ip4src, 4);
    if (m.ip4dst != 0) std::memcpy(r.dst_ip.emplace().data(), &h.ip4dst, 4);
    if (m.psrc != 0) r.src_port = ntohs(h.psrc);
    if (m.pdst != 0) r.dst_port = ntohs(h.pdst);
    if (fs.ring_cookie != RX_CLS_FLOW_DISC) {
        if (fs.ring_cookie > UINT32_MAX) return make_error("the rule's action targets a VF");
        r.queue = static_cast<uint32_t>(fs.ring_cookie);
    }
    if (!(fs.location & RX_CLS_LOC_SPECIAL)) r.location = fs.location;
    return r;
}

}  // namespace shunt::ctl
