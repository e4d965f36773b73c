// Writes the daemon's counters as one JSON object, atomically (temp file + rename), so a
// reader never sees half a file. Its first appearance means the daemon is ready.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "stack/iface/interface.hpp"

#include <string>

namespace shunt::tools {

std::string stats_json(Interface& iface, int64_t uptime_ms);

class StatsWriter {
  public:
    explicit StatsWriter(std::string path) : path_(std::move(path)) {}
    Status write(Interface& iface, Instant now);

  private:
    std::string path_;
    std::optional<Instant> start_;
};

}  // namespace shunt::tools
