#include "bench/tcp/report.hpp"

#include <fmt/format.h>

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

namespace {
std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        if (static_cast<unsigned char>(ch) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(ch));
            continue;
        }
        out += ch;
    }
    return out + "\"";
}
}  // namespace

std::string format_json(const std::vector<ContenderOutcome>& all, const ReportFacts& f) {
    std::string out = "{\n";
    out +=
        fmt::format("  \"machine\": {},\n  \"duration_ms\": {},\n  \"warmup_ms\": {},\n",
                    json_string(f.machine), f.options.duration.count(), f.options.warmup.count());
    out += fmt::format("  \"connections\": {},\n  \"message_bytes\": {},\n  \"repeat\": {},\n",
                       f.options.connections, f.options.message_bytes, f.repeat);
    out += "  \"contenders\": [\n";
    for (size_t i = 0; i < all.size(); ++i) {
        const auto& c = all[i];
        out += fmt::format("    {{\"name\": {}, ", json_string(c.name));
        if (!c.not_built.empty()) {
            out += fmt::format("\"built\": false, \"reason\": {}}}", json_string(c.not_built));
        } else {
            out += fmt::format("\"built\": true, \"setup\": {}, \"workloads\": {{",
                               json_string(c.setup));
            for (size_t w = 0; w < kWorkloads.size(); ++w) {
                const auto& o = c.workloads[w];
                out += fmt::format("{}{}: ", w == 0 ? "" : ", ",
                                   json_string(workload_name(kWorkloads[w])));
                if (o.measurement) {
                    out += fmt::format(
                        "{{\"operations\": {}, \"bytes\": {}, \"seconds\": {:.3f}, "
                        "\"per_second\": {:.1f}, \"bits_per_second\": {:.0f}}}",
                        o.measurement->operations, o.measurement->bytes, o.measurement->seconds,
                        o.measurement->per_second(), o.measurement->bits_per_second());
                } else {
                    out += fmt::format("{{\"error\": {}}}", json_string(o.error));
                }
            }
            out += "}, \"idle_memory\": ";
            if (c.memory) {
                out += fmt::format(
                    "{{\"connections\": {}, \"bytes_per_connection\": {:.1f}, \"method\": {}}}",
                    c.memory->connections, c.memory->bytes_per_connection,
                    json_string(c.memory->method));
            } else {
                out += fmt::format("{{\"error\": {}}}", json_string(c.memory_error));
            }
            out += "}";
        }
        out += i + 1 < all.size() ? ",\n" : "\n";
    }
    out += "  ]\n}\n";
    return out;
}

}  // namespace shunt::bench
