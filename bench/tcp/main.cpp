// shunt-tcp-bench: shunt, Linux and lwIP TCP side by side in one run (transactions/s, bulk
// throughput, connections/s, memory per idle connection), printed as one table of ratios.
#include "bench/tcp/contender.hpp"
#include "bench/tcp/interrupt.hpp"
#include "bench/tcp/report.hpp"
#include "bench/tcp/wire_selftest.hpp"

#include <fmt/format.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

using namespace shunt;
using namespace shunt::bench;

namespace {

struct Cli {
    double seconds = 5.0;
    double warmup_seconds = 0.5;
    uint32_t connections = 32;
    uint32_t message_bytes = 64;
    uint32_t idle_connections = 10000;
    uint32_t repeat = 1;
    std::vector<std::string> only;
    std::vector<std::string> workloads;
    std::string json_path;
    bool selftest_only = false;
    bool skip_selftest = false;
    bool skip_memory = false;
};

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "shunt-tcp-bench: %s\n", message.c_str());
    return code;
}

std::string machine_facts() {
    std::string model = "unknown CPU";
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) {
            model = line.substr(line.find(':') + 2);
            break;
        }
    }
    std::string load;
    std::ifstream("/proc/loadavg") >> load;
    utsname u{};
    ::uname(&u);
    return fmt::format("{}, {} CPUs, Linux {}, load average {} at start", model,
                       std::thread::hardware_concurrency(), u.release, load);
}

// An empty selection means everything.
bool selected(const std::vector<std::string>& names, const std::string& name) {
    return names.empty() || std::any_of(names.begin(), names.end(), [&](const std::string& n) {
               return strcasecmp(n.c_str(), name.c_str()) == 0;
           });
}

// One contender through the run: its outcome so far and, if it is built, the contender.
struct Slot {
    ContenderOutcome out;
    std::unique_ptr<Contender> contender;
    std::array<std::vector<Measurement>, kWorkloads.size()> runs;
};

Slot prepare(const ContenderEntry& entry) {
    Slot slot;
    slot.out.name = entry.name;
    if (!entry.make) {
        slot.out.not_built = entry.not_built_reason;
        return slot;
    }
    auto made = entry.make();
    if (!made) {
        for (auto& w : slot.out.workloads) w.error = made.error().message;
        slot.out.memory_error = made.error().message;
        return slot;
    }
    slot.contender = std::move(made).value();
    slot.out.setup = slot.contender->setup();
    return slot;
}

double rate(Workload w, const Measurement& m) {
    return w == Workload::bulk ? m.bits_per_second() : m.per_second();
}

// Round robin: run r of a workload happens for every contender before run r+1 of any, so a
// change in the machine's load hits all of them alike; the table shows each one's median.
void run_workload(std::vector<Slot>& slots, size_t i, const RunOptions& o, uint32_t repeat) {
    const Workload w = kWorkloads[i];
    for (uint32_t r = 0; r < repeat && !interrupted(); ++r) {
        for (auto& slot : slots) {
            if (!slot.contender || !slot.out.workloads[i].error.empty() || interrupted()) continue;
            std::fprintf(stderr, "  %s: %s (run %u of %u)...\n", slot.out.name.c_str(),
                         workload_name(w), r + 1, repeat);
            auto m = slot.contender->run(w, o);
            if (m) {
                slot.runs[i].push_back(*m);
            } else {
                slot.out.workloads[i].error = m.error().message;  // ends this one's series
            }
        }
    }
    for (auto& slot : slots) {
        auto& runs = slot.runs[i];
        if (!slot.out.workloads[i].error.empty() || runs.empty()) continue;
        std::sort(runs.begin(), runs.end(), [w](const Measurement& a, const Measurement& b) {
            return rate(w, a) < rate(w, b);
        });
        slot.out.workloads[i].measurement = runs[runs.size() / 2];
    }
}

void run_idle_memory(Slot& slot, const RunOptions& o) {
    if (!slot.contender || interrupted()) return;
    std::fprintf(stderr, "  %s: idle memory...\n", slot.out.name.c_str());
    auto mem = slot.contender->idle_memory(o);
    if (mem) {
        slot.out.memory = *mem;
    } else {
        slot.out.memory_error = mem.error().message;
    }
}

}  // namespace

