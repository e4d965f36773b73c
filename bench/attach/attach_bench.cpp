// The attach boundary's cost (docs/libshunt.md, docs/PERFORMANCE.md), same run, same machine:
//  - one call that does no stack work (socket_error on a UDP socket): in-process (a function
//    call) vs attached (a command and its completion through the rings, the daemon busy);
//  - request/response transactions of 64 bytes over TCP with the server app in-process, then
//    attached, each against the same in-memory peer stack (tests/unit/lib/pair_nic.hpp), and
//    the same exchange over Linux loopback sockets.
// Read the ratios: absolute numbers move with the machine and its load.
#include "lib/attach/server.hpp"
#include "lib/attached.hpp"
#include "lib/inprocess.hpp"
#include "tests/unit/lib/pair_nic.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

namespace shunt {
namespace {

constexpr uint32_t kIpA = 0x0a000001;
constexpr uint32_t kIpB = 0x0a000002;
constexpr size_t kMsg = 64;

std::unique_ptr<lib::InProcessRuntime> make(test::PairWire& wire, int side) {
    lib::InProcessConfig c;
    c.iface.mac = MacAddr{{0x02, 0, 0, 0, 0, static_cast<uint8_t>(0x0a + side)}};
    c.iface.address = wire::Ipv4Cidr{wire::Ipv4Addr{side == 0 ? kIpA : kIpB}, 24};
    c.tcp.secret[0] = static_cast<uint8_t>(7 + side);
    c.tcp.defaults.nodelay = true;
    auto nic = std::make_unique<test::PairNic>(wire, side, c.iface.mac);
    return lib::InProcessRuntime::create(std::move(nic), c).value();
}

// The daemon: side b's stack with an attach::Server, polled (busy) by a thread that also runs
// side a, the peer, under a lock the benchmark thread takes to use side a.
struct Daemon {
    test::PairWire wire;
    std::unique_ptr<lib::InProcessRuntime> a = make(wire, 0);
    std::unique_ptr<lib::InProcessRuntime> b = make(wire, 1);
    std::unique_ptr<attach::Server> server;
    std::string path = "/tmp/shunt-attach-bench-" + std::to_string(::getpid()) + ".apps";
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::thread pump;
    // The peer's side of a transaction loop, run by the pump: a request goes out when the
    // previous response is complete.
    int peer = -1;
    bool peer_running = false;
    size_t peer_got = 0;
    char peer_buf[kMsg] = {};

