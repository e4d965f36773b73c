// shuntd's command line, apart from its main so that a unit test can walk the options
// (tests/unit/tools/shuntd_options_test.cpp: every option is a config-file key, docs/service.md
// lists each one).
#pragma once

#include "tools/nic_spec.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace shunt::tools {

inline constexpr const char* kShuntdDescription =
    "shuntd: the shunt stack daemon (ARP, IPv4, ICMP echo, UDP echo on 7, TCP echo on 7, "
    "discard on 9, HTTP with --http)";

struct ShuntdOptions {
    std::string nic;
    std::string ip;
    std::string gateway;
    std::string mac;
    uint16_t mtu = 1500;
    uint16_t queues = 1;  // shards: one Stack and one thread per NIC queue pair
    std::string log_level = "info";
    std::string stats_file;
    std::string control;  // empty: control::default_socket_path(nic)
    std::string control_group;
    bool no_control = false;
    uint32_t stats_interval_ms = 1000;
    bool no_udp_echo = false;
    uint16_t http_port = 0;  // 0: no HTTP service
    bool no_tcp_echo = false;
    bool no_tcp_discard = false;
    double duration_s = 0;
    shunt::tools::PciFlags pci;
    bool promiscuous = false;
    // Attached apps (docs/libshunt.md): "" is /run/shunt/<instance>.apps, "none" is off.
    std::string app_socket;
    // Per-peer limits (issue 11, docs/limits-peer.md); defaults are the config structs'.
    struct PeerLimits {
        double header_timeout_s = -1;  // < 0: the default
        double idle_timeout_s = -1;
        double stream_idle_timeout_s = -1;
        double close_grace_s = -1;
        std::optional<uint32_t> max_per_source;
        std::optional<uint32_t> challenge_ack_limit;
        std::optional<uint32_t> invalid_ack_interval_ms;
        std::optional<uint32_t> rst_limit;
        std::optional<uint32_t> rst_burst;
        bool accept_martians = false;
        // Buffer budget (issue 11, docs/limits-peer.md): percentages of the packet pool.
        std::optional<uint32_t> reserve_percent, pressure_percent, tcp_socket_rx_share,
            tcp_ooo_share, tcp_socket_tx_share, tcp_tx_share, reassembly_share, neighbor_share,
            udp_socket_share;
        double zero_window_timeout_s = -1;
        bool no_buffer_budget = false;
    } peer;
    // Not config keys (kShuntdNotConfigKeys): the file itself, and checking it.
    std::string config_path;
    bool check_config = false;
};

// The options that are not config-file keys, besides --help: the short documented list
// (docs/service.md). Every other option of add_shuntd_options() is a key.
inline const std::vector<std::string> kShuntdNotConfigKeys = {"config", "check-config"};

// Adds every shuntd option (and the help footer) to APP, bound to O.
void add_shuntd_options(CLI::App& app, ShuntdOptions& o);

}  // namespace shunt::tools