int main(int argc, char** argv) {
    Cli cli;
    CLI::App app{
        "shunt-tcp-bench: shunt, Linux and lwIP TCP side by side (see docs/PERFORMANCE.md)"};
    app.add_option("--seconds", cli.seconds, "measured seconds per workload")
        ->check(CLI::Range(0.1, 600.0));
    app.add_option("--warmup", cli.warmup_seconds, "seconds run before measuring")
        ->check(CLI::Range(0.0, 60.0));
    app.add_option("--connections", cli.connections,
                   "connections for transactions, and "
                   "connections in flight for connections/s")
        ->check(CLI::Range(1u, 256u));
    app.add_option("--message-bytes", cli.message_bytes, "request and response size")
        ->check(CLI::Range(1u, 16384u));
    app.add_option("--idle-connections", cli.idle_connections,
                   "idle connections for the memory measurement (lwIP caps this at its pool)")
        ->check(CLI::Range(1u, 200000u));
    app.add_option("--repeat", cli.repeat, "runs per workload; the table shows the median")
        ->check(CLI::Range(1u, 99u));
    app.add_option("--only", cli.only, "contenders to run (shunt, Linux, Linux-noTSO, lwIP)")
        ->delimiter(',')
        ->check(CLI::IsMember({"shunt", "Linux", "Linux-noTSO", "lwIP"}, CLI::ignore_case));
    app.add_option("--workloads", cli.workloads,
                   "workloads to run (transactions, bulk, connections, memory)")
        ->delimiter(',')
        ->check(CLI::IsMember({"transactions", "bulk", "connections", "memory"}));
    app.add_option("--json", cli.json_path, "also write the results as JSON to this file");
    app.add_flag("--selftest", cli.selftest_only, "only run the in-memory wire's self-test");
    app.add_flag("--skip-selftest", cli.skip_selftest, "do not run the wire self-test first");
    app.add_flag("--skip-memory", cli.skip_memory, "skip the idle-connection memory test");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return fail(2, e.what());
    }
    install_interrupt_handlers();

    if (!cli.skip_selftest) {
        if (auto s = run_wire_selftest(); !s) return fail(1, s.error().message);
        std::fprintf(stderr, "in-memory wire self-test passed\n");
        if (cli.selftest_only) return 0;
    }

    RunOptions o;
    o.duration = std::chrono::milliseconds(static_cast<int64_t>(cli.seconds * 1000));
    o.warmup = std::chrono::milliseconds(static_cast<int64_t>(cli.warmup_seconds * 1000));
    o.connections = cli.connections;
    o.message_bytes = cli.message_bytes;
    o.idle_connections = cli.idle_connections;
    if (std::thread::hardware_concurrency() < 2) o.client_cpu = 0;

    ReportFacts facts{machine_facts(), o, cli.repeat};
    std::vector<Slot> slots;
    for (const auto& entry : all_contenders()) {
        if (selected(cli.only, entry.name)) slots.push_back(prepare(entry));
    }
    for (size_t i = 0; i < kWorkloads.size(); ++i) {
        if (selected(cli.workloads, workload_name(kWorkloads[i]))) {
            run_workload(slots, i, o, cli.repeat);
        } else {
            for (auto& slot : slots) slot.out.workloads[i].error = "skipped (--workloads)";
        }
    }
    for (auto& slot : slots) {
        if (!cli.skip_memory && selected(cli.workloads, "memory")) {
            run_idle_memory(slot, o);
        } else if (slot.contender) {
            slot.out.memory_error = "skipped";
        }
    }
    if (interrupted()) return fail(130, "interrupted; everything set up was removed");
    std::vector<ContenderOutcome> outcomes;
    for (auto& slot : slots) outcomes.push_back(std::move(slot.out));
    slots.clear();  // contenders go (namespaces deleted) before the table is printed
    std::string load_after;
    std::ifstream("/proc/loadavg") >> load_after;
    facts.machine += ", " + load_after + " at the end";
    std::fputs(format_table(outcomes, facts).c_str(), stdout);
    if (!cli.json_path.empty()) {
        std::ofstream json(cli.json_path);
        json << format_json(outcomes, facts);
        if (!json) return fail(1, "cannot write " + cli.json_path);
    }
    return 0;
}
