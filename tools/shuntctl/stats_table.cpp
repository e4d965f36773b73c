#include "tools/shuntctl/stats_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace shunt::cli {
namespace {

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

double per_s(double before, double after, double dt) {
    return dt > 0 ? std::max(0.0, after - before) / dt : 0;
}

double rate(const Json& a, const Json& b, std::initializer_list<const char*> path, double dt) {
    return per_s(num(a, path), num(b, path), dt);
}

double drops_total(const Json& j) {
    double t = 0;
    if (auto it = j.find("drops"); it != j.end() && it->is_object()) {
        for (const auto& [k, v] : it->items()) t += v.is_number() ? v.get<double>() : 0;
    }
    return t;
}

// The array at key of j, or an empty one.
const Json& array_at(const Json& j, const char* key) {
    static const Json empty = Json::array();
    if (!j.is_object()) return empty;
    auto it = j.find(key);
    return it != j.end() && it->is_array() ? *it : empty;
}

// The entry of `list` whose `key` equals `id`, else `fallback` (so a new entry rates 0/s).
const Json& match(const Json& list, const char* key, int64_t id, const Json& fallback) {
    for (const auto& e : list) {
        if (e.is_object() && e.value(key, int64_t{-1}) == id) return e;
    }
    return fallback;
}

std::string uptime_text(double ms) {
    const auto s = static_cast<int64_t>(ms / 1000);
    return fmt::format("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

// One row of the rates grid: a 22-column label, then five 11-column numbers (77 columns).
std::string rate_row(const std::string& label, const Json& r) {
    return fmt::format("{:<22.22}{:>11.0f}{:>11.2f}{:>11.0f}{:>11.2f}{:>11.0f}\n", label,
                       r.value("rx_pps", 0.0), r.value("rx_mbps", 0.0), r.value("tx_pps", 0.0),
                       r.value("tx_mbps", 0.0), r.value("drops_per_s", 0.0));
}

// "label: a  b  c" wrapped at kStatsTableWidth, continuation lines indented under the first
// item.
std::string wrapped(const std::string& label, const std::vector<std::string>& items) {
    std::string out = label;
    std::string line = label;
    const std::string indent(label.size(), ' ');
    bool first = true;
    for (const auto& item : items) {
        const std::string sep = first ? "" : "  ";
        if (!first && line.size() + sep.size() + item.size() > kStatsTableWidth) {
            out += "\n" + indent + item;
            line = indent + item;
        } else {
            out += sep + item;
            line += sep + item;
        }
        first = false;
    }
    if (items.empty()) out += "none";
    return out + "\n";
}

}  // namespace

Json stats_rates(const Json& a, const Json& b) {
    const double dt = (num(b, {"uptime_ms"}) - num(a, {"uptime_ms"})) / 1000.0;
    Json r;
    r["interval_s"] = dt;
    r["nic"] = {{"name", b.contains("nic") ? b["nic"].value("name", std::string()) : std::string()},
                {"rx_pps", rate(a, b, {"nic", "rx_packets"}, dt)},
                {"rx_mbps", rate(a, b, {"nic", "rx_bytes"}, dt) * 8 / 1e6},
                {"tx_pps", rate(a, b, {"nic", "tx_packets"}, dt)},
                {"tx_mbps", rate(a, b, {"nic", "tx_bytes"}, dt) * 8 / 1e6},
                {"drops_per_s", per_s(drops_total(a), drops_total(b), dt)}};
    Json queues = Json::array();
    const Json& qa = a.contains("nic") ? array_at(a["nic"], "queues") : array_at(a, "queues");
    const Json& qb = b.contains("nic") ? array_at(b["nic"], "queues") : array_at(b, "queues");
    for (const auto& y : qb) {
        const int64_t q = y.value("queue", int64_t{0});
        const Json& x = match(qa, "queue", q, y);
        const double drops_before = num(x, {"rx_dropped"}) + num(x, {"tx_dropped"});
        const double drops_after = num(y, {"rx_dropped"}) + num(y, {"tx_dropped"});
        queues.push_back({{"queue", q},
                          {"rx_pps", rate(x, y, {"rx_packets"}, dt)},
                          {"rx_mbps", rate(x, y, {"rx_bytes"}, dt) * 8 / 1e6},
                          {"tx_pps", rate(x, y, {"tx_packets"}, dt)},
                          {"tx_mbps", rate(x, y, {"tx_bytes"}, dt) * 8 / 1e6},
                          {"drops_per_s", per_s(drops_before, drops_after, dt)}});
    }
    r["queues"] = std::move(queues);
    Json shards = Json::array();
    const Json& sa = array_at(a, "shards");
    for (const auto& y : array_at(b, "shards")) {
        const Json& x = match(sa, "shard", y.value("shard", int64_t{0}), y);
        shards.push_back({{"shard", y.value("shard", 0)},
                          {"queue", y.value("queue", 0)},
                          {"ipv4_rx_pps", rate(x, y, {"stack", "ipv4_rx"}, dt)},
                          {"ipv4_tx_pps", rate(x, y, {"stack", "ipv4_tx"}, dt)},
                          {"tcp_segments_rx_ps", rate(x, y, {"tcp", "segments_rx"}, dt)},
                          {"tcp_segments_tx_ps", rate(x, y, {"tcp", "segments_tx"}, dt)},
                          {"drops_per_s", per_s(drops_total(x), drops_total(y), dt)}});
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

std::string stats_table(const Json& hello, const Json& b, const Json& r) {
    std::string out;
    const std::string head =
        fmt::format("{} pid {} on {}   up {}   rates over {:.1f} s",
                    hello.value("daemon", std::string("shuntd")), hello.value("pid", 0),
                    hello.value("nic", std::string("?")), uptime_text(num(b, {"uptime_ms"})),
                    r.value("interval_s", 0.0));
    out += head.substr(0, kStatsTableWidth) + "\n";
    out += fmt::format("{:<22}{:>11}{:>11}{:>11}{:>11}{:>11}\n", "", "rx pkt/s", "rx Mbit/s",
                       "tx pkt/s", "tx Mbit/s", "drops/s");
    const Json empty = Json::object();
    const Json& nic = r.contains("nic") ? r["nic"] : empty;
    out += rate_row("nic " + nic.value("name", std::string()), nic);
    for (const auto& q : array_at(r, "queues")) {
        out += rate_row(fmt::format(" queue {}", q.value("queue", 0)), q);
    }
    for (const auto& s : array_at(r, "shards")) {
        out += fmt::format(
            "{:<22.22}{:>11.0f}{:>11}{:>11.0f}{:>11}{:>11.0f}\n",
            fmt::format(" shard {} (queue {}) ip", s.value("shard", 0), s.value("queue", 0)),
            s.value("ipv4_rx_pps", 0.0), "", s.value("ipv4_tx_pps", 0.0), "",
            s.value("drops_per_s", 0.0));
        out +=
            fmt::format("{:<22}{:>11.0f}{:>11}{:>11.0f}\n", "  tcp segments",
                        s.value("tcp_segments_rx_ps", 0.0), "", s.value("tcp_segments_tx_ps", 0.0));
    }
    out += fmt::format("\ndrops by reason{:>35}{:>15}\n", "total", "per s");
    bool any = false;
    const Json& dps = r.contains("drops_per_s") ? r["drops_per_s"] : empty;
    if (auto it = b.find("drops"); it != b.end() && it->is_object()) {
        for (const auto& [k, v] : it->items()) {
            if (!v.is_number() || v.get<double>() == 0) continue;
            any = true;
            out += fmt::format("  {:<38.38}{:>10.0f}{:>15.0f}\n", k, v.get<double>(),
                               dps.value(k, 0.0));
        }
    }
    if (!any) out += "  none\n";
    out += "\n";
    std::vector<std::string> states;
    if (b.contains("tcp") && b["tcp"].contains("states") && b["tcp"]["states"].is_object()) {
        for (const auto& [k, v] : b["tcp"]["states"].items()) {
            if (v.is_number() && v.get<double>() != 0) {
                states.push_back(fmt::format("{} {:.0f}", k, v.get<double>()));
            }
        }
    }
    out += wrapped("tcp states: ", states);
    out += fmt::format(
        "tcp: {:.0f} connections; opened {:.0f} passive, {:.0f} active; {:.0f} retransmits\n",
        num(b, {"tcp", "connections"}), num(b, {"tcp", "passive_opens"}),
        num(b, {"tcp", "active_opens"}), num(b, {"tcp", "retransmits"}));
    // pool.size / pool.in_use; an older daemon has only capacity / available.
    const double size = b.contains("pool") && b["pool"].contains("size")
                            ? num(b, {"pool", "size"})
                            : num(b, {"pool", "capacity"});
    const double in_use = b.contains("pool") && b["pool"].contains("in_use")
                              ? num(b, {"pool", "in_use"})
                              : size - num(b, {"pool", "available"});
    out += fmt::format("buffers: {:.0f} of {:.0f} in use ({:.0f}%), {:.0f} allocation failures\n",
                       in_use, size, size > 0 ? 100 * in_use / size : 0,
                       num(b, {"pool", "alloc_failures"}));
    const bool capturing =
        b.contains("capture") && b["capture"].is_object() && b["capture"].value("running", false);
    out += fmt::format("control: {:.0f} client(s); capture {}\n", num(b, {"control", "clients"}),
                       capturing ? "on" : "off");
    return out;
}

}  // namespace shunt::cli
