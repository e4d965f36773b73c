#include "tools/stats_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace shunt::tools {

std::string stats_json(Interface& iface, int64_t uptime_ms, std::string_view extra) {
    const NicCounters n = iface.nic().counters();
    std::string out = fmt::format(
        R"({{"nic":{{"name":"{}","rx_packets":{},"rx_bytes":{},"tx_packets":{},"tx_bytes":{},)"
        R"("rx_dropped":{},"tx_dropped":{},"rx_errors":{},"tx_errors":{},"rx_copy_bytes":{},)"
        R"("tx_copy_bytes":{}}},"drops":{{)",
        iface.nic().name(), n.rx_packets, n.rx_bytes, n.tx_packets, n.tx_bytes, n.rx_dropped,
        n.tx_dropped, n.rx_errors, n.tx_errors, n.rx_copy_bytes, n.tx_copy_bytes);
    for (size_t i = 0; i < kDropReasonCount; ++i) {
        out += fmt::format(R"({}"{}":{})", i == 0 ? "" : ",", kDropReasonNames[i],
                           iface.drops().by_reason[i]);
    }
    const StackCounters& s = iface.counters();
    out += fmt::format(R"(}},"stack":{{"ipv4_rx":{},"ipv4_tx":{},"arp_rx":{},"arp_tx":{},)"
                       R"("icmp_echo_replies":{},"icmp_errors_tx":{},"udp_rx":{},"udp_tx":{},)"
                       R"("frag_reassembled":{},"frag_tx":{},"tx_copy_bytes":{},"neighbors":{}}},)"
                       R"({}"uptime_ms":{}}})"
                       "\n",
                       s.ipv4_rx, s.ipv4_tx, s.arp_rx, s.arp_tx, s.icmp_echo_replies,
                       s.icmp_errors_tx, s.udp_rx, s.udp_tx, s.frag_reassembled, s.frag_tx,
                       s.tx_copy_bytes, iface.neighbors().size(), extra, uptime_ms);
    return out;
}

Status StatsWriter::write(Interface& iface, Instant now, std::string_view extra) {
    if (path_.empty()) return {};
    if (!start_) start_ = now;
    const std::string json = stats_json(iface, (now - *start_).count() / 1000, extra);
    const std::string tmp = path_ + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr) return make_error("stats file {}: {}", tmp, std::strerror(errno));
    const bool ok = std::fwrite(json.data(), 1, json.size(), f) == json.size();
    if (std::fclose(f) != 0 || !ok) {
        return make_error("stats file {}: write failed: {}", tmp, std::strerror(errno));
    }
    if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
        return make_error("stats file {}: rename: {}", path_, std::strerror(errno));
    }
    return {};
}

}  // namespace shunt::tools
