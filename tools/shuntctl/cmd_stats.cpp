// shuntctl stats: a running shuntd's counters over its control socket (docs/control.md):
// per NIC, queue and shard, packets/s and Mbit/s, drops by reason, TCP, buffer pool use.
// --watch redraws a table every interval (rates between two samples, not totals) that fits
// 80 columns; --json prints the daemon's object (or, with --watch, one object of rates and
// totals per interval, one per line).
#include "tools/shuntctl/common.hpp"
#include "tools/shuntctl/control_client.hpp"
#include "tools/shuntctl/stats_table.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
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

// The table (stats_table.cpp), redrawn in place on a terminal.
void print_table(const Json& hello, const Json& b, const Json& r, bool tty) {
    if (tty) fmt::print("\033[H\033[2J");  // home and clear: a redraw, not a scroll
    fmt::print("{}", stats_table(hello, b, r));
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
        const Json r = stats_rates(prev, now.value());
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
