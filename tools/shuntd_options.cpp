#include "tools/shuntd_options.hpp"

#include <CLI/CLI.hpp>

namespace shunt::tools {

void add_shuntd_options(CLI::App& app, ShuntdOptions& o) {
    app.add_option("--nic", o.nic,
                   "NIC to run on: tap:NAME (created if missing) or pci:DDDD:BB:DD.F (bound to "
                   "vfio-pci; e1000/e1000e/igb/ixgbe)");
    app.add_option("--ip", o.ip, "our address and prefix, A.B.C.D/LEN");
    app.add_option("--gateway", o.gateway, "default gateway A.B.C.D");
    app.add_option("--mac", o.mac, "our MAC for tap: (default: derived from the name)");
    app.add_option("--mtu", o.mtu, "MTU (576-1500)");
    app.add_option("--queues", o.queues,
                   "queue pairs, one shard (Stack and thread) each: 1-16 (tap: a multi-queue TAP; "
                   "pci: RSS spreads flows)");
    app.add_option("--log-level", o.log_level, "debug|info|warn|error")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    app.add_option("--stats-file", o.stats_file, "write JSON counters here (atomically)");
    app.add_option("--control", o.control,
                   "control socket (docs/control.md; default /run/shunt/NIC.sock, e.g. "
                   "/run/shunt/tap-shunt0.sock)");
    app.add_option(
        "--control-group", o.control_group,
        "group of the control and app sockets (mode 0660; default: 'shunt' if it exists)");
    app.add_flag("--no-control", o.no_control, "no control socket");
    app.add_option("--stats-interval-ms", o.stats_interval_ms, "stats file period")
        ->check(CLI::Range(10u, 3'600'000u));
    app.add_flag("--no-udp-echo", o.no_udp_echo, "do not serve UDP echo on port 7");
    app.add_flag("--no-tcp-echo", o.no_tcp_echo, "do not serve TCP echo on port 7");
    app.add_flag("--no-tcp-discard", o.no_tcp_discard, "do not serve TCP discard on port 9");
    app.add_option("--http", o.http_port,
                   "serve HTTP/1.1 on this TCP port: GET /bytes/N, POST /sink (see README)")
        ->check(CLI::Range(1, 65535));
    add_pci_flags(app, o.pci);
    app.add_flag("--promiscuous", o.promiscuous, "pci: receive every frame on the wire");
    app.add_option("--app-socket", o.app_socket,
                   "Unix socket applications attach to (libshunt --attach; mode 0660, peers "
                   "identified by SO_PEERCRED); default /run/shunt/<instance>.apps, 'none': off");
    app.add_option("--duration", o.duration_s, "exit after this many seconds")
        ->check(CLI::NonNegativeNumber);
    // Per-peer limits (docs/limits-peer.md); 0 turns a limit off.
    ShuntdOptions::PeerLimits& pl = o.peer;
    app.add_option("--header-timeout", pl.header_timeout_s,
                   "HTTP: seconds to complete a request header (default 10)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--idle-timeout", pl.idle_timeout_s,
                   "HTTP: seconds a keep-alive connection may wait for a request (default 60)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--stream-idle-timeout", pl.stream_idle_timeout_s,
                   "echo/discard: seconds without a byte either way (default 60)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--close-grace", pl.close_grace_s,
                   "seconds after a timeout's FIN before the connection is reset (default 5)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--max-per-source", pl.max_per_source,
                   "TCP connections from one IPv4 address (default 1024)");
    app.add_option("--challenge-ack-limit", pl.challenge_ack_limit,
                   "RFC 5961 challenge ACKs per second, all connections (default 1000)");
    app.add_option("--invalid-ack-interval-ms", pl.invalid_ack_interval_ms,
                   "per connection: one ACK to invalid segments per interval (default 500)");
    app.add_option("--rst-limit", pl.rst_limit,
                   "RSTs per second for segments to no connection (default 1000)");
    app.add_option("--rst-burst", pl.rst_burst, "burst of --rst-limit (default 100)");
    app.add_flag("--accept-martians", pl.accept_martians,
                 "do not drop 0/8, 127/8, own-address and 240/4 sources");
    // Buffer budget (docs/limits-peer.md "Limits and budgets"): percentages of the pool; a
    // share of 0 turns that bound off.
    auto percent = CLI::Range(0u, 100u);
    app.add_option("--reserve-percent", pl.reserve_percent,
                   "pool kept free for RX refill, ACKs, ARP, ICMP (default 10)")
        ->check(percent);
    app.add_option("--pressure-percent", pl.pressure_percent,
                   "free pool below this is pressure (default 25)")
        ->check(percent);
    app.add_option("--tcp-socket-rx-share", pl.tcp_socket_rx_share,
                   "% of the pool one TCP receive queue may hold (default 10)")
        ->check(percent);
    app.add_option("--tcp-ooo-share", pl.tcp_ooo_share,
                   "% of the pool all out-of-order queues may hold (default 20)")
        ->check(percent);
    app.add_option("--tcp-socket-tx-share", pl.tcp_socket_tx_share,
                   "% of the pool one TCP send queue may hold (default 10)")
        ->check(percent);
    app.add_option("--tcp-tx-share", pl.tcp_tx_share,
                   "% of the pool all TCP send queues may hold (default 50)")
        ->check(percent);
    app.add_option("--reassembly-share", pl.reassembly_share,
                   "% of the pool IPv4 reassembly may hold (default 10)")
        ->check(percent);
    app.add_option("--neighbor-share", pl.neighbor_share,
                   "% of the pool frames waiting for ARP may hold (default 5)")
        ->check(percent);
    app.add_option("--udp-socket-share", pl.udp_socket_share,
                   "% of the pool one UDP socket's queue may hold (default 10)")
        ->check(percent);
    app.add_option("--zero-window-timeout", pl.zero_window_timeout_s,
                   "under buffer pressure, abort connections stuck this many seconds at a zero "
                   "window (default 60, 0: never)")
        ->check(CLI::NonNegativeNumber);
    app.add_flag("--no-buffer-budget", pl.no_buffer_budget,
                 "no reserve, shares or pressure level (only to show what the budget prevents)");
    // The config file (docs/service.md): its keys are the options above; these two are not keys.
    app.add_option("--config", o.config_path,
                   "read options from this file (KEY = VALUE, keys are the long options without "
                   "--; the command line wins)");
    app.add_flag("--check-config", o.check_config,
                 "check the options and --config, print 'ok' and exit (2 on bad input)");
    app.footer(
        "--nic and --ip are required, on the command line or in --config.\n"
        "Example:\n  shuntd --nic tap:shunt0 --ip 10.77.0.2/24 --stats-file /run/shuntd.json\n"
        "  shuntd --config /etc/shunt/NAME.conf        (the shuntd@NAME systemd unit)");
}

}  // namespace shunt::tools
