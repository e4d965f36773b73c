// Contender (b): the Linux kernel's TCP over a veth pair between two network namespaces.
// The server thread enters one namespace and the client thread the other, each pinned to
// its own CPU; both run the epoll loops in socket_workloads.cpp.
#include "bench/tcp/linux_contender.hpp"

#include "bench/tcp/interrupt.hpp"
#include "bench/tcp/netns_pair.hpp"
#include "bench/tcp/socket_workloads.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace shunt::bench {

namespace {
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kSlack{30000};  // setup and teardown beyond the window

// The outcome of a thread's work: `done` is published after `status` is written, so another
// thread may read status once it saw done.
struct ThreadOutcome {
    Status status;
    std::atomic<bool> done{false};
    bool failed() const { return done.load(std::memory_order_acquire) && !status; }
};

// Runs fn in a thread that first enters the namespace and pins itself.
template <typename Fn>
std::jthread start_in_netns(const std::string& ns, int cpu, ThreadOutcome& out, Fn fn) {
    return std::jthread([&out, ns, cpu, fn]() mutable {
        Status s = enter_netns(ns);
        if (s) s = pin_to_cpu(cpu);
        if (s) s = fn();
        out.status = std::move(s);
        out.done.store(true, std::memory_order_release);
    });
}

// Waits (bounded) until pred holds or the server thread reported an error.
template <typename Pred>
bool wait_for(Pred pred, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!pred()) {
        if (Clock::now() > deadline || interrupted()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

Result<uint64_t> slab_bytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kib = 0;
    std::string unit;
    while (in >> key >> kib) {
        std::getline(in, unit);
        if (key == "Slab:") return kib * 1024;
    }
    return make_error("no Slab line in /proc/meminfo");
}

// Returns the descriptor limit in force afterwards (both ends' sockets count against it).
uint64_t raise_fd_limit(uint64_t wanted) {
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur >= wanted) return rl.rlim_cur;
    rlimit more{wanted, std::max<rlim_t>(rl.rlim_max, wanted)};
    if (::setrlimit(RLIMIT_NOFILE, &more) != 0) {
        rl.rlim_cur = rl.rlim_max;  // no CAP_SYS_RESOURCE: take what the hard limit allows
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    ::getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

class LinuxContender final : public Contender {
  public:
    explicit LinuxContender(std::unique_ptr<NetnsPair> ns) : ns_(std::move(ns)) {}

    std::string name() const override {
        return ns_->config().segmentation_offload ? "Linux" : "Linux-noTSO";
    }

    std::string setup() const override {
        utsname u{};
        ::uname(&u);
        return fmt::format(
            "kernel {} TCP, veth pair between two netns (MTU {}), epoll, "
            "non-blocking sockets, TCP_NODELAY, default sysctls except "
            "client tcp_tw_reuse=1 and a full port range, TSO/GSO/GRO {}",
            u.release, ns_->config().mtu, ns_->config().segmentation_offload ? "on" : "off");
    }

    Result<Measurement> run(Workload w, const RunOptions& o) override {
        SocketRunShared shared;
        const SocketEndpoints ep{ns_->config().server_addr,
                                 static_cast<uint16_t>(5001 + static_cast<int>(w))};
        const uint32_t response = w == Workload::bulk ? 0 : o.message_bytes;
        const auto limit = o.warmup + o.duration + kSlack;
        ThreadOutcome server_status, client_status;
        Result<Measurement> result = make_error("client did not run");
        {
            auto server = start_in_netns(ns_->server_ns(), o.server_cpu, server_status, [&] {
                return run_socket_server(ep, o.message_bytes, response, shared, limit);
            });
            auto stop_server = [&shared](void*) { shared.stop.store(true); };
            std::unique_ptr<void, decltype(stop_server)> guard(&shared, stop_server);
            if (!wait_for([&] { return shared.server_ready.load() || server_status.failed(); },
                          std::chrono::seconds(5))) {
                return make_error("Linux server did not start listening");
            }
            auto client = start_in_netns(ns_->client_ns(), o.client_cpu, client_status, [&] {
                result = run_socket_client(w, ep, o, shared);
                return Status{};
            });
        }  // client joins, then the guard stops the server, which then joins
        if (!server_status.status) return server_status.status.error();
        if (!client_status.status) return client_status.status.error();
        return result;
    }

    Result<IdleMemory> idle_memory(const RunOptions& o) override {
        constexpr uint64_t kOtherFds = 256;
        const uint64_t fds = raise_fd_limit(2 * uint64_t{o.idle_connections} + kOtherFds);
        const auto n = static_cast<uint32_t>(
            std::min<uint64_t>(o.idle_connections, (fds - std::min(fds, kOtherFds)) / 2));
        if (n == 0) return make_error("descriptor limit {} leaves no room for connections", fds);
        SocketRunShared shared;
        const SocketEndpoints ep{ns_->config().server_addr, 5010};
        const auto limit = std::chrono::milliseconds(120000);
        ThreadOutcome server_status, client_status;
        uint64_t before = 0, after = 0;
        {
            auto server = start_in_netns(ns_->server_ns(), o.server_cpu, server_status, [&] {
                return run_socket_server(ep, o.message_bytes, o.message_bytes, shared, limit);
            });
            auto stop_all = [&shared](void*) { shared.stop.store(true); };
            std::unique_ptr<void, decltype(stop_all)> guard(&shared, stop_all);
            if (!wait_for([&] { return shared.server_ready.load() || server_status.failed(); },
                          std::chrono::seconds(5))) {
                return make_error("Linux server did not start listening");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            auto b = slab_bytes();
            if (!b) return b.error();
            before = *b;
            auto client = start_in_netns(ns_->client_ns(), o.client_cpu, client_status, [&] {
                return hold_idle_socket_connections(ep, n, shared, limit);
            });
            // The client holds its connections until told to stop: stop before joining it.
            std::unique_ptr<void, decltype(stop_all)> stop_client(&shared, stop_all);
            if (!wait_for(
                    [&] {
                        return (shared.client_open.load() == n && shared.server_open.load() == n) ||
                               client_status.failed() || server_status.failed();
                    },
                    std::chrono::seconds(60)) ||
                client_status.failed() || server_status.failed()) {
                if (client_status.failed()) return client_status.status.error();
                if (server_status.failed()) return server_status.status.error();
                return make_error("only {} of {} idle connections came up (client {}, server {})",
                                  std::min(shared.client_open.load(), shared.server_open.load()), n,
                                  shared.client_open.load(), shared.server_open.load());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let ACKs settle
            auto a = slab_bytes();
            if (!a) return a.error();
            after = *a;
        }
        if (!server_status.status) return server_status.status.error();
        if (!client_status.status) return client_status.status.error();
        IdleMemory m;
        m.connections = n;
        m.bytes_per_connection =
            (static_cast<double>(after) - static_cast<double>(before)) / (2.0 * n);
        m.method = fmt::format(
            "/proc/meminfo Slab delta over {} connections / {} sockets "
            "(both ends live here; socket, inode, file, dentry, epoll)",
            n, 2 * n);
        return m;
    }

  private:
    std::unique_ptr<NetnsPair> ns_;
};

}  // namespace

namespace {
Result<std::unique_ptr<Contender>> make_linux(bool offload) {
    NetnsPairConfig config;
    config.segmentation_offload = offload;
    auto ns = NetnsPair::create(config);
    if (!ns) return ns.error();
    return std::unique_ptr<Contender>(new LinuxContender(std::move(ns).value()));
}
}  // namespace

Result<std::unique_ptr<Contender>> make_linux_contender() {
    return make_linux(true);
}
Result<std::unique_ptr<Contender>> make_linux_no_offload_contender() {
    return make_linux(false);
}

}  // namespace shunt::bench
