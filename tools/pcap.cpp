// shunt-pcap: writes every frame the NIC receives to a pcap file (libpcap format, microsecond
// timestamps, Ethernet) that tcpdump and tshark read, printing per-second rates and drops.
//
//   shunt-pcap --nic pci:0000:00:02.0 --out rx.pcap --count 100 --seconds 30
//              [--interrupts [--irq best|msix|msi|intx]]
#include "base/time.hpp"
#include "base/unique_fd.hpp"
#include "packet/packet_buf.hpp"
#include "tools/nic_spec.hpp"
#include "tools/stack_loop.hpp"
#include "tools/tool_main.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/time.h>
#include <CLI/CLI.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

namespace {

int fail(int code, const std::string& message) {
    return shunt::tools::fail("shunt-pcap", code, message);
}

struct Options {
    std::string nic;
    std::string out;
    uint64_t count = 0;  // 0: no limit
    double seconds = 0;  // 0: no limit
    shunt::tools::PciFlags pci;
    bool promiscuous = false;
};

// pcap file format (https://wiki.wireshark.org/Development/LibpcapFileFormat), host byte order.
struct PcapFileHeader {
    uint32_t magic = 0xa1b2c3d4;  // microsecond timestamps
    uint16_t version_major = 2;
    uint16_t version_minor = 4;
    int32_t thiszone = 0;
    uint32_t sigfigs = 0;
    uint32_t snaplen = 65535;
    uint32_t network = 1;  // LINKTYPE_ETHERNET
};
static_assert(sizeof(PcapFileHeader) == 24);
struct PcapRecordHeader {
    uint32_t ts_sec;
    uint32_t ts_usec;
    uint32_t incl_len;
    uint32_t orig_len;
};
static_assert(sizeof(PcapRecordHeader) == 16);

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

constexpr size_t kBatch = 32;

void print_rate(const char* what, uint64_t frames, uint64_t bytes, double secs,
                const shunt::NicCounters& c) {
    fmt::print("pcap: {} {:.3f} Mpps, {:.3f} Mbit/s, rx_dropped {}, rx_errors {}\n", what,
               static_cast<double>(frames) / secs / 1e6,
               static_cast<double>(bytes) * 8 / secs / 1e6, c.rx_dropped, c.rx_errors);
    std::fflush(stdout);
}

// Waits for frames: on the NIC's fd in interrupt mode (counting the wakeups it gave), otherwise
// a short back-off sleep after a run of empty polls (keeps a TCG guest responsive).
void idle(int fd, uint32_t& empty_polls, uint64_t& wakeups) {
    if (fd >= 0) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 500) > 0) ++wakeups;
        return;
    }
    if (++empty_polls >= 1000) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        empty_polls = 0;
    }
}

int run(const Options& o) {
    shunt::tools::NicOptions nic_opts;
    shunt::tools::apply_pci_flags(o.pci, nic_opts.pci);
    nic_opts.pci.promiscuous = o.promiscuous;
    auto opened = shunt::tools::open_nic(o.nic, nic_opts);
    if (!opened) return fail(1, opened.error().message);
    shunt::Nic& nic = **opened;
    std::unique_ptr<std::FILE, FileCloser> out(std::fopen(o.out.c_str(), "wb"));
    if (!out) return fail(1, fmt::format("cannot write {}: {}", o.out, std::strerror(errno)));
    const PcapFileHeader fh;
    std::fwrite(&fh, sizeof(fh), 1, out.get());
    const int fd = nic.wait_fd(0);
    const auto link = nic.link();
    fmt::print("pcap: {} driver {} mac {} link {} {} Mbit/s, {} mode\n", nic.name(), nic.driver(),
               nic.mac().to_string(), link.up ? "up" : "down", link.speed_mbps,
               fd >= 0 ? "interrupt" : "poll");
    std::fflush(stdout);

    std::array<shunt::PacketBuf*, kBatch> bufs{};
    uint64_t frames = 0, bytes = 0, last_frames = 0, last_bytes = 0;
    uint32_t empty_polls = 0;
    uint64_t wakeups = 0;
    const auto start = shunt::Instant::now();
    auto last_print = start;
    const auto stop_at = start + shunt::Duration(static_cast<int64_t>(o.seconds * 1e6));
    shunt::tools::NicWatch watch(nic);  // a device gone or asked back ends the capture (exit 1)
    while (!shunt::tools::stop_requested() && (o.count == 0 || frames < o.count) &&
           watch.ok(shunt::Instant::now())) {
        const size_t n = nic.rx_batch(0, bufs);
        if (n > 0) {
            timeval tv{};
            ::gettimeofday(&tv, nullptr);
            for (size_t i = 0; i < n; ++i) {
                if (o.count == 0 || frames < o.count) {
                    const uint32_t len = bufs[i]->length();
                    const PcapRecordHeader rh{static_cast<uint32_t>(tv.tv_sec),
                                              static_cast<uint32_t>(tv.tv_usec), len, len};
                    std::fwrite(&rh, sizeof(rh), 1, out.get());
                    std::fwrite(bufs[i]->data(), 1, len, out.get());
                    ++frames;
                    bytes += len;
                }
                bufs[i]->unref();
            }
            empty_polls = 0;
        } else {
            idle(fd, empty_polls, wakeups);
        }
        const auto now = shunt::Instant::now();
        if (now - last_print >= shunt::Duration(1'000'000)) {
            const double secs = static_cast<double>((now - last_print).count()) / 1e6;
            print_rate("1s:", frames - last_frames, bytes - last_bytes, secs, nic.counters());
            last_frames = frames;
            last_bytes = bytes;
            last_print = now;
        }
        if (o.seconds > 0 && now >= stop_at) break;
    }
    if (std::fflush(out.get()) != 0) {
        return fail(1, fmt::format("writing {}: {}", o.out, std::strerror(errno)));
    }
    const double secs =
        std::max(1e-6, static_cast<double>((shunt::Instant::now() - start).count()) / 1e6);
    const auto c = nic.counters();
    print_rate("total", frames, bytes, secs, c);
    fmt::print("pcap: captured {} frames, {} bytes in {:.3f} s to {}; interrupt wakeups {}\n",
               frames, bytes, secs, o.out, wakeups);
    if (watch.health() != shunt::NicHealth::ok) return fail(1, watch.message());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"shunt-pcap: write what the NIC receives to a pcap file"};
    app.add_option("--nic", o.nic, "pci:DDDD:BB:DD.F or tap:NAME")->required();
    app.add_option("--out", o.out, "pcap file to write")->required();
    app.add_option("--count", o.count, "stop after this many frames (0 = no limit)");
    app.add_option("--seconds", o.seconds, "stop after this many seconds (0 = no limit)")
        ->check(CLI::NonNegativeNumber);
    app.add_flag("--promiscuous", o.promiscuous, "receive frames for any destination MAC");
    shunt::tools::add_pci_flags(app, o.pci);
    if (auto rc = shunt::tools::parse_command_line(app, argc, argv, "shunt-pcap")) return *rc;
    shunt::tools::install_stop_handlers();
    return run(o);
}
