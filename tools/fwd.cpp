// shunt-fwd: forwards every frame between two ports, both ways, without copying: a buffer that
// port A received is handed to port B's transmit ring as it is (both pci: ports share one VFIO
// container, so B can DMA from A's buffers). Like ixy-fwd it is a layer-2 wire: no MAC
// rewrite, both ports promiscuous. Prints per-second rates and drops per direction.
//
//   shunt-fwd --nic pci:0000:00:02.0 --nic pci:0000:00:04.0 [--seconds 30] [--batch 32]
//             [--allow-noiommu]
#include "base/time.hpp"
#include "packet/packet_buf.hpp"
#include "tools/nic_spec.hpp"
#include "tools/stack_loop.hpp"
#include "tools/tool_main.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

struct Options {
    std::vector<std::string> nics;
    double seconds = 0;  // 0: until SIGINT/SIGTERM
    size_t batch = 32;
    bool allow_noiommu = false;
};

int fail(int code, const std::string& message) {
    return shunt::tools::fail("shunt-fwd", code, message);
}

constexpr size_t kMaxBatch = 256;

// One direction of the wire and what went through it.
struct Direction {
    shunt::Nic& from;
    shunt::Nic& to;
    const char* name;  // "0->1"
    uint64_t frames = 0, bytes = 0, dropped = 0;
    uint64_t last_frames = 0, last_bytes = 0, last_dropped = 0;

    // Moves up to one batch; returns the number of frames received.
    size_t forward(size_t batch) noexcept {
        std::array<shunt::PacketBuf*, kMaxBatch> bufs{};
        const size_t n = from.rx_batch(0, {bufs.data(), batch});
        if (n == 0) return 0;
        uint64_t n_bytes = 0;
        for (size_t i = 0; i < n; ++i) n_bytes += bufs[i]->length();
        const size_t sent = to.tx_batch(0, {bufs.data(), n});
        // The transmit ring was full: what it did not take is dropped here (counted), not queued,
        // as a hardware switch would under overload.
        for (size_t i = sent; i < n; ++i) {
            n_bytes -= bufs[i]->length();
            bufs[i]->unref();
        }
        frames += sent;
        bytes += n_bytes;
        dropped += n - sent;
        return n;
    }

    void print(const char* what, double secs, bool total) {
        const uint64_t f = total ? frames : frames - last_frames;
        const uint64_t b = total ? bytes : bytes - last_bytes;
        const uint64_t d = total ? dropped : dropped - last_dropped;
        fmt::print(
            "fwd: {} {} {:.3f} Mpps, {:.3f} Mbit/s, {} frames, {} dropped (tx ring full), "
            "rx_dropped {}\n",
            what, name, static_cast<double>(f) / secs / 1e6,
            static_cast<double>(b) * 8 / secs / 1e6, f, d, from.counters().rx_dropped);
        last_frames = frames;
        last_bytes = bytes;
        last_dropped = dropped;
    }
};

int run(const Options& o) {
    shunt::tools::NicOptions nic_opts;
    nic_opts.pci.allow_noiommu = o.allow_noiommu;
    nic_opts.pci.promiscuous = true;  // a wire forwards frames for any destination
    auto opened = shunt::tools::open_nics(o.nics, nic_opts);
    if (!opened) return fail(1, opened.error().message);
    const shunt::NicSet& nics = *opened;
    for (size_t i = 0; i < nics.size(); ++i) {
        const auto link = nics[i].link();
        fmt::print("fwd: port {} {} driver {} mac {} link {} {} Mbit/s\n", i, nics[i].name(),
                   nics[i].driver(), nics[i].mac().to_string(), link.up ? "up" : "down",
                   link.speed_mbps);
    }
    std::fflush(stdout);

    std::array<Direction, 2> dirs{Direction{nics[0], nics[1], "0->1"},
                                  Direction{nics[1], nics[0], "1->0"}};
    const auto start = shunt::Instant::now();
    auto last_print = start;
    const auto stop_at = start + shunt::Duration(static_cast<int64_t>(o.seconds * 1e6));
    uint32_t empty_polls = 0;
    // Either port's device gone or asked back ends the run (exit 1, its line).
    std::array<shunt::tools::NicWatch, 2> watch{shunt::tools::NicWatch(nics[0]),
                                                shunt::tools::NicWatch(nics[1])};
    auto healthy = [&watch](shunt::Instant now) { return watch[0].ok(now) && watch[1].ok(now); };
    while (!shunt::tools::stop_requested() && healthy(shunt::Instant::now())) {
        const size_t moved = dirs[0].forward(o.batch) + dirs[1].forward(o.batch);
        if (moved == 0 && ++empty_polls >= 1000) {
            // A short back-off after a run of empty polls keeps a TCG guest responsive.
            std::this_thread::sleep_for(std::chrono::microseconds(50));
            empty_polls = 0;
        } else if (moved > 0) {
            empty_polls = 0;
        }
        const auto now = shunt::Instant::now();
        if (now - last_print >= shunt::Duration(1'000'000)) {
            const double secs = static_cast<double>((now - last_print).count()) / 1e6;
            for (auto& d : dirs) d.print("1s:", secs, false);
            std::fflush(stdout);
            last_print = now;
        }
        if (o.seconds > 0 && now >= stop_at) break;
    }
    const double secs =
        std::max(1e-6, static_cast<double>((shunt::Instant::now() - start).count()) / 1e6);
    for (auto& d : dirs) d.print("total", secs, true);
    for (const auto& w : watch) {
        if (w.health() != shunt::NicHealth::ok) return fail(1, w.message());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"shunt-fwd: forward frames between two ports, both ways, zero copy"};
    app.add_option("--nic", o.nics, "a port: pci:DDDD:BB:DD.F or tap:NAME (give exactly two)")
        ->required()
        ->expected(2);
    app.add_option("--seconds", o.seconds, "stop after this many seconds (0 = until a signal)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--batch", o.batch, "frames per rx/tx batch")->check(CLI::Range(1, 256));
    app.add_flag("--allow-noiommu", o.allow_noiommu, "accept no-IOMMU VFIO groups (unsafe)");
    app.footer(
        "Example:\n  shunt-fwd --nic pci:0000:03:00.0 --nic pci:0000:03:00.1 --seconds 60\n"
        "Exit status: 0 done, 1 a port could not be opened, 2 bad arguments.");
    if (auto rc = shunt::tools::parse_command_line(app, argc, argv, "shunt-fwd")) return *rc;
    if (o.nics[0] == o.nics[1]) return fail(2, fmt::format("--nic {} given twice", o.nics[0]));
    shunt::tools::install_stop_handlers();
    return run(o);
}
