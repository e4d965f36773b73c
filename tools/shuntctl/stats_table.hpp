// shuntctl stats' arithmetic and layout, apart from the socket (cmd_stats.cpp), so a unit test
// can hold it exact: two `stats` replies of shuntd (docs/control.md) -> the rates between them
// -> the table `--watch` redraws, every line at most 80 columns.
#pragma once

#include "tools/shuntctl/json.hpp"

#include <string>

namespace shunt::cli {

// The widest line stats_table() writes.
inline constexpr size_t kStatsTableWidth = 80;

// The rates between two samples, a taken before b, over the daemon's own clock (uptime_ms):
// what `--json --watch` prints under "rates". interval_s; nic (rx_pps, rx_mbps, tx_pps, tx_mbps,
// drops_per_s); queues (one per nic.queues[] entry: queue, rx_pps, rx_mbps, tx_pps, tx_mbps,
// drops_per_s); shards (shard, queue, ipv4_rx_pps, ipv4_tx_pps, tcp_segments_rx_ps,
// tcp_segments_tx_ps, drops_per_s); drops_per_s by reason (the non-zero ones). A counter that
// went backwards (a restarted daemon) counts as 0/s, never negative.
Json stats_rates(const Json& a, const Json& b);

// The table for sample b and its rates r (from stats_rates), hello being the daemon's `hello`
// reply: lines ended by '\n', none wider than kStatsTableWidth. Rates per NIC, queue and
// shard; drops by reason with total and per second; connections per TCP state (the non-zero
// ones); buffer pool use; control clients and capture.
std::string stats_table(const Json& hello, const Json& b, const Json& r);

}  // namespace shunt::cli
