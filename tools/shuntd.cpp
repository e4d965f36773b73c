// shuntd: the stack daemon. Runs the shunt stack on one NIC, one shard per queue pair
// (tools/shuntd_shard.hpp), and serves built-in services (UDP echo on port 7, TCP echo,
// discard, HTTP). Only the loops read the clock; a stack is driven by poll(now).
#include "base/log.hpp"
#include "base/time.hpp"
#include "lib/attach/server.hpp"
#include "stack/stack.hpp"
#include "stack/tcp/tcp_json.hpp"
#include "stack/tcp_services.hpp"
#include "tools/config_file.hpp"
#include "tools/control/commands.hpp"
#include "tools/control/server.hpp"
#include "tools/journal_stream.hpp"
#include "tools/nic_spec.hpp"
#include "tools/service_notify.hpp"
#include "tools/shuntd_options.hpp"
#include "tools/shuntd_shard.hpp"
#include "tools/stack_loop.hpp"
#include "tools/stats_file.hpp"
#include "tools/tool_main.hpp"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

namespace {

using Options = shunt::tools::ShuntdOptions;

constexpr uint32_t kNicEvent = 1;
constexpr uint32_t kControlEvent = 2;
constexpr uint32_t kWakeEvent = 3;
constexpr shunt::Duration kControlPeriod = std::chrono::milliseconds(10);

int fail(int code, const std::string& message) {
    return shunt::tools::fail("shuntd", code, message);
}

struct Config {
    shunt::InterfaceConfig iface;
    shunt::tools::NicOptions nic;
    shunt::tcp::TcpConfig tcp;
    shunt::app::HttpServerConfig http;
    shunt::app::ServiceTimeouts timeouts;
};

// Seconds (fractions allowed) from the command line; a negative value keeps the default.
void set_seconds(double s, shunt::Duration& d) {
    if (s >= 0) d = shunt::Duration(static_cast<int64_t>(s * 1e6));
}

void apply_peer_limits(const Options::PeerLimits& p, Config& c) {
    set_seconds(p.header_timeout_s, c.http.header_timeout);
    set_seconds(p.idle_timeout_s, c.http.idle_timeout);
    set_seconds(p.stream_idle_timeout_s, c.timeouts.stream_idle);
    set_seconds(p.close_grace_s, c.timeouts.close_grace);
    if (p.max_per_source) c.tcp.max_per_source = *p.max_per_source;
    if (p.challenge_ack_limit) c.tcp.challenge_ack_limit = *p.challenge_ack_limit;
    if (p.invalid_ack_interval_ms) {
        c.tcp.invalid_ack_interval = std::chrono::milliseconds(*p.invalid_ack_interval_ms);
    }
    if (p.rst_limit) c.tcp.rst_limit = *p.rst_limit;
    if (p.rst_burst) c.tcp.rst_burst = *p.rst_burst;
    c.iface.drop_martian_sources = !p.accept_martians;
    shunt::BudgetConfig& b = c.iface.budget;
    b.enabled = !p.no_buffer_budget;
    for (auto [from, to] : {std::pair{&p.reserve_percent, &b.reserve_percent},
                            {&p.pressure_percent, &b.pressure_percent},
                            {&p.tcp_socket_rx_share, &b.tcp_socket_rx_percent},
                            {&p.tcp_ooo_share, &b.tcp_ooo_percent},
                            {&p.tcp_socket_tx_share, &b.tcp_socket_tx_percent},
                            {&p.tcp_tx_share, &b.tcp_tx_percent},
                            {&p.reassembly_share, &b.reassembly_percent},
                            {&p.neighbor_share, &b.neighbor_percent},
                            {&p.udp_socket_share, &b.udp_socket_percent}}) {
        if (*from) *to = **from;
    }
    set_seconds(p.zero_window_timeout_s, c.tcp.zero_window_timeout);
}

std::optional<std::string> build_config(const Options& o, Config& c) {
    auto cidr = shunt::wire::Ipv4Cidr::parse(o.ip);
    if (!cidr || cidr->prefix_len == 0 || cidr->prefix_len > 30) {
        return fmt::format("--ip '{}': expected A.B.C.D/LEN with LEN 1-30", o.ip);
    }
    c.iface.address = *cidr;
    if (!o.gateway.empty()) {
        auto gw = shunt::wire::Ipv4Addr::parse(o.gateway);
        if (!gw) return fmt::format("--gateway '{}': expected A.B.C.D", o.gateway);
        if (!cidr->contains(*gw)) {
            return fmt::format("--gateway {} is not inside {}", o.gateway, o.ip);
        }
        c.iface.gateway = *gw;
    }
    if (!o.mac.empty()) {
        auto mac = shunt::MacAddr::parse(o.mac);
        if (!mac || !mac->is_unicast() || mac->is_zero()) {
            return fmt::format("--mac '{}': expected a unicast aa:bb:cc:dd:ee:ff", o.mac);
        }
        c.nic.mac = *mac;
    }
    if (o.mtu < 576 || o.mtu > 1500) return fmt::format("--mtu {}: expected 576-1500", o.mtu);
    c.nic.mtu = o.mtu;
    if (o.queues < 1 || o.queues > 16) return fmt::format("--queues {}: expected 1-16", o.queues);
    c.nic.queues = o.queues;
    if (o.queues > 1 && !o.app_socket.empty() && o.app_socket != "none") {
        return "--app-socket: attached apps need --queues 1 (RSS would spread their flows over "
               "every shard; they run on shard 0)";
    }
    shunt::tools::apply_pci_flags(o.pci, c.nic.pci);
    c.nic.pci.promiscuous = o.promiscuous;
    c.iface.mtu = o.mtu;
    apply_peer_limits(o.peer, c);
    return std::nullopt;
}

// The default app socket: /run/shunt/<instance>.apps, the instance being the NIC's name
// (tap:shunt0 -> shunt0, pci:0000:03:00.0 -> 0000_03_00.0).
std::string default_app_socket(const std::string& nic) {
    std::string instance = nic.substr(nic.find(':') + 1);
    for (char& ch : instance) {
        if (ch == ':' || ch == '/') ch = '_';
    }
    return "/run/shunt/" + instance + ".apps";
}

// Adds the numbers of `from` into `into`, key by key, recursively (other values: into's).
// Keys in `skip` are left alone (process-wide counters every shard reports alike).
void add_counts(nlohmann::ordered_json& into, const nlohmann::ordered_json& from) {
    static constexpr std::array<std::string_view, 3> kProcessWide = {"bad_links", "double_frees",
                                                                     "saturated_refs"};
    if (!into.is_object() || !from.is_object()) return;
    for (const auto& [key, value] : from.items()) {
        if (std::find(kProcessWide.begin(), kProcessWide.end(), key) != kProcessWide.end()) {
            continue;
        }
        auto it = into.find(key);
        if (it == into.end()) continue;
        if (it->is_number_unsigned() && value.is_number_unsigned()) {
            *it = it->get<uint64_t>() + value.get<uint64_t>();
        } else if (it->is_number_integer() && value.is_number_integer()) {
            *it = it->get<int64_t>() + value.get<int64_t>();
        } else if (it->is_object()) {
            add_counts(*it, value);
        }
    }
}

int run(const Options& o, const Config& c) {
    // systemd's Type=notify (docs/service.md); does nothing outside systemd.
    shunt::tools::ServiceNotifier notifier;
    notifier.status(fmt::format("starting on {}", o.nic));
    auto nic = shunt::tools::open_nic(o.nic, c.nic);
    if (!nic) return fail(1, nic.error().message);
    if ((*nic)->queue_count() < c.nic.queues) {
        return fail(1, fmt::format("--queues {}: {} has {} queue pair(s)", c.nic.queues,
                                   (*nic)->name(), (*nic)->queue_count()));
    }
    shunt::InterfaceConfig iface_cfg = c.iface;
    iface_cfg.mac = (*nic)->mac();
    shunt::tcp::TcpConfig tcp_cfg = c.tcp;
    // Send queues and received frames share the shard's pool: keep half of it for reception.
    tcp_cfg.max_send_buffers = (*nic)->tx_pool(0).capacity() / 2;
    shunt::tools::ShardServices services;
    services.udp_echo = !o.no_udp_echo;
    if (o.no_tcp_echo) services.ports.echo.reset();
    if (o.no_tcp_discard) services.ports.discard.reset();
    if (o.http_port != 0) services.ports.http = o.http_port;
    services.http = c.http;
    services.timeouts = c.timeouts;
    // One shard per queue pair (docs/architecture.md): a Stack with the built-in services
    // inside its poll. Shard 0 runs on this thread, the others on their own.
    std::vector<std::unique_ptr<shunt::tools::ShuntdShard>> shards;
    for (uint16_t q = 0; q < c.nic.queues; ++q) {
        auto shard = shunt::tools::ShuntdShard::start(q, **nic, q, iface_cfg, tcp_cfg, services);
        if (!shard) return fail(1, shard.error().message);
        shards.push_back(std::move(shard).value());
    }
    for (auto& s : shards) {
        std::vector<shunt::tools::ShuntdShard*> peers;
        for (auto& p : shards) {
            if (p != s) peers.push_back(p.get());
        }
        s->set_peers(std::move(peers));
    }
    shunt::tools::ShuntdShard& first = *shards.front();
    shunt::Stack& stack = first.stack();
    shunt::Interface& iface = stack.iface();

    // Applications attached over shared memory (docs/libshunt.md); served inside shard 0's
    // poll. Not with more shards: RSS spreads an app's flows over all of them.
    std::unique_ptr<shunt::attach::Server> apps;
    if (o.app_socket != "none" && shards.size() > 1) {  // a named socket: refused by build_config
        shunt::log::info("no attached apps with {} shards (they need --queues 1)", shards.size());
    } else if (o.app_socket != "none") {
        shunt::attach::ServerConfig ac;
        ac.socket_path = o.app_socket.empty() ? default_app_socket(o.nic) : o.app_socket;
        ac.socket_group = o.control_group;
        auto started = shunt::attach::Server::start(stack, ac);
        if (!started) {
            // The default path is a convenience (a daemon without /run access still serves);
            // a path the operator named must work.
            if (!o.app_socket.empty()) return fail(1, started.error().message);
            shunt::log::warn("no attached apps: {}", started.error().message);
        } else {
            apps = std::move(started).value();
            shunt::log::info("apps attach on {}", ac.socket_path);
        }
    }

    const auto start = shunt::Instant::now();
    // The stats file's and the control socket's object (docs/control.md): the NIC, every
    // shard's counters summed at the top level, and one section per shard (shard 0 live, the
    // others as they last published, at most ShuntdShard::kPublishPeriod old).
    auto all_stats = [&](shunt::Instant now) {
        auto j = first.live_json();
        const nlohmann::ordered_json sections{{"tcp", j.at("tcp")}};
        auto top =
            shunt::tools::stats_json(iface, (now - start).count() / 1000, sections, j.at("drops"));
        auto list = nlohmann::ordered_json::array({std::move(j)});
        for (size_t i = 1; i < shards.size(); ++i) {
            auto snap = shards[i]->snapshot();
            for (const char* part : {"drops", "stack", "pool", "tcp"}) {
                if (snap.contains(part)) add_counts(top[part], snap[part]);
            }
            list.push_back(std::move(snap));
        }
        top["shards"] = std::move(list);
        return top;
    };
    shunt::tools::StatsWriter stats(o.stats_file);
    shunt::control::DaemonHooks hooks;
    hooks.nic = o.nic;
    hooks.stats = [&] { return all_stats(shunt::Instant::now()); };
    // Every shard installs the tap itself, between its polls; a tap is not freed until every
    // shard has let go of it.
    hooks.set_tap = [&](shunt::FrameTap* tap) {
        for (auto& s : shards) s->want_tap(tap);
        first.take_mail();
        const auto deadline = shunt::Instant::now() + std::chrono::seconds(2);
        for (auto& s : shards) {
            while (!s->has_tap(tap) && shunt::Instant::now() < deadline) {
                const timespec ms{0, 1'000'000};
                ::nanosleep(&ms, nullptr);
            }
            if (!s->has_tap(tap)) {
                shunt::log::error("shard {} did not take the capture change in 2 s", s->index());
            }
        }
    };
    shunt::control::ControlCommands commands(std::move(hooks));
    std::unique_ptr<shunt::control::ControlServer> control;
    if (!o.no_control) {
        shunt::control::ServerOptions so;
        so.path = o.control.empty() ? shunt::control::default_socket_path(o.nic) : o.control;
        so.group = o.control_group;
        auto server = shunt::control::ControlServer::open(so, commands);
        if (server) {
            control = std::move(server.value());
            commands.set_server(control.get());
            shunt::log::info("control socket {}", so.path);
        } else if (!o.control.empty() || !o.control_group.empty()) {
            return fail(1, server.error().message);
        } else {
            // The default place may be unwritable (not root): run without, say so.
            shunt::log::warn("{}; running without a control socket (--control PATH)",
                             server.error().message);
        }
    }
    auto write_stats = [&](shunt::Instant now) {
        if (o.stats_file.empty()) return shunt::Status{};
        return stats.write_json(all_stats(now));
    };
    if (auto w = write_stats(start); !w) return fail(1, w.error().message);
    const auto& ports = services.ports;
    shunt::log::info("serving {} on {} (mac {}, mtu {}){}{}{}{}{}", iface_cfg.address.to_string(),
                     (*nic)->name(), iface_cfg.mac.to_string(), iface_cfg.mtu,
                     shards.size() > 1 ? fmt::format(", {} shards", shards.size()) : "",
                     first.udp_echo() ? ", udp echo on 7" : "", ports.echo ? ", tcp echo on 7" : "",
                     ports.discard ? ", tcp discard on 9" : "",
                     ports.http ? fmt::format(", http on {}", *ports.http) : "");

    // The other shards' loops; they stop when `stop_shards` is set (below, on every way out).
    std::atomic<bool> stop_shards{false};
    std::atomic<bool> shards_send_rsts{true};
    for (size_t i = 1; i < shards.size(); ++i) shards[i]->run_thread(stop_shards, shards_send_rsts);
    struct StopShards {
        std::vector<std::unique_ptr<shunt::tools::ShuntdShard>>& shards;
        std::atomic<bool>& stop;
        ~StopShards() {
            stop.store(true, std::memory_order_release);
            for (auto& s : shards) s->wake();
            for (auto& s : shards) s->join();
        }
    } stop_guard{shards, stop_shards};

    // Ready: the NIC is up, the stacks and their services run, the control socket listens
    // (it is served from the loop below, its backlog holds a client until then).
    const std::string serving =
        fmt::format("serving {} on {}", iface_cfg.address.to_string(), (*nic)->name());
    notifier.ready(serving);
    constexpr shunt::Duration kStatusPeriod = std::chrono::seconds(10);
    auto next_status = start + kStatusPeriod;

    const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
    shunt::UniqueFd ep(epfd);
    // A NIC without a wait fd (a PCI NIC in poll mode) is busy-polled: never sleep on it.
    const bool can_sleep = (*nic)->wait_fd(0) >= 0;
    if (const int fd = (*nic)->wait_fd(0); fd >= 0 && ep.valid()) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = kNicEvent;
        ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev);
    }
    if (apps != nullptr && ep.valid()) {  // an app connecting, leaving or ringing its doorbell
        epoll_event ev{};
        ev.events = EPOLLIN;
        ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, apps->wait_fd(), &ev);
    }
    if (control && ep.valid()) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = kControlEvent;
        ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, control->wait_fd(), &ev);
    }
    // Neighbour news from the other shards wakes this one too.
    if (shards.size() > 1 && ep.valid()) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = kWakeEvent;
        ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, first.wake_fd(), &ev);
    }
    // Control work is served between polls: when its fd woke the idle wait, and otherwise at
    // most every kControlPeriod (a busy loop never sleeps, so nothing else would look).
    bool control_due = false;
    auto next_control = start;
    const auto interval = std::chrono::milliseconds(o.stats_interval_ms);
    auto next_stats = start + interval;
    const bool has_stop = o.duration_s > 0;
    const shunt::Instant stop_at =
        start + shunt::Duration(static_cast<int64_t>(o.duration_s * 1e6));
    // A device that is gone or that the kernel asks back ends the daemon (exit 1, one line).
    shunt::tools::NicWatch watch(**nic);
    while (!shunt::tools::stop_requested()) {
        auto now = shunt::Instant::now();
        if (!watch.ok(now)) break;
        const size_t work = first.take_mail() + stack.poll(now);
        if (control && (control_due || now >= next_control)) {
            control_due = control->poll();
            next_control = now + kControlPeriod;
        }
        notifier.tick(now);  // WATCHDOG=1 when the unit sets WatchdogSec=
        if (notifier.under_systemd() && now >= next_status) {
            const shunt::NicCounters n = (*nic)->counters();
            size_t conns = stack.tcp().connection_count();
            for (size_t i = 1; i < shards.size(); ++i) {
                conns += shards[i]->snapshot()["tcp"].value("connections", size_t{0});
            }
            notifier.status(fmt::format("{}: {} TCP connections, rx {} tx {} frames", serving,
                                        conns, n.rx_packets, n.tx_packets));
            next_status = now + kStatusPeriod;
        }
        if (now >= next_stats) {
            if (auto w = write_stats(now); !w) shunt::log::warn("{}", w.error().message);
            next_stats = now + interval;
        }
        if (has_stop && now >= stop_at) break;
        if (work > 0 || !can_sleep || control_due) continue;
        if (apps != nullptr && !apps->prepare_sleep()) continue;  // a command came meanwhile
        // Idle: sleep on the NIC's fd until a frame comes or a timer is due (at most 100 ms).
        auto wake = now + std::chrono::milliseconds(100);
        if (auto d = stack.next_deadline(); d && *d < wake) wake = *d;
        if (next_stats < wake) wake = next_stats;
        // Microseconds, not epoll_wait's milliseconds: a TX retry is due in tens of them.
        const timespec timeout = shunt::tools::timespec_until(now, wake);
        std::array<epoll_event, 5> evs{};  // NIC, control socket, app socket, shard wake
        const int n = ep.valid() ? ::epoll_pwait2(ep.get(), evs.data(),
                                                  static_cast<int>(evs.size()), &timeout, nullptr)
                                 : 0;
        for (int i = 0; i < n; ++i) {
            const uint32_t what = evs[static_cast<size_t>(i)].data.u32;
            if (what == kControlEvent) control_due = true;
            if (what == kWakeEvent) first.drain_wake();
        }
    }
    notifier.stopping("stopping: resetting connections");
    // Attached apps are detached first (their connections reset with the rest below).
    apps.reset();
    control.reset();  // its clients are dropped, its capture stopped, the socket file removed
    // Peers of open connections learn now (RST), not by their own timeouts; the last stats
    // count those RSTs. Not through a device that is gone. Each shard resets its own.
    const bool send_rsts = watch.health() != shunt::NicHealth::gone;
    shards_send_rsts.store(send_rsts, std::memory_order_release);
    bool all_rsts = !send_rsts || shunt::tools::shutdown_stack(stack);
    stop_shards.store(true, std::memory_order_release);
    for (auto& s : shards) s->wake();
    for (auto& s : shards) {
        s->join();
        all_rsts = all_rsts && s->shutdown_complete();
    }
    if (!all_rsts) shunt::log::warn("stopping: not every connection's RST could be sent");
    first.publish();
    if (auto w = write_stats(shunt::Instant::now()); !w) return fail(1, w.error().message);
    uint64_t dropped = 0;  // every shard's, every layer's reasons
    // Held in a variable: a range-for over a temporary's member would outlive the temporary.
    const auto last = all_stats(shunt::Instant::now());
    for (const auto& [reason, n] : last.at("drops").items()) {
        if (n.is_number_unsigned()) dropped += n.get<uint64_t>();
    }
    shunt::log::info("stopped: rx {} tx {} frames, {} dropped", (*nic)->counters().rx_packets,
                     (*nic)->counters().tx_packets, dropped);
    // The return destroys the shards (services, Stacks) and then the NIC (stopped, its
    // memory freed, the device closed: a waiting unbind completes).
    if (watch.health() != shunt::NicHealth::ok) return fail(1, watch.message());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{shunt::tools::kShuntdDescription};
    shunt::tools::add_shuntd_options(app, o);
    if (auto rc = shunt::tools::parse_command_line(app, argc, argv, "shuntd")) return *rc;
    shunt::tools::log_to_journal_if_there();
    shunt::tools::ConfigFile config_file;
    if (!o.config_path.empty()) {
        if (auto err = config_file.load(app, o.config_path, shunt::tools::kShuntdNotConfigKeys)) {
            return fail(2, err->message());
        }
    }
    if (o.nic.empty() || o.ip.empty()) {
        return fail(2, fmt::format("{} is required (on the command line or in --config)",
                                   o.nic.empty() ? "--nic" : "--ip"));
    }
    shunt::log::threshold() = *shunt::log::parse_level(o.log_level);
    Config c;
    if (auto err = build_config(o, c)) return fail(2, config_file.locate(*err));
    if (o.check_config) {
        fmt::print("{}: ok\n", o.config_path.empty() ? "command line" : o.config_path);
        return 0;
    }

    shunt::tools::install_stop_handlers();
    ::signal(SIGPIPE, SIG_IGN);
    return run(o, c);
}
