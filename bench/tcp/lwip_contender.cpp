// Contender (c): lwIP 2.1.3 (raw API, NO_SYS=1) on the in-memory wire. lwIP keeps global
// state, so each end is its own forked process (shunt's ends are two threads of one process);
// the wire, the pools and LwipControl are shared memory created before the fork.
#include "bench/tcp/lwip_contender.hpp"

#include "bench/tcp/child_process.hpp"
#include "bench/tcp/interrupt.hpp"
#include "bench/tcp/lwip_workloads.hpp"
#include "bench/tcp/shared_mapping.hpp"

#include "lwip/init.h"
#include "lwip/opt.h"

#include <cstdio>
#include <thread>

namespace shunt::bench {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kSlack = std::chrono::seconds(30);

struct Pair {
    std::unique_ptr<MemWire> wire;
    SharedObject<LwipControl> ctl;
    ChildProcess server, client;
};

Status child_status(Result<int> code, const LwipControl& ctl, const char* who) {
    if (!code) return make_error("lwIP {}: {}", who, code.error().message);
    if (*code != 0) return make_error("lwIP {}: {}", who, ctl.error[0] ? ctl.error : "failed");
    return {};
}

class LwipContender final : public Contender {
  public:
    std::string name() const override { return "lwIP"; }

    std::string setup() const override {
        return fmt::format(
            "lwIP {} (Debian source 2.1.3+dfsg1-2) raw API, NO_SYS=1, one process per end on "
            "the in-memory wire, MSS {}, TCP_WND {} (scale {}), TCP_SND_BUF {}, "
            "{} pcbs, {} pool pbufs, {} MiB heap, checksums offloaded like veth",
            LWIP_VERSION_STRING, TCP_MSS, TCP_WND, TCP_RCV_SCALE, TCP_SND_BUF, MEMP_NUM_TCP_PCB,
            PBUF_POOL_SIZE, MEM_SIZE >> 20);
    }

    Result<Measurement> run(Workload w, const RunOptions& o) override {
        const LwipTask task = w == Workload::transactions ? LwipTask::transactions
                              : w == Workload::bulk       ? LwipTask::bulk
                                                          : LwipTask::connections;
        auto pair = start(task, o);
        if (!pair) return pair.error();
        Pair& p = *pair;
        auto client = p.client.wait_for(o.warmup + o.duration + kSlack);
        p.ctl->stop.store(true);
        auto server = p.server.wait_for(std::chrono::seconds(10));
        if (auto s = child_status(std::move(client), *p.ctl, "client"); !s) return s.error();
        if (auto s = child_status(std::move(server), *p.ctl, "server"); !s) return s.error();
        if (const uint64_t drops = p.ctl->link_drops.load(); drops > 0) {
            std::fprintf(stderr, "  lwIP: %llu frames dropped at link_output (wire full)\n",
                         static_cast<unsigned long long>(drops));
        }
        Measurement m;
        m.operations = p.ctl->operations;
        m.bytes = p.ctl->bytes;
        m.seconds = p.ctl->seconds;
        return m;
    }

    Result<IdleMemory> idle_memory(const RunOptions& o) override {
        RunOptions idle = o;
        // Both ends need a pcb per connection from a fixed pool (the listener has its own).
        idle.idle_connections = std::min<uint32_t>(o.idle_connections, MEMP_NUM_TCP_PCB - 16);
        auto pair = start(LwipTask::idle, idle);
        if (!pair) return pair.error();
        Pair& p = *pair;
        const uint64_t n = idle.idle_connections;
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        while (p.ctl->client_open.load() < n || p.ctl->server_open.load() < n) {
            if (Clock::now() > deadline || interrupted()) {
                p.ctl->stop.store(true);
                return make_error("only {} of {} idle lwIP connections came up",
                                  std::min(p.ctl->client_open.load(), p.ctl->server_open.load()),
                                  n);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let ACKs settle
        p.ctl->measure.store(true, std::memory_order_release);
        const auto measure_by = Clock::now() + std::chrono::seconds(5);
        while (p.ctl->measured.load(std::memory_order_acquire) < 2 && Clock::now() < measure_by) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        p.ctl->stop.store(true);
        if (p.ctl->measured.load() < 2) return make_error("lwIP ends did not report memory");
        uint64_t bytes = 0;
        for (int side = 0; side < 2; ++side) {
            bytes += p.ctl->idle_after[side].total() - p.ctl->idle_before[side].total();
        }
        IdleMemory m;
        m.connections = n;
        m.bytes_per_connection = static_cast<double>(bytes) / (2.0 * static_cast<double>(n));
        m.method = fmt::format(
            "lwIP pool + heap statistics delta over {} connections, both ends "
            "(struct tcp_pcb element {} B; no buffers held when idle)",
            n, LwipHost::tcp_pcb_element_bytes());
        return m;
    }

  private:
    static Result<Pair> start(LwipTask task, const RunOptions& o) {
        auto wire = MemWire::create({});
        if (!wire) return wire.error();
        auto ctl = SharedObject<LwipControl>::create();
        if (!ctl) return ctl.error();
        MemWire& w = **wire;
        LwipControl& c = **ctl;
        auto server =
            ChildProcess::spawn([&] { return lwip_server_main(w.endpoint(0), c, task, o); });
        if (!server) return server.error();
        auto client =
            ChildProcess::spawn([&] { return lwip_client_main(w.endpoint(1), c, task, o); });
        if (!client) return client.error();
        return Pair{std::move(wire).value(), std::move(ctl).value(), std::move(server).value(),
                    std::move(client).value()};
    }
};

}  // namespace

Result<std::unique_ptr<Contender>> make_lwip_contender() {
    return std::unique_ptr<Contender>(new LwipContender());
}

}  // namespace shunt::bench
