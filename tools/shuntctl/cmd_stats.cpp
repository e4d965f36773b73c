// shuntctl stats: a running shuntd's counters over its control socket (docs/control.md):
// per NIC, queue and shard, packets/s and Mbit/s, drops by reason, TCP, buffer pool use.
// --watch redraws a table every interval (rates between two samples, not totals) that fits
// 80 columns; --json prints the daemon's object (or, with --watch, one object of rates and
// totals per interval, one per line).
#include "tools/shuntctl/common.hpp"
#include "tools/shuntctl/control_client.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <thread>

namespace shunt::cli {
namespace {

struct StatsOptions {
    std::string control;
    double watch_s = 0;  // 0: one sample
    bool json = false;
    uint32_t iterations = 0;  // --watch: stop after this many (0: until interrupted)
};

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
    g_stop = 1;
}

// A counter at a dotted path, 0 when absent (an older daemon, or a section not there).
double num(const Json& j, std::initializer_list<const char*> path) {
    const Json* p = &j;
    for (const char* k : path) {
        if (!p->is_object()) return 0;
        auto it = p->find(k);
        if (it == p->end()) return 0;
        p = &*it;
    }
    return p->is_number() ? p->get<double>() : 0;
}

double rate(const Json& a, const Json& b, std::initializer_list<const char*> path, double dt) {
    return dt > 0 ? std::max(0.0, num(b, path) - num(a, path)) / dt : 0;
}

double drops_total(const Json& j) {
    double t = 0;
    if (auto it = j.find("drops"); it != j.end() && it->is_object()) {
        for (const auto& [k, v] : it->items()) t += v.is_number() ? v.get<double>() : 0;
    }
    return t;
}

// The rates between two samples (a before b), as JSON: what --json --watch prints.
Json rates(const Json& a, const Json& b) {
    const double dt = (num(b, {"uptime_ms"}) - num(a, {"uptime_ms"})) / 1000.0;
    Json r;
    r["interval_s"] = dt;
    r["nic"] = {{"name", b.contains("nic") ? b["nic"].value("name", std::string()) : std::string()},
                {"rx_pps", rate(a, b, {"nic", "rx_packets"}, dt)},
                {"rx_mbps", rate(a, b, {"nic", "rx_bytes"}, dt) * 8 / 1e6},
                {"tx_pps", rate(a, b, {"nic", "tx_packets"}, dt)},
                {"tx_mbps", rate(a, b, {"nic", "tx_bytes"}, dt) * 8 / 1e6},
                {"drops_per_s", dt > 0 ? (drops_total(b) - drops_total(a)) / dt : 0}};
    Json shards = Json::array();
    const Json empty = Json::array();
    const Json& sa = a.contains("shards") ? a["shards"] : empty;
    const Json& sb = b.contains("shards") ? b["shards"] : empty;
    for (size_t i = 0; i < sb.size(); ++i) {
        const Json& x = i < sa.size() ? sa[i] : sb[i];
        const Json& y = sb[i];
        shards.push_back({{"shard", y.value("shard", 0)},
                          {"queue", y.value("queue", 0)},
                          {"ipv4_rx_pps", rate(x, y, {"stack", "ipv4_rx"}, dt)},
                          {"ipv4_tx_pps", rate(x, y, {"stack", "ipv4_tx"}, dt)},
                          {"tcp_segments_rx_ps", rate(x, y, {"tcp", "segments_rx"}, dt)},
                          {"tcp_segments_tx_ps", rate(x, y, {"tcp", "segments_tx"}, dt)},
                          {"drops_per_s", dt > 0 ? (drops_total(y) - drops_total(x)) / dt : 0}});
    }
    r["shards"] = std::move(shards);
    Json drops = Json::object();
    if (auto it = b.find("drops"); it != b.end() && it->is_object()) {
        for (const auto& [k, v] : it->items()) {
            const double d = rate(a, b, {"drops", k.c_str()}, dt);
            if (d > 0) drops[k] = d;
        }
    }
    r["drops_per_s"] = std::move(drops);
    return r;
}

std::string uptime_text(double ms) {
    const auto s = static_cast<int64_t>(ms / 1000);
    return fmt::format("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

// The table, at most 80 columns wide.
void print_table(const Json& hello, const Json& b, const Json& r, bool tty) {
    if (tty) fmt::print("\033[H\033[2J");  // home and clear: a redraw, not a scroll
    const Json& nic = r["nic"];
    fmt::print("{} pid {} on {}   up {}   rates over {:.1f} s\n",
               hello.value("daemon", std::string("shuntd")), hello.value("pid", 0),
               hello.value("nic", std::string("?")), uptime_text(num(b, {"uptime_ms"})),
               r.value("interval_s", 0.0));
    fmt::print("{:<22}{:>11}{:>11}{:>11}{:>11}{:>11}\n", "", "rx pkt/s", "rx Mbit/s", "tx pkt/s",
               "tx Mbit/s", "drops/s");
    fmt::print("{:<22.22}{:>11.0f}{:>11.2f}{:>11.0f}{:>11.2f}{:>11.0f}\n",
               "nic " + nic.value("name", std::string()), nic.value("rx_pps", 0.0),
               nic.value("rx_mbps", 0.0), nic.value("tx_pps", 0.0), nic.value("tx_mbps", 0.0),
               nic.value("drops_per_s", 0.0));
    for (const auto& s : r["shards"]) {
        fmt::print("{:<22}{:>11.0f}{:>11}{:>11.0f}{:>11}{:>11.0f}\n",
                   fmt::format(" shard {} (queue {}) ip", s.value("shard", 0), s.value("queue", 0)),
                   s.value("ipv4_rx_pps", 0.0), "", s.value("ipv4_tx_pps", 0.0), "",
                   s.value("drops_per_s", 0.0));
        fmt::print("{:<22}{:>11.0f}{:>11}{:>11.0f}\n", "  tcp segments",
                   s.value("tcp_segments_rx_ps", 0.0), "", s.value("tcp_segments_tx_ps", 0.0));
    }
    fmt::print("\ndrops by reason{:>35}{:>15}\n", "total", "per s");
    bool any = false;
    if (auto it = b.find("drops"); it != b.end() && it->is_object()) {
        for (const auto& [k, v] : it->items()) {
            if (!v.is_number() || v.get<double>() == 0) continue;
            any = true;
            const double per_s = r["drops_per_s"].value(k, 0.0);
            fmt::print("  {:<38.38}{:>10.0f}{:>15.0f}\n", k, v.get<double>(), per_s);
        }
    }
    if (!any) fmt::print("  none\n");
    fmt::print(
        "\ntcp: {:.0f} connections, {:.0f} time-wait; opened {:.0f} passive, "
        "{:.0f} active; {:.0f} retransmits\n",
        num(b, {"tcp", "connections"}), num(b, {"tcp", "time_wait"}),
        num(b, {"tcp", "passive_opens"}), num(b, {"tcp", "active_opens"}),
        num(b, {"tcp", "retransmits"}));
    const double cap = num(b, {"pool", "capacity"});
    const double avail = num(b, {"pool", "available"});
    fmt::print("buffers: {:.0f} of {:.0f} in use ({:.0f}%), {:.0f} allocation failures\n",
               cap - avail, cap, cap > 0 ? 100 * (cap - avail) / cap : 0,
               num(b, {"pool", "alloc_failures"}));
    const bool capturing = b.contains("capture") && b["capture"].value("running", false);
    fmt::print("control: {:.0f} client(s); capture {}\n", num(b, {"control", "clients"}),
               capturing ? "on" : "off");
    std::fflush(stdout);
}

int run_stats(const StatsOptions& o) {
    auto path = find_control_socket(o.control);
    if (!path) return fail(kFailure, path.error().message);
    auto client = ControlClient::connect(path.value());
    if (!client) return fail(kFailure, client.error().message);
    auto hello = client->call("hello");
    if (!hello) return fail(kFailure, hello.error().message);
    auto first = client->call("stats");
    if (!first) return fail(kFailure, first.error().message);
    if (o.json && o.watch_s == 0) {
        print_json(first.value());
        return kOk;
    }
    const double interval = o.watch_s > 0 ? o.watch_s : 1.0;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    const bool tty = !o.json && ::isatty(STDOUT_FILENO) == 1;
    Json prev = std::move(first.value());
    for (uint32_t i = 0; g_stop == 0; ++i) {
        // Sleep in small steps so ^C is prompt.
        const auto until = std::chrono::steady_clock::now() +
                           std::chrono::microseconds(static_cast<int64_t>(interval * 1e6));
        while (g_stop == 0 && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (g_stop != 0) break;
        auto now = client->call("stats");
        if (!now) return fail(kFailure, now.error().message);
        const Json r = rates(prev, now.value());
        if (o.json) {
            fmt::print("{}\n", Json{{"rates", r}, {"stats", now.value()}}.dump());
            std::fflush(stdout);
        } else {
            print_table(hello.value(), now.value(), r, tty);
        }
        prev = std::move(now.value());
        if (o.watch_s == 0) break;  // one table (rates over one second), no --watch
        if (o.iterations != 0 && i + 1 >= o.iterations) break;
    }
    return kOk;
}

}  // namespace

void add_stats(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<StatsOptions>();
    auto* sub = app.add_subcommand(
        "stats",
        "A running shuntd's rates and counters over its control socket: per NIC, queue and "
        "shard packets/s and Mbit/s, drops by reason, TCP, buffer pool use");
    sub->add_option("--control", o->control,
                    "shuntd's control socket (default: the only one under /run/shunt)");
    auto* watch =
        sub->add_option("--watch", o->watch_s, "redraw every INTERVAL seconds (default 1) until ^C")
            ->expected(0, 1)
            ->check(CLI::Range(0.1, 3600.0));
    sub->add_option("--iterations", o->iterations, "with --watch: stop after N intervals");
    sub->add_flag("--json", o->json,
                  "print JSON: the daemon's counters; with --watch one line of rates and "
                  "counters per interval");
    sub->callback([&ctx, o, watch] {
        if (watch->count() > 0 && o->watch_s == 0) o->watch_s = 1.0;
        ctx.rc = run_stats(*o);
    });
}

}  // namespace shunt::cli
