// shuntctl capture: frames a running shuntd receives and sends (both directions, with their
// timestamps) into a pcap file that tcpdump, tshark and Wireshark read. The daemon filters
// with libpcap's compiler (--filter is pcap-filter(7)) and copies into a bounded ring; this
// drains the ring over the control socket and writes the file with libpcap's pcap_dump.
// Frames the ring had no room for are counted by the daemon and reported here.
#include "tools/shuntctl/common.hpp"
#include "tools/shuntctl/control_client.hpp"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <thread>

namespace shunt::cli {
namespace {

struct CaptureOptions {
    std::string control;
    std::string out;
    std::string filter;
    uint64_t count = 0;     // 0: no limit
    double duration_s = 0;  // 0: no limit
    uint32_t snaplen = 2048;
    uint32_t ring_frames = 4096;
};

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
    g_stop = 1;
}

using PcapHandle = std::unique_ptr<pcap_t, void (*)(pcap_t*)>;
using DumpHandle = std::unique_ptr<pcap_dumper_t, void (*)(pcap_dumper_t*)>;

// Writes the frames of one capture-read reply; counts them in `written`. An error for a
// frame the daemon described badly (its bytes are checked, not trusted).
Status write_frames(pcap_dumper_t* dump, const Json& reply, uint32_t snaplen, uint64_t limit,
                    uint64_t& written) {
    if (!reply.contains("frames") || !reply["frames"].is_array()) {
        return make_error("capture-read: the reply has no frame list");
    }
    std::string bytes;
    for (const auto& f : reply["frames"]) {
        if (limit != 0 && written >= limit) break;
        if (!f.is_object() || !f.contains("data") || !f["data"].is_string() ||
            !f.contains("t_us") || !f["t_us"].is_number_integer() || !f.contains("len") ||
            !f["len"].is_number_unsigned()) {
            return make_error("capture-read: a frame without t_us, len or data");
        }
        if (!control::from_hex(f["data"].get_ref<const std::string&>(), bytes) ||
            bytes.size() > snaplen || bytes.size() > f["len"].get<uint64_t>()) {
            return make_error("capture-read: a frame's data is not hex of at most its length");
        }
        const int64_t t = f["t_us"].get<int64_t>();
        pcap_pkthdr h{};
        h.ts.tv_sec = t / 1'000'000;
        h.ts.tv_usec = t % 1'000'000;
        h.caplen = static_cast<bpf_u_int32>(bytes.size());
        h.len = static_cast<bpf_u_int32>(f["len"].get<uint64_t>());
        pcap_dump(reinterpret_cast<u_char*>(dump), &h,
                  reinterpret_cast<const u_char*>(bytes.data()));
        ++written;
    }
    return {};
}

int run_capture(const CaptureOptions& o) {
    auto path = find_control_socket(o.control);
    if (!path) return fail(kFailure, path.error().message);
    auto client = ControlClient::connect(path.value());
    if (!client) return fail(kFailure, client.error().message);
    PcapHandle dead(pcap_open_dead(DLT_EN10MB, static_cast<int>(o.snaplen)), pcap_close);
    if (!dead) return fail(kFailure, "pcap_open_dead failed");
    DumpHandle dump(pcap_dump_open(dead.get(), o.out.c_str()), pcap_dump_close);
    if (!dump) return fail(kFailure, fmt::format("{}: {}", o.out, pcap_geterr(dead.get())));

    Json args{{"snaplen", o.snaplen}, {"ring_frames", o.ring_frames}};
    if (!o.filter.empty()) args["filter"] = o.filter;
    if (o.count != 0) args["count"] = o.count;
    auto started = client->call("capture-start", args);
    if (!started) return fail(kFailure, started.error().message);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    fmt::print(stderr, "capturing{} to {} (^C stops)\n",
               o.filter.empty() ? "" : fmt::format(" '{}'", o.filter), o.out);

    const auto start = std::chrono::steady_clock::now();
    const auto deadline =
        start + std::chrono::microseconds(static_cast<int64_t>(o.duration_s * 1e6));
    uint64_t written = 0;
    Json last;
    for (;;) {
        auto r = client->call("capture-read", Json{{"max_frames", 1024}});
        if (!r) return fail(kFailure, r.error().message);
        if (auto s = write_frames(dump.get(), r.value(), o.snaplen, o.count, written); !s) {
            return fail(kFailure, s.error().message);
        }
        last = std::move(r.value());
        const bool drained = last["frames"].empty();
        const bool done = (o.count != 0 && written >= o.count) ||
                          (o.duration_s > 0 && std::chrono::steady_clock::now() >= deadline) ||
                          g_stop != 0;
        if (done && (drained || (o.count != 0 && written >= o.count))) break;
        // The limit reached in the daemon and the ring empty: nothing more will come.
        if (drained && last.value("complete", false)) break;
        if (drained) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto stopped = client->call("capture-stop");
    if (!stopped) return fail(kFailure, stopped.error().message);
    pcap_dump_flush(dump.get());
    const Json& s = stopped.value();
    const uint64_t dropped = s.value("dropped", uint64_t{0});
    fmt::print(
        stderr, "{} frames written to {}; the daemon saw {}, {} matched, {} dropped (ring full)\n",
        written, o.out, s.value("seen", uint64_t{0}), s.value("matched", uint64_t{0}), dropped);
    return kOk;
}

}  // namespace

void add_capture(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<CaptureOptions>();
    auto* sub = app.add_subcommand(
        "capture",
        "Capture what a running shuntd receives and sends (its control socket) into a pcap "
        "file; --filter is a pcap-filter(7) expression, as tcpdump takes");
    sub->add_option("-w,--write", o->out, "pcap file to write")->required();
    sub->add_option("--count", o->count, "stop after N frames");
    sub->add_option("--duration", o->duration_s, "stop after S seconds")
        ->check(CLI::PositiveNumber);
    sub->add_option("--filter", o->filter, "pcap-filter(7) expression, e.g. 'icmp or arp'");
    sub->add_option("--snaplen", o->snaplen, "bytes kept per frame (64-2048)")
        ->check(CLI::Range(64u, 2048u));
    sub->add_option("--ring-frames", o->ring_frames,
                    "frames the daemon's ring holds between reads (1-65536)")
        ->check(CLI::Range(1u, 65536u));
    sub->add_option("--control", o->control,
                    "shuntd's control socket (default: the only one under /run/shunt)");
    sub->callback([&ctx, o] { ctx.rc = run_capture(*o); });
}

}  // namespace shunt::cli
