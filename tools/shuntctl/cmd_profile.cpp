// shuntctl profile: record the running shuntd with perf, write a flame graph, and say where
// its time goes stage by stage and per packet (docs/profiling.md).
#include "tools/profile/flamegraph.hpp"
#include "tools/profile/folded.hpp"
#include "tools/profile/stages.hpp"
#include "tools/shuntctl/common.hpp"
#include "tools/subprocess.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <csignal>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace shunt::cli {
namespace fs = std::filesystem;

namespace {

struct ProfileArgs {
    int pid = 0;
    double duration_s = 10;
    std::string out = "shunt-profile.svg";
    std::string folded;
    std::string stats_file;
    std::string event;  // empty: cycles where the CPU counts them, else cpu-clock
    int frequency = 999;
    bool json = false;
};

// The one running shuntd (by /proc/PID/comm), or an error naming how many there are.
Result<int> find_shuntd() {
    std::vector<int> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string name = e.path().filename();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream comm(e.path() / "comm");
        std::string c;
        if (std::getline(comm, c) && c == "shuntd") found.push_back(std::stoi(name));
    }
    if (found.size() == 1) return found.front();
    if (found.empty()) return make_error("no shuntd is running (give --pid)");
    return make_error("{} shuntd processes are running: give --pid", found.size());
}

// Whether perf can count hardware cycles here (many VMs have no PMU: "<not supported>").
bool has_cycles_counter() {
    auto r = tools::run_command({"perf", "stat", "-x,", "-e", "cycles", "true"},
                                std::chrono::seconds(10), 64 * 1024);
    if (!r || r.value().exit_code != 0) return false;
    return r.value().err.find("<not supported>") == std::string::npos &&
           r.value().err.find("<not counted>") == std::string::npos;
}

// rx_packets + tx_packets from the stats file, or -1.
int64_t packets_from_stats(const std::string& path) {
    if (path.empty()) return -1;
    std::ifstream in(path);
    if (!in) return -1;
    std::stringstream ss;
    ss << in.rdbuf();
    const Json j = Json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.contains("nic")) return -1;
    const auto& n = j["nic"];
    if (!n.contains("rx_packets") || !n.contains("tx_packets")) return -1;
    return n["rx_packets"].get<int64_t>() + n["tx_packets"].get<int64_t>();
}

