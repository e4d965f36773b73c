#include "tools/stats_file.hpp"

#include "packet/mempool.hpp"
#include "stack/iface/iface_json.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace shunt::tools {

nlohmann::ordered_json stats_json(Interface& iface, int64_t uptime_ms,
                                  const nlohmann::ordered_json& sections,
                                  const nlohmann::ordered_json& more_drops) {
    const NicCounters n = iface.nic().counters();
    nlohmann::ordered_json j;
    j["nic"] = {{"name", iface.nic().name()},      {"rx_packets", n.rx_packets},
                {"rx_bytes", n.rx_bytes},          {"tx_packets", n.tx_packets},
                {"tx_bytes", n.tx_bytes},          {"rx_dropped", n.rx_dropped},
                {"tx_dropped", n.tx_dropped},      {"rx_errors", n.rx_errors},
                {"tx_errors", n.tx_errors},        {"rx_copy_bytes", n.rx_copy_bytes},
                {"tx_copy_bytes", n.tx_copy_bytes}};
    j["drops"] = to_json(iface.drops());
    if (more_drops.is_object()) j["drops"].update(more_drops);
    j["stack"] = to_json(iface);
    // The buffer pool this shard draws from, and the process-wide buffer faults (links that
    // name no buffer, releases of free buffers, saturated counts): all zero in a healthy run.
    const Mempool& pool = iface.tx_pool();
    j["pool"] = {{"capacity", pool.capacity()},
                 {"available", pool.available()},
                 {"alloc_failures", pool.alloc_failures()},
                 {"bad_links", Mempool::bad_links()},
                 {"double_frees", Mempool::double_frees()},
                 {"saturated_refs", Mempool::saturated_refs()}};
    if (sections.is_object()) {
        for (const auto& [key, value] : sections.items()) j[key] = value;
    }
    j["uptime_ms"] = uptime_ms;
    return j;
}

Status StatsWriter::write(Interface& iface, Instant now, const nlohmann::ordered_json& sections,
                          const nlohmann::ordered_json& more_drops) {
    if (path_.empty()) return {};
    if (!start_) start_ = now;
    const std::string json =
        stats_json(iface, (now - *start_).count() / 1000, sections, more_drops).dump() + "\n";
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
