// shunt-pktgen: sends UDP/IPv4 frames as fast as the NIC takes them, each carrying a sequence
// number, and prints per-second rates. The payload is "SHUNTSEQ", the 64-bit sequence number
// (big-endian), then zeros; tests rebuild the exact frames from that.
//
//   shunt-pktgen --nic pci:0000:00:02.0 --count 1000 --size 60 --dst-mac ff:ff:ff:ff:ff:ff
#include "base/log.hpp"
#include "base/time.hpp"
#include "packet/packet_buf.hpp"
#include "stack/wire/checksum.hpp"
#include "tools/nic_spec.hpp"
#include "tools/stack_loop.hpp"
#include "tools/tool_main.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <array>
#include <atomic>
#include <csignal>
#include <cstring>
#include <thread>

namespace {

int fail(int code, const std::string& message) {
    return shunt::tools::fail("shunt-pktgen", code, message);
}

struct Options {
    std::string nic;
    uint64_t count = 0;  // 0: until interrupted
    uint64_t seq_start = 0;
    uint32_t size = 60;
    std::string dst_mac = "ff:ff:ff:ff:ff:ff";
    std::string src_ip = "10.0.2.99";
    std::string dst_ip = "10.0.2.254";
    bool allow_noiommu = false;
    bool offload = false;
    double seconds = 0;
};

constexpr size_t kBatch = 32;
constexpr uint16_t kSrcPort = 4242;
constexpr uint16_t kDstPort = 4243;

void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

// Writes frame `seq` of `size` bytes into b. With offload the checksums are left to the NIC.
void build_frame(shunt::PacketBuf& b, uint64_t seq, const Options& o, const shunt::MacAddr& src,
                 const shunt::MacAddr& dst, shunt::wire::Ipv4Addr sip, shunt::wire::Ipv4Addr dip) {
    uint8_t* f = b.append(o.size);
    std::memset(f, 0, o.size);
    std::memcpy(f, dst.bytes.data(), 6);
    std::memcpy(f + 6, src.bytes.data(), 6);
    put16(f + 12, 0x0800);
    uint8_t* ip = f + 14;
    const auto ip_len = static_cast<uint16_t>(o.size - 14);
    ip[0] = 0x45;
    put16(ip + 2, ip_len);
    put16(ip + 4, static_cast<uint16_t>(seq));  // identification
    ip[8] = 64;
    ip[9] = 17;
    put16(ip + 12, static_cast<uint16_t>(sip.value >> 16));
    put16(ip + 14, static_cast<uint16_t>(sip.value));
    put16(ip + 16, static_cast<uint16_t>(dip.value >> 16));
    put16(ip + 18, static_cast<uint16_t>(dip.value));
    uint8_t* udp = ip + 20;
    const auto udp_len = static_cast<uint16_t>(ip_len - 20);
    put16(udp, kSrcPort);
    put16(udp + 2, kDstPort);
    put16(udp + 4, udp_len);
    uint8_t* payload = udp + 8;
    std::memcpy(payload, "SHUNTSEQ", 8);
    for (int i = 0; i < 8; ++i) payload[8 + i] = static_cast<uint8_t>(seq >> (56 - 8 * i));
    if (o.offload) {
        b.set_flags(shunt::tx_flags::ip_csum | shunt::tx_flags::l4_csum);
        // What the stack's Ethernet and IPv4 layers record (TxMeta): drivers never parse.
        b.set_l2_len(14);
        b.set_l3_meta(20, shunt::l4_type::udp, udp_len,
                      static_cast<uint16_t>(~shunt::wire::checksum_fold(
                          shunt::wire::pseudo_header_sum(sip, dip, 17, udp_len))));
        return;
    }
    put16(ip + 10, shunt::wire::internet_checksum({ip, 20}));
    const uint32_t pseudo = shunt::wire::pseudo_header_sum(sip, dip, 17, udp_len);
    uint16_t c = shunt::wire::checksum_fold(shunt::wire::checksum_partial({udp, udp_len}, pseudo));
    put16(udp + 6, c == 0 ? 0xFFFF : c);  // RFC 768: a computed zero is sent as all ones
}

struct Totals {
    uint64_t frames = 0;
    uint64_t bytes = 0;
    uint64_t ring_full = 0;  // batches the NIC did not take whole (frames were retried)
};

void print_rate(const char* what, const Totals& now, const Totals& before, double secs,
                const shunt::NicCounters& c) {
    const double pps = static_cast<double>(now.frames - before.frames) / secs;
    const double bits = static_cast<double>(now.bytes - before.bytes) * 8 / secs;
    fmt::print("pktgen: {} {:.3f} Mpps, {:.3f} Mbit/s, tx_dropped {}, tx_errors {}, ring_full {}\n",
               what, pps / 1e6, bits / 1e6, c.tx_dropped, c.tx_errors, now.ring_full);
    std::fflush(stdout);
}

int run(const Options& o, const shunt::MacAddr& dst, shunt::wire::Ipv4Addr sip,
        shunt::wire::Ipv4Addr dip) {
    shunt::tools::NicOptions nic_opts;
    nic_opts.pci.allow_noiommu = o.allow_noiommu;
    auto opened = shunt::tools::open_nic(o.nic, nic_opts);
    if (!opened) return fail(1, opened.error().message);
    shunt::Nic& nic = **opened;
    const auto link = nic.link();
    fmt::print("pktgen: {} driver {} mac {} link {} {} Mbit/s\n", nic.name(), nic.driver(),
               nic.mac().to_string(), link.up ? "up" : "down", link.speed_mbps);
    if (o.offload && !(nic.caps().tx_ip_csum && nic.caps().tx_l4_csum)) {
        return fail(1, fmt::format("{} has no transmit checksum offload", nic.name()));
    }
    shunt::Mempool& pool = nic.tx_pool(0);
    std::array<shunt::PacketBuf*, kBatch> bufs{};
    Totals total, last;
    uint64_t seq = 0;  // frames sent so far; frame i carries o.seq_start + i
    const auto start = shunt::Instant::now();
    auto last_print = start;
    const auto stop_at = start + shunt::Duration(static_cast<int64_t>(o.seconds * 1e6));
    shunt::tools::NicWatch watch(nic);  // a device gone or asked back ends the run (exit 1)
    while (!shunt::tools::stop_requested() && (o.count == 0 || seq < o.count) &&
           watch.ok(shunt::Instant::now())) {
        const size_t want = o.count == 0 ? kBatch : std::min<uint64_t>(kBatch, o.count - seq);
        const size_t got = pool.alloc_batch({bufs.data(), want});
        for (size_t i = 0; i < got; ++i)
            build_frame(*bufs[i], o.seq_start + seq + i, o, nic.mac(), dst, sip, dip);
        // Retry until the NIC took them all, like ixy's busy-wait send: none are lost here.
        size_t sent = 0;
        while (sent < got && !shunt::tools::stop_requested() && watch.ok(shunt::Instant::now())) {
            const size_t n = nic.tx_batch(0, {bufs.data() + sent, got - sent});
            if (n < got - sent) ++total.ring_full;
            sent += n;
        }
        if (sent < got) shunt::Mempool::unref_batch({bufs.data() + sent, got - sent});
        seq += sent;
        total.frames += sent;
        total.bytes += sent * o.size;
        if (got == 0) std::this_thread::yield();  // every buffer is in flight
        const auto now = shunt::Instant::now();
        if (now - last_print >= shunt::Duration(1'000'000)) {
            print_rate("1s:", total, last, static_cast<double>((now - last_print).count()) / 1e6,
                       nic.counters());
            last = total;
            last_print = now;
        }
        if (o.seconds > 0 && now >= stop_at) break;
    }
    nic.tx_batch(0, {});  // reap what is done; the driver drains the rest when it closes
    const double secs =
        std::max(1e-6, static_cast<double>((shunt::Instant::now() - start).count()) / 1e6);
    const auto c = nic.counters();
    print_rate("total", total, Totals{}, secs, c);
    fmt::print("pktgen: sent {} frames, {} bytes in {:.3f} s; nic tx_packets {}\n", total.frames,
               total.bytes, secs, c.tx_packets);
    if (watch.health() != shunt::NicHealth::ok) return fail(1, watch.message());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"shunt-pktgen: send sequence-numbered UDP frames as fast as the NIC takes them"};
    app.add_option("--nic", o.nic, "pci:DDDD:BB:DD.F or tap:NAME")->required();
    app.add_option("--count", o.count, "frames to send (0 = until interrupted)");
    app.add_option("--seq-start", o.seq_start, "sequence number of the first frame");
    app.add_option("--size", o.size, "frame size in bytes without FCS (60-1514)")
        ->check(CLI::Range(60, 1514));
    app.add_option("--dst-mac", o.dst_mac, "destination MAC");
    app.add_option("--src-ip", o.src_ip, "source IPv4 address");
    app.add_option("--dst-ip", o.dst_ip, "destination IPv4 address");
    app.add_option("--seconds", o.seconds, "stop after this many seconds")
        ->check(CLI::NonNegativeNumber);
    app.add_flag("--offload", o.offload, "let the NIC fill the IPv4 and UDP checksums");
    app.add_flag("--allow-noiommu", o.allow_noiommu, "accept a no-IOMMU VFIO group (unsafe)");
    if (auto rc = shunt::tools::parse_command_line(app, argc, argv, "shunt-pktgen")) return *rc;
    auto dst = shunt::MacAddr::parse(o.dst_mac);
    if (!dst) return fail(2, fmt::format("--dst-mac '{}': expected aa:bb:cc:dd:ee:ff", o.dst_mac));
    auto sip = shunt::wire::Ipv4Addr::parse(o.src_ip);
    auto dip = shunt::wire::Ipv4Addr::parse(o.dst_ip);
    if (!sip || !dip) return fail(2, "--src-ip/--dst-ip: expected A.B.C.D");
    shunt::tools::install_stop_handlers();
    return run(o, *dst, *sip, *dip);
}
