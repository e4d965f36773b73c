// Test tool (not shipped): opens an igb through driver/pci_nic with several queue pairs and
// polls every queue for --seconds. For each IPv4 TCP frame to --port it checks, against the
// software Toeplitz hash (driver/intel/toeplitz.hpp) over the frame's addresses and ports with
// the key the driver programmed, that
//   * the hash the NIC wrote back into the descriptor equals the software hash, and
//   * the frame landed on the queue the redirection table gives for that hash.
// It prints one line per flow and a summary; exit 0 only when every frame matched, at least
// --min-flows flows were seen and they landed on at least two queues. With --interrupts it
// sleeps in epoll on every queue's MSI-X eventfd instead of polling, and each queue that
// received frames must have woken it at least once.
#include "driver/igb/igb_nic.hpp"
#include "driver/intel/toeplitz.hpp"
#include "driver/pci_nic.hpp"
#include "packet/packet_buf.hpp"

#include <sys/epoll.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>

namespace {

struct Flow {
    std::array<uint8_t, 4> src, dst;
    uint16_t sport, dport;
    auto key() const { return std::tuple(src, dst, sport, dport); }
};

// An Ethernet/IPv4/TCP frame's flow, or false.
bool parse(const shunt::PacketBuf& b, Flow& f) {
    const auto bytes = b.bytes();
    if (bytes.size() < 14 + 20 + 20 || bytes[12] != 0x08 || bytes[13] != 0x00) return false;
    const uint8_t* ip = bytes.data() + 14;
    const size_t ihl = size_t{ip[0] & 0x0Fu} * 4;
    if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 6 || bytes.size() < 14 + ihl + 4) return false;
    std::copy(ip + 12, ip + 16, f.src.begin());
    std::copy(ip + 16, ip + 20, f.dst.begin());
    const uint8_t* tcp = ip + ihl;
    f.sport = static_cast<uint16_t>(tcp[0] << 8 | tcp[1]);
    f.dport = static_cast<uint16_t>(tcp[2] << 8 | tcp[3]);
    return true;
}

std::string addr(const std::array<uint8_t, 4>& a) {
    return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." +
           std::to_string(a[3]);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"igb RSS probe: frames of several flows, their queues and hashes"};
    std::string nic_addr;
    unsigned queues = 4, seconds = 20, min_flows = 8, port = 5001;
    bool allow_noiommu = false, interrupts = false, symmetric = false;
    app.add_option("--nic", nic_addr, "PCI address")->required();
    app.add_option("--queues", queues, "queue pairs");
    app.add_option("--seconds", seconds, "how long to poll");
    app.add_option("--min-flows", min_flows, "flows that must be seen");
    app.add_option("--port", port, "TCP destination port of the flows counted");
    app.add_flag("--allow-noiommu", allow_noiommu, "accept a no-IOMMU group");
    app.add_flag("--interrupts", interrupts, "sleep on the queues' MSI-X eventfds");
    app.add_flag("--symmetric", symmetric, "program the symmetric RSS key");
    CLI11_PARSE(app, argc, argv);

    shunt::PciNicOptions o;
    o.allow_noiommu = allow_noiommu;
    o.queues = static_cast<uint16_t>(queues);
    o.pool_buffers = 1024;
    o.interrupts = interrupts;
    o.rss_symmetric = symmetric;
    auto nic = shunt::open_pci_nic(nic_addr, o);
    if (!nic) {
        std::fprintf(stderr, "rss: %s\n", nic.error().message.c_str());
        return 1;
    }
    auto* igb = dynamic_cast<shunt::igb::IgbNic*>(nic->get());
    if (igb == nullptr) {
        std::fprintf(stderr, "rss: %s is not an igb (driver %s)\n", nic_addr.c_str(),
                     (*nic)->driver().c_str());
        return 1;
    }
    const auto& key = igb->rss_key();
    std::printf("rss: %s up with %u queues, link %s, key %02x%02x%02x%02x...\n", nic_addr.c_str(),
                igb->queue_count(), igb->link().up ? "up" : "down", key[0], key[1], key[2], key[3]);
    std::fflush(stdout);

    int ep = -1;
    if (interrupts) {
        ep = ::epoll_create1(EPOLL_CLOEXEC);
        for (uint16_t q = 0; q < igb->queue_count(); ++q) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = q;
            if (igb->wait_fd(q) < 0 || ::epoll_ctl(ep, EPOLL_CTL_ADD, igb->wait_fd(q), &ev) != 0) {
                std::fprintf(stderr, "rss: queue %u has no interrupt eventfd\n", q);
                return 1;
            }
        }
    }
    std::vector<unsigned> wakeups(igb->queue_count(), 0);
    std::map<decltype(Flow{}.key()), unsigned> flow_queue;
    std::set<unsigned> queues_used;
    std::vector<unsigned> per_queue(igb->queue_count(), 0);
    unsigned frames = 0, hash_mismatch = 0, queue_mismatch = 0, moved = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::array<shunt::PacketBuf*, 32> bufs{};
    while (std::chrono::steady_clock::now() < until) {
        size_t got = 0;
        for (uint16_t q = 0; q < igb->queue_count(); ++q) {
            const size_t n = igb->rx_batch(q, bufs);
            got += n;
            for (size_t i = 0; i < n; ++i) {
                Flow f{};
                if (parse(*bufs[i], f) && f.dport == port) {
                    ++frames;
                    ++per_queue[q];
                    const uint32_t want = shunt::intel::rss_hash_ipv4_l4(igb->rss_key(), f.src,
                                                                         f.dst, f.sport, f.dport);
                    const uint32_t hw = bufs[i]->rss_hash();
                    const unsigned predicted = igb->reta()[want % 128];
                    if (hw != want) ++hash_mismatch;
                    if (predicted != q) ++queue_mismatch;
                    auto [it, fresh] = flow_queue.emplace(f.key(), q);
                    if (!fresh && it->second != q) ++moved;
                    queues_used.insert(q);
                    if (fresh || hw != want || predicted != q) {
                        std::printf(
                            "rss: queue %u flow %s:%u -> %s:%u nic hash 0x%08x toeplitz 0x%08x "
                            "table queue %u%s\n",
                            q, addr(f.src).c_str(), f.sport, addr(f.dst).c_str(), f.dport, hw, want,
                            predicted, hw == want && predicted == q ? "" : " MISMATCH");
                    }
                }
                bufs[i]->unref();
            }
        }
        if (got == 0 && ep >= 0) {
            std::array<epoll_event, 8> evs{};
            const int k = ::epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 100);
            for (int e = 0; e < k; ++e) ++wakeups[evs[static_cast<size_t>(e)].data.u32];
        } else if (got == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    if (ep >= 0) ::close(ep);
    std::printf("rss: per queue:");
    for (unsigned c : per_queue) std::printf(" %u", c);
    std::printf(
        "\nrss: frames %u flows %zu queues-used %zu hash-mismatches %u queue-mismatches "
        "%u flows-moved %u\n",
        frames, flow_queue.size(), queues_used.size(), hash_mismatch, queue_mismatch, moved);
    bool woke = true;
    if (interrupts) {
        std::printf("rss: interrupt wakeups per queue:");
        for (size_t q = 0; q < wakeups.size(); ++q) {
            std::printf(" %u", wakeups[q]);
            if (per_queue[q] > 0 && wakeups[q] == 0) woke = false;
        }
        std::printf("\n");
    }
    const bool ok = frames > 0 && hash_mismatch == 0 && queue_mismatch == 0 && moved == 0 &&
                    flow_queue.size() >= min_flows && queues_used.size() >= 2 && woke;
    std::printf("rss: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
