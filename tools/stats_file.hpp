// Writes the daemon's counters as one JSON object, atomically (temp file + rename), so a
// reader never sees half a file. Its first appearance means the daemon is ready.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "stack/iface/interface.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace shunt::tools {

// The whole file: "nic", "drops" (the interface's reasons, then `more_drops`: the other
// layers', e.g. TCP's), "stack", then each of `sections` (e.g. "tcp"), then "uptime_ms";
// each layer gives its own part (iface_json.hpp, tcp_json.hpp).
nlohmann::ordered_json stats_json(Interface& iface, int64_t uptime_ms,
                                  const nlohmann::ordered_json& sections = {},
                                  const nlohmann::ordered_json& more_drops = {});

// One shard's part (its Interface on one NIC queue, its TCP): "shard", "queue", "drops",
// "stack", "pool", then each of `sections`. The control socket's stats reply lists one per
// shard under "shards"; the stats file's top level is the same data for the first shard.
nlohmann::ordered_json shard_json(size_t shard, Interface& iface,
                                  const nlohmann::ordered_json& sections = {},
                                  const nlohmann::ordered_json& more_drops = {});

class StatsWriter {
  public:
    explicit StatsWriter(std::string path) : path_(std::move(path)) {}
    Status write(Interface& iface, Instant now, const nlohmann::ordered_json& sections = {},
                 const nlohmann::ordered_json& more_drops = {});
    // The whole object as the caller made it (shuntd: every shard's counters).
    Status write_json(const nlohmann::ordered_json& j);

  private:
    std::string path_;
    std::optional<Instant> start_;
};

}  // namespace shunt::tools
