// Writes the daemon's counters as one JSON object, atomically (temp file + rename), so a
// reader never sees half a file. Its first appearance means the daemon is ready.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "stack/iface/interface.hpp"

#include <string>
#include <string_view>

namespace shunt::tools {

// `extra` is more members for the top-level object, each followed by a comma (e.g. the TCP
// section, `"tcp":{...},`), or empty.
std::string stats_json(Interface& iface, int64_t uptime_ms, std::string_view extra = {});

class StatsWriter {
  public:
    explicit StatsWriter(std::string path) : path_(std::move(path)) {}
    Status write(Interface& iface, Instant now, std::string_view extra = {});

  private:
    std::string path_;
    std::optional<Instant> start_;
};

}  // namespace shunt::tools