    Daemon() {
        attach::ServerConfig sc;
        sc.socket_path = path;
        server = attach::Server::start(b->stack(), sc).value();
        pump = std::thread([this] {
            while (!stop.load(std::memory_order_relaxed)) {
                std::lock_guard<std::mutex> g(mu);
                a->poll();
                b->poll();
                if (peer_running) {
                    const ssize_t n = a->recv(peer, peer_buf, kMsg - peer_got);
                    if (n > 0) peer_got += static_cast<size_t>(n);
                    if (peer_got == kMsg) {
                        peer_got = 0;
                        (void)a->send(peer, peer_buf, kMsg);
                    }
                }
            }
        });
    }
    ~Daemon() {
        stop.store(true);
        pump.join();
        std::lock_guard<std::mutex> g(mu);
        server.reset();
    }
};

void BM_CallInProcess(benchmark::State& state) {
    test::PairWire wire;
    auto b = make(wire, 1);
    const int u = b->udp_bind(9000);
    for (auto _ : state) benchmark::DoNotOptimize(b->socket_error(u));
    state.counters["ns_per_call"] =
        benchmark::Counter(static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CallInProcess)->UseRealTime();

void BM_CallAttached(benchmark::State& state) {
    Daemon d;
    auto app = lib::AttachedRuntime::attach(d.path).value();
    const int u = app->udp_bind(9000);
    for (auto _ : state) benchmark::DoNotOptimize(app->socket_error(u));
    state.counters["ns_per_call"] =
        benchmark::Counter(static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CallAttached)->UseRealTime();

// In-process: one thread runs both stacks, the peer and the server app (run to completion).
void BM_TransactionsInProcess(benchmark::State& state) {
    test::PairWire wire;
    auto a = make(wire, 0);
    auto b = make(wire, 1);
    const int l = b->listen(80, 8);
    int c = -1;
    (void)a->connect(Addr{kIpB, 80}, c);
    int s = -1;
    while (s <= 0) {
        a->poll();
        b->poll();
        s = b->accept(l, nullptr);
    }
    char buf[kMsg] = {};
    for (auto _ : state) {
        (void)a->send(c, buf, kMsg);
        size_t served = 0, got = 0;
        while (got < kMsg) {
            a->poll();
            b->poll();
            if (served < kMsg) {
                const ssize_t n = b->recv(s, buf, kMsg - served);
                if (n > 0) served += static_cast<size_t>(n);
                if (served == kMsg) (void)b->send(s, buf, kMsg);
            }
            const ssize_t n = a->recv(c, buf, kMsg - got);
            if (n > 0) got += static_cast<size_t>(n);
        }
    }
    state.counters["transactions_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TransactionsInProcess)->UseRealTime();

// Attached: the same peer in the daemon's thread; the server app on this thread, through the
// rings (recv until a request is whole, send the response).
void BM_TransactionsAttached(benchmark::State& state) {
    Daemon d;
    auto app = lib::AttachedRuntime::attach(d.path).value();
    const int l = app->listen(80, 8);
    {
        std::lock_guard<std::mutex> g(d.mu);
        (void)d.a->connect(Addr{kIpB, 80}, d.peer);
    }
    int s = -1;
    while ((s = app->accept(l, nullptr)) <= 0) {
    }
    app->setopt(s, SHUNT_OPT_NODELAY, 1);
    {
        std::lock_guard<std::mutex> g(d.mu);
        d.peer_running = true;
        (void)d.a->send(d.peer, d.peer_buf, kMsg);  // the first request
    }
    char buf[kMsg] = {};
    for (auto _ : state) {
        size_t served = 0;
        while (served < kMsg) {
            const ssize_t n = app->recv(s, buf, kMsg - served);
            if (n > 0) served += static_cast<size_t>(n);
        }
        (void)app->send(s, buf, kMsg);
    }
    state.counters["transactions_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    std::lock_guard<std::mutex> g(d.mu);
    d.peer_running = false;
}
BENCHMARK(BM_TransactionsAttached)->UseRealTime();

// Linux: the same exchange over loopback TCP, the peer in a thread.
void BM_TransactionsLinux(benchmark::State& state) {
    const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(lfd, 1);
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::atomic<bool> stop{false};
    std::thread peer([&] {
        const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        char b[kMsg] = {};
        while (!stop.load()) {
            if (::send(c, b, kMsg, MSG_NOSIGNAL) != static_cast<ssize_t>(kMsg)) break;
            size_t got = 0;
            while (got < kMsg) {
                const ssize_t n = ::recv(c, b + got, kMsg - got, 0);
                if (n <= 0) break;
                got += static_cast<size_t>(n);
            }
            if (got < kMsg) break;
        }
        ::close(c);
    });
    const int s = ::accept(lfd, nullptr, nullptr);
    const int one = 1;
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buf[kMsg] = {};
    for (auto _ : state) {
        size_t got = 0;
        while (got < kMsg) {
            const ssize_t n = ::recv(s, buf + got, kMsg - got, 0);
            if (n <= 0) break;
            got += static_cast<size_t>(n);
        }
        ::send(s, buf, kMsg, MSG_NOSIGNAL);
    }
    stop.store(true);
    ::shutdown(s, SHUT_RDWR);
    ::close(s);
    peer.join();
    ::close(lfd);
    state.counters["transactions_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TransactionsLinux)->UseRealTime();

}  // namespace
}  // namespace shunt

BENCHMARK_MAIN();
