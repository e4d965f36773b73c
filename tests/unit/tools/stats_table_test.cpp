// shuntctl stats' rates and table (tools/shuntctl/stats_table.hpp): two samples 2 s apart on
// the daemon's clock give exact rates per NIC, queue and shard, and exact table rows.
#include "tools/shuntctl/stats_table.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace shunt::cli {
namespace {

Json sample(int64_t uptime_ms, uint64_t k, uint64_t q1_rx) {
    // k scales every counter that moves: k = 0 is the first sample, k = 1 the second.
    Json j;
    j["nic"] = {{"name", "tap:shunt0"},
                {"rx_packets", 100 + 2000 * k},
                {"rx_bytes", 10000 + 250000 * k},
                {"tx_packets", 50 + 1000 * k},
                {"tx_bytes", 5000 + 500000 * k},
                {"queues", Json::array({{{"queue", 0},
                                         {"rx_packets", 100 + 2000 * k},
                                         {"rx_bytes", 10000 + 250000 * k},
                                         {"rx_dropped", 1 + 4 * k},
                                         {"tx_packets", 50 + 1000 * k},
                                         {"tx_bytes", 5000 + 500000 * k},
                                         {"tx_dropped", 2 * k}},
                                        {{"queue", 1},
                                         {"rx_packets", q1_rx},
                                         {"rx_bytes", 0},
                                         {"rx_dropped", 0},
                                         {"tx_packets", 0},
                                         {"tx_bytes", 0},
                                         {"tx_dropped", 0}}})}};
    j["drops"] = {{"ipv4_bad_checksum", 2 + 10 * k}, {"tcp_bad_checksum", 0}};
    j["stack"] = {{"ipv4_rx", 90 + 2000 * k}, {"ipv4_tx", 40 + 1000 * k}};
    j["pool"] = {{"size", 1024}, {"in_use", 100 + 156 * k}, {"alloc_failures", 3}};
    j["tcp"] = {{"connections", 4},
                {"passive_opens", 7},
                {"active_opens", 1},
                {"retransmits", 2},
                {"states",
                 {{"LISTEN", 2},
                  {"SYN-SENT", 0},
                  {"SYN-RECEIVED", 0},
                  {"ESTABLISHED", 3},
                  {"FIN-WAIT-1", 0},
                  {"FIN-WAIT-2", 0},
                  {"CLOSE-WAIT", 1},
                  {"CLOSING", 0},
                  {"LAST-ACK", 0},
                  {"TIME-WAIT", 1}}}};
    j["uptime_ms"] = uptime_ms;
    j["shards"] =
        Json::array({{{"shard", 0},
                      {"queue", 0},
                      {"drops", j["drops"]},
                      {"stack", j["stack"]},
                      {"tcp", {{"segments_rx", 10 + 400 * k}, {"segments_tx", 20 + 600 * k}}}}});
    j["capture"] = {{"running", false}};
    j["control"] = {{"clients", 1}};
    return j;
}

const Json kHello = {{"daemon", "shuntd"}, {"pid", 4321}, {"nic", "tap:shunt0"}};

TEST(StatsTable, RatesBetweenTwoSamplesAreExact) {
    // 2 s apart: 2000 frames in -> 1000/s; 250,000 bytes in -> 125,000 B/s = 1 Mbit/s.
    const Json r = stats_rates(sample(1000, 0, 10), sample(3000, 1, 5));
    EXPECT_DOUBLE_EQ(r["interval_s"].get<double>(), 2.0);
    EXPECT_DOUBLE_EQ(r["nic"]["rx_pps"].get<double>(), 1000);
    EXPECT_DOUBLE_EQ(r["nic"]["rx_mbps"].get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(r["nic"]["tx_pps"].get<double>(), 500);
    EXPECT_DOUBLE_EQ(r["nic"]["tx_mbps"].get<double>(), 2.0);
    EXPECT_DOUBLE_EQ(r["nic"]["drops_per_s"].get<double>(), 5);
    ASSERT_EQ(r["queues"].size(), 2U);
    EXPECT_EQ(r["queues"][0]["queue"], 0);
    EXPECT_DOUBLE_EQ(r["queues"][0]["rx_pps"].get<double>(), 1000);
    EXPECT_DOUBLE_EQ(r["queues"][0]["rx_mbps"].get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(r["queues"][0]["tx_pps"].get<double>(), 500);
    EXPECT_DOUBLE_EQ(r["queues"][0]["tx_mbps"].get<double>(), 2.0);
    EXPECT_DOUBLE_EQ(r["queues"][0]["drops_per_s"].get<double>(), 3);  // (4 rx + 2 tx) / 2 s
    // Queue 1's counter went backwards (10 -> 5): 0/s, never negative.
    EXPECT_DOUBLE_EQ(r["queues"][1]["rx_pps"].get<double>(), 0);
    ASSERT_EQ(r["shards"].size(), 1U);
    EXPECT_DOUBLE_EQ(r["shards"][0]["ipv4_rx_pps"].get<double>(), 1000);
    EXPECT_DOUBLE_EQ(r["shards"][0]["ipv4_tx_pps"].get<double>(), 500);
    EXPECT_DOUBLE_EQ(r["shards"][0]["tcp_segments_rx_ps"].get<double>(), 200);
    EXPECT_DOUBLE_EQ(r["shards"][0]["tcp_segments_tx_ps"].get<double>(), 300);
    EXPECT_DOUBLE_EQ(r["shards"][0]["drops_per_s"].get<double>(), 5);
    EXPECT_EQ(r["drops_per_s"], Json({{"ipv4_bad_checksum", 5.0}}));  // the non-zero ones
}

TEST(StatsTable, RowsAreExact) {
    const Json b = sample(3'723'000, 1, 5);  // up 1 h 2 min 3 s
    const Json r = stats_rates(sample(3'721'000, 0, 10), b);
    const std::string expected =
        "shuntd pid 4321 on tap:shunt0   up 01:02:03   rates over 2.0 s\n"
        "                         rx pkt/s  rx Mbit/s   tx pkt/s  tx Mbit/s    drops/s\n"
        "nic tap:shunt0               1000       1.00        500       2.00          5\n"
        " queue 0                     1000       1.00        500       2.00          3\n"
        " queue 1                        0       0.00          0       0.00          0\n"
        " shard 0 (queue 0) ip        1000                   500                     5\n"
        "  tcp segments                200                   300\n"
        "\n"
        "drops by reason                              total          per s\n"
        "  ipv4_bad_checksum                             12              5\n"
        "\n"
        "tcp states: LISTEN 2  ESTABLISHED 3  CLOSE-WAIT 1  TIME-WAIT 1\n"
        "tcp: 4 connections; opened 7 passive, 1 active; 2 retransmits\n"
        "buffers: 256 of 1024 in use (25%), 3 allocation failures\n"
        "control: 1 client(s); capture off\n";
    EXPECT_EQ(stats_table(kHello, b, r), expected);
}

TEST(StatsTable, EveryLineFits80ColumnsEvenWithLongNamesAndAllStates) {
    Json a = sample(0, 0, 0);
    Json b = sample(1000, 1, 0);
    b["nic"]["name"] = "pci:0000:03:00.0-with-a-very-long-name-indeed";
    for (auto& [k, v] : b["tcp"]["states"].items()) v = 123456789;
    b["drops"]["a_drop_reason_with_a_name_far_longer_than_the_column"] = 99999999999;
    Json hello = kHello;
    hello["nic"] = b["nic"]["name"];
    const std::string t = stats_table(hello, b, stats_rates(a, b));
    std::istringstream in(t);
    std::string line;
    size_t lines = 0;
    while (std::getline(in, line)) {
        ++lines;
        EXPECT_LE(line.size(), kStatsTableWidth) << line;
    }
    EXPECT_GT(lines, 15U);
    EXPECT_NE(t.find("TIME-WAIT 123456789"), std::string::npos) << t;  // wrapped, not cut
}

TEST(StatsTable, NoStatesSaysNone) {
    Json b = sample(1000, 0, 0);
    for (auto& [k, v] : b["tcp"]["states"].items()) v = 0;
    EXPECT_NE(stats_table(kHello, b, stats_rates(b, b)).find("tcp states: none\n"),
              std::string::npos);
}

}  // namespace
}  // namespace shunt::cli