int run_profile(const ProfileArgs& a) {
    int pid = a.pid;
    if (pid == 0) {
        auto p = find_shuntd();
        if (!p) return fail(kFailure, p.error().message);
        pid = p.value();
    }
    if (::kill(pid, 0) != 0) return fail(kFailure, fmt::format("no process {}", pid));
    if (a.duration_s <= 0 || a.duration_s > 3600) {
        return fail(kUsage, "--duration: expected 0 < S <= 3600");
    }
    std::string event = a.event;
    std::string note;
    if (event.empty()) {
        if (has_cycles_counter()) {
            event = "cycles";
        } else {
            event = "cpu-clock";
            note =
                "no hardware cycle counter here: sampled cpu-clock, so figures are "
                "nanoseconds, not cycles";
        }
    }
    if (!note.empty() && !a.json) fmt::print("{}\n", note);

    char tmpl[] = "/tmp/shunt-profile.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return fail(kFailure, "mkdtemp failed");
    const fs::path tmp = tmpl;
    struct Cleanup {
        fs::path dir;
        ~Cleanup() {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    } cleanup{tmp};
    const std::string data = (tmp / "perf.data").string();

    const int64_t before = packets_from_stats(a.stats_file);
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<std::string> record = {"perf",
                                             "record",
                                             "-q",
                                             "-g",
                                             "-e",
                                             event,
                                             "-F",
                                             std::to_string(a.frequency),
                                             "-p",
                                             std::to_string(pid),
                                             "-o",
                                             data,
                                             "--",
                                             "sleep",
                                             fmt::format("{}", a.duration_s)};
    const auto limit = std::chrono::milliseconds(static_cast<int64_t>(a.duration_s * 1000) + 60000);
    auto rec = tools::run_command(record, limit, 1 << 20);
    if (!rec) return fail(kFailure, rec.error().message);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int64_t after = packets_from_stats(a.stats_file);
    if (rec.value().exit_code != 0 || !fs::exists(data)) {
        std::string why = rec.value().err;
        while (!why.empty() && why.back() == '\n') why.pop_back();
        return fail(kFailure, fmt::format("perf record failed ({}): {}", rec.value().exit_code,
                                          why.empty() ? "no message" : why));
    }
    auto script = tools::run_command(
        {"perf", "script", "-i", data, "-F", "comm,pid,tid,time,period,event,ip,sym,dso"},
        std::chrono::minutes(5));
    if (!script) return fail(kFailure, script.error().message);
    if (script.value().exit_code != 0) {
        return fail(kFailure, fmt::format("perf script failed: {}", script.value().err));
    }
    profile::ScriptSummary sum;
    auto folded = profile::fold_perf_script(script.value().out, "", &sum);
    if (!folded) return fail(kFailure, folded.error().message);
    if (sum.samples == 0) {
        return fail(kFailure, fmt::format("perf recorded no samples of process {} in {:.1f} s", pid,
                                          seconds));
    }
    profile::FlameOptions fo;
    fo.title = fmt::format("shuntd (pid {})", pid);
    fo.subtitle = fmt::format("{} samples of {} over {:.1f} s", sum.samples, sum.event, seconds);
    {
        std::ofstream svg(a.out, std::ios::trunc);
        svg << profile::render_flamegraph(folded.value(), fo);
        if (!svg) return fail(kFailure, fmt::format("cannot write {}", a.out));
    }
    if (!a.folded.empty()) {
        std::ofstream f(a.folded, std::ios::trunc);
        f << profile::folded_text(folded.value());
        if (!f) return fail(kFailure, fmt::format("cannot write {}", a.folded));
    }

    const auto b = profile::breakdown(folded.value());
    const int64_t packets = before >= 0 && after >= before ? after - before : -1;
    const bool time_based = sum.event == "cpu-clock" || sum.event == "task-clock";
    const std::string unit = time_based ? "ns" : sum.event;
    if (a.json) {
        Json stages = Json::array();
        for (size_t i = 0; i < profile::kStages; ++i) {
            const auto s = static_cast<profile::Stage>(i);
            Json st{{"stage", profile::stage_name(s)}, {"weight", b.weight[i]}};
            if (packets > 0)
                st["per_packet"] = static_cast<double>(b.weight[i]) / static_cast<double>(packets);
            stages.push_back(std::move(st));
        }
        print_json(Json{{"pid", pid},
                        {"event", sum.event},
                        {"unit", unit},
                        {"samples", sum.samples},
                        {"seconds", seconds},
                        {"packets", packets},
                        {"svg", a.out},
                        {"note", note},
                        {"stages", std::move(stages)}});
        return kOk;
    }
    fmt::print("{} samples of {} over {:.1f} s; flame graph: {}\n", sum.samples, sum.event, seconds,
               a.out);
    if (packets > 0) {
        fmt::print("{} packets (rx+tx) in that time\n", packets);
        fmt::print("{:<10} {:>7} {:>14}\n", "stage", "share", fmt::format("{}/packet", unit));
    } else {
        fmt::print("{:<10} {:>7}   (give --stats-file for per-packet figures)\n", "stage", "share");
    }
    for (size_t i = 0; i < profile::kStages; ++i) {
        const double share =
            b.total == 0 ? 0.0
                         : 100.0 * static_cast<double>(b.weight[i]) / static_cast<double>(b.total);
        const auto name = profile::stage_name(static_cast<profile::Stage>(i));
        if (packets > 0) {
            fmt::print("{:<10} {:>6.1f}% {:>14.1f}\n", name, share,
                       static_cast<double>(b.weight[i]) / static_cast<double>(packets));
        } else {
            fmt::print("{:<10} {:>6.1f}%\n", name, share);
        }
    }
    return kOk;
}

}  // namespace

void add_profile(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<ProfileArgs>();
    auto* sub = app.add_subcommand(
        "profile",
        "Record the running shuntd with perf (call stacks), write a flame graph (SVG) and "
        "print the time per stage (driver RX, IP, TCP, app, driver TX) and per packet");
    sub->add_option("--pid", a->pid, "the shuntd to record (default: the only one running)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--duration", a->duration_s, "seconds to record (default 10)");
    sub->add_option("--out", a->out, "the flame graph (default shunt-profile.svg)");
    sub->add_option("--folded", a->folded, "also write the folded stacks here");
    sub->add_option("--stats-file", a->stats_file,
                    "shuntd's --stats-file: gives the packets for per-packet figures");
    sub->add_option("--event", a->event,
                    "perf event (default: cycles where the CPU counts them, else cpu-clock)");
    sub->add_option("--frequency", a->frequency, "samples per second (default 999)")
        ->check(CLI::Range(1, 20000));
    sub->add_flag("--json", a->json, "Print JSON");
    sub->callback([&ctx, a] { ctx.rc = run_profile(*a); });
}

}  // namespace shunt::cli
