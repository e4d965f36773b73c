#include "tools/stats_file.hpp"

#include "ioctl_ctl/undo_log.hpp"
#include "packet/mempool.hpp"
#include "stack/iface/iface_json.hpp"

namespace shunt::tools {

namespace {

// The drops, stack and pool parts both objects share (one owner for their names).
void add_shard_parts(nlohmann::ordered_json& j, Interface& iface,
                     const nlohmann::ordered_json& more_drops) {
    j["drops"] = to_json(iface.drops());
    if (more_drops.is_object()) j["drops"].update(more_drops);
    j["stack"] = to_json(iface);
    // The buffer pool this shard draws from, and the process-wide buffer faults (links that
    // name no buffer, releases of free buffers, saturated counts): all zero in a healthy run.
    const Mempool& pool = iface.tx_pool();
    j["pool"] = {{"size", pool.capacity()},
                 {"in_use", pool.capacity() - pool.available()},
                 {"capacity", pool.capacity()},
                 {"available", pool.available()},
                 {"alloc_failures", pool.alloc_failures()},
                 {"bad_links", Mempool::bad_links()},
                 {"double_frees", Mempool::double_frees()},
                 {"saturated_refs", Mempool::saturated_refs()}};
}

void add_sections(nlohmann::ordered_json& j, const nlohmann::ordered_json& sections) {
    if (sections.is_object()) {
        for (const auto& [key, value] : sections.items()) j[key] = value;
    }
}

}  // namespace

nlohmann::ordered_json shard_json(size_t shard, Interface& iface,
                                  const nlohmann::ordered_json& sections,
                                  const nlohmann::ordered_json& more_drops) {
    nlohmann::ordered_json j;
    j["shard"] = shard;
    j["queue"] = iface.queue();
    add_shard_parts(j, iface, more_drops);
    add_sections(j, sections);
    return j;
}

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
    // Per queue pair (Nic::queue_counters): every queue the NIC has, not only the shards'.
    nlohmann::ordered_json queues = nlohmann::ordered_json::array();
    for (uint16_t q = 0; q < iface.nic().queue_count(); ++q) {
        const QueueCounters c = iface.nic().queue_counters(q);
        queues.push_back({{"queue", q},
                          {"rx_packets", c.rx_packets},
                          {"rx_bytes", c.rx_bytes},
                          {"rx_dropped", c.rx_dropped},
                          {"tx_packets", c.tx_packets},
                          {"tx_bytes", c.tx_bytes},
                          {"tx_dropped", c.tx_dropped}});
    }
    j["nic"]["queues"] = std::move(queues);
    add_shard_parts(j, iface, more_drops);
    add_sections(j, sections);
    j["uptime_ms"] = uptime_ms;
    return j;
}

Status StatsWriter::write(Interface& iface, Instant now, const nlohmann::ordered_json& sections,
                          const nlohmann::ordered_json& more_drops) {
    if (path_.empty()) return {};
    if (!start_) start_ = now;
    return write_json(stats_json(iface, (now - *start_).count() / 1000, sections, more_drops));
}

Status StatsWriter::write_json(const nlohmann::ordered_json& j) {
    if (path_.empty()) return {};
    const std::string json = j.dump() + "\n";
    // A random temp name opened O_EXCL|O_NOFOLLOW next to the file, mode 0644 exactly (the
    // counters are for anyone to read), then renamed over it: a reader never sees half a
    // file, and nobody can plant the temp file or a symlink in its place. No fsync: the
    // file is rewritten every interval and means nothing after a crash.
    ctl::AtomicWrite how;
    how.mode = 0644;
    how.durable = false;
    how.check_dir = false;
    how.make_dirs = false;
    if (auto s = ctl::write_file_atomic(path_, json, how); !s) {
        return make_error("stats file: {}", s.error().message);
    }
    return {};
}

}  // namespace shunt::tools
