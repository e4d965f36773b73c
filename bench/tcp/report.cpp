#include "bench/tcp/report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace shunt::bench {

namespace {

const ContenderOutcome* find(const std::vector<ContenderOutcome>& all, const std::string& name) {
    for (const auto& c : all) {
        if (c.name == name && c.not_built.empty()) return &c;
    }
    return nullptr;
}

// The figure a row compares: ops/s, Gbit/s, or bytes per idle connection.
std::optional<double> value(const ContenderOutcome& c, size_t row) {
    if (row < kWorkloads.size()) {
        const auto& m = c.workloads[row].measurement;
        if (!m) return std::nullopt;
        return kWorkloads[row] == Workload::bulk ? m->bits_per_second() / 1e9 : m->per_second();
    }
    if (!c.memory) return std::nullopt;
    return c.memory->bytes_per_connection;
}

const char* row_label(size_t row) {
    constexpr const char* labels[] = {
        "transactions/s (64 B req/resp, 32 conns)", "bulk Gbit/s (1 conn, MTU 1500)",
        "connections/s (open, 64 B req/resp, close)", "bytes per idle connection (one end)"};
    return labels[row];
}

std::string cell(const ContenderOutcome& c, size_t row) {
    if (!c.not_built.empty()) return "not built";
    auto v = value(c, row);
    const std::string& why = row < kWorkloads.size() ? c.workloads[row].error : c.memory_error;
    if (!v) return why.rfind("skipped", 0) == 0 ? "skipped" : "error";
    if (row == 1) return fmt::format("{:.2f}", *v);
    return fmt::format("{:.0f}", *v);
}

// a/b for throughput rows; for memory the ratio is inverted so "higher is better" holds.
std::string ratio(const std::vector<ContenderOutcome>& all, const char* a, const char* b,
                  size_t row) {
    const auto* ca = find(all, a);
    const auto* cb = find(all, b);
    if (ca == nullptr || cb == nullptr) return "pending";
    auto va = value(*ca, row), vb = value(*cb, row);
    if (!va || !vb || *va <= 0 || *vb <= 0) return "-";
    return fmt::format("{:.2f}x", row == 3 ? *vb / *va : *va / *vb);
}

constexpr const char* kTargets[] = {"shunt >=5x Linux, >=2x lwIP", "shunt >=1x Linux, >=2x lwIP",
                                    "shunt >=5x Linux, >=2x lwIP",
                                    "shunt: 1M idle conns < 4 GiB (<4295 B)"};

}  // namespace

std::string format_table(const std::vector<ContenderOutcome>& all, const ReportFacts& f) {
    std::string out;
    out += fmt::format(
        "TCP: shunt vs Linux vs lwIP  ({} ms per workload after {} ms warmup, median of {})\n",
        f.options.duration.count(), f.options.warmup.count(), f.repeat);
    out += fmt::format("machine: {}\n\n", f.machine);
    out += fmt::format("| {:<44} |", "workload");
    for (const auto& c : all) out += fmt::format(" {:>11} |", c.name);
    out += fmt::format(" {:>11} | {:>10} | {:>10} | {} |\n", "shunt/Linux", "shunt/lwIP",
                       "lwIP/Linux", "target");
    out += fmt::format("|{:-<46}|", "");
    for (size_t i = 0; i < all.size(); ++i) out += fmt::format("{:->13}|", "");
    out += fmt::format("{:->13}|{:->12}|{:->12}|{:-<8}|\n", "", "", "", "");
    for (size_t row = 0; row < 4; ++row) {
        out += fmt::format("| {:<44} |", row_label(row));
        for (const auto& c : all) out += fmt::format(" {:>11} |", cell(c, row));
        out += fmt::format(" {:>11} | {:>10} | {:>10} | {} |\n", ratio(all, "shunt", "Linux", row),
                           ratio(all, "shunt", "lwIP", row), ratio(all, "lwIP", "Linux", row),
                           kTargets[row]);
    }
    out += "\nratios are a/b of the figures (memory: b/a, so higher is better everywhere)\n";
    for (const auto& c : all) {
        if (!c.not_built.empty()) {
            out += fmt::format("{}: not built yet: {}\n", c.name, c.not_built);
            continue;
        }
        out += fmt::format("{}: {}\n", c.name, c.setup);
        for (size_t row = 0; row < kWorkloads.size(); ++row) {
            const std::string& why = c.workloads[row].error;
            if (!why.empty() && why.rfind("skipped", 0) != 0) {
                out += fmt::format("  {} failed: {}\n", workload_name(kWorkloads[row]),
                                   c.workloads[row].error);
            }
        }
        if (c.memory) out += fmt::format("  memory: {}\n", c.memory->method);
        if (!c.memory_error.empty() && c.memory_error.rfind("skipped", 0) != 0) {
            out += fmt::format("  memory failed: {}\n", c.memory_error);
        }
    }
    return out;
}

// With nlohmann-json, the project's one JSON library (no hand-written escaping).
std::string format_json(const std::vector<ContenderOutcome>& all, const ReportFacts& f) {
    using Json = nlohmann::ordered_json;
    Json contenders = Json::array();
    for (const auto& c : all) {
        Json entry{{"name", c.name}};
        if (!c.not_built.empty()) {
            entry["built"] = false;
            entry["reason"] = c.not_built;
            contenders.push_back(std::move(entry));
            continue;
        }
        entry["built"] = true;
        entry["setup"] = c.setup;
        Json workloads = Json::object();
        for (size_t w = 0; w < kWorkloads.size(); ++w) {
            const auto& o = c.workloads[w];
            const std::string name(workload_name(kWorkloads[w]));
            if (o.measurement) {
                const auto& m = *o.measurement;
                workloads[name] = {{"operations", m.operations},
                                   {"bytes", m.bytes},
                                   {"seconds", m.seconds},
                                   {"per_second", m.per_second()},
                                   {"bits_per_second", m.bits_per_second()}};
            } else {
                workloads[name] = {{"error", o.error}};
            }
        }
        entry["workloads"] = std::move(workloads);
        if (c.memory) {
            entry["idle_memory"] = {{"connections", c.memory->connections},
                                    {"bytes_per_connection", c.memory->bytes_per_connection},
                                    {"method", c.memory->method}};
        } else {
            entry["idle_memory"] = {{"error", c.memory_error}};
        }
        contenders.push_back(std::move(entry));
    }
    const Json out{{"machine", f.machine},
                   {"duration_ms", f.options.duration.count()},
                   {"warmup_ms", f.options.warmup.count()},
                   {"connections", f.options.connections},
                   {"message_bytes", f.options.message_bytes},
                   {"repeat", f.repeat},
                   {"contenders", std::move(contenders)}};
    return out.dump(2) + "\n";
}

}  // namespace shunt::bench
