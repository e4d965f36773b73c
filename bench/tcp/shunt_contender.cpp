// Contender (a): shunt's own TCP on the in-memory wire. Two threads of one process, each
// pinned to its CPU, each polling a Stack on one MemWireNic endpoint; the applications run
// inside the poll (a StackApp, between timers and egress) and use the socket API zero copy
// both ways: received buffers are read in place, and what they send is written into pool
// buffers that go to `send`.
#include "bench/tcp/shunt_contender.hpp"

#include "bench/tcp/interrupt.hpp"
#include "bench/tcp/mem_wire.hpp"
#include "bench/tcp/netns_pair.hpp"  // pin_to_cpu
#include "stack/stack.hpp"
#include "stack/tcp/tcp_stack.hpp"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace shunt::bench {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kSlack = std::chrono::seconds(30);
constexpr uint16_t kPort = 5001;
const wire::Ipv4Addr kServerIp = wire::Ipv4Addr::from_octets(10, 79, 0, 1);
const wire::Ipv4Addr kClientIp = wire::Ipv4Addr::from_octets(10, 79, 0, 2);
constexpr uint32_t kConnecting = 256;  // idle test: handshakes in flight at once

const std::array<uint8_t, 16384> kPayload = [] {
    std::array<uint8_t, 16384> a{};
    a.fill('s');
    return a;
}();

struct Shared {
    std::atomic<bool> stop{false};
    std::atomic<bool> server_ready{false};
    std::atomic<uint64_t> server_rx_bytes{0};
    std::atomic<uint64_t> server_open{0};
    std::atomic<uint64_t> client_open{0};
    std::atomic<bool> go{false};       // idle: the heap baseline is taken, connect now
    std::atomic<bool> measure{false};  // idle: both ends report their pool use now
    std::atomic<int> measured{0};
    std::atomic<int64_t> pool_before[2] = {0, 0};
    std::atomic<int64_t> pool_after[2] = {0, 0};
};

// Packet buffers this end holds (each end reads only its own pool, on its own thread).
int64_t pool_bytes(MemWireNic& nic) {
    const Mempool& pool = nic.tx_pool(0);
    return static_cast<int64_t>(pool.capacity() - pool.available()) *
           static_cast<int64_t>(PacketBuf::kHeaderSize + PacketBuf::kStorage);
}

// Heap in use by the whole process (all arenas).
int64_t heap_bytes() {
    return static_cast<int64_t>(::mallinfo2().uordblks);
}

// What a zero-copy application does to send `len` bytes: write them into pool buffers (at
// most one segment each, after the headroom the headers go into) and hand those to the
// socket. Returns the bytes the socket took; a buffer it refused goes back to the pool.
size_t send_bytes(tcp::TcpSocket& s, Mempool& pool, size_t len) {
    size_t done = 0;
    while (done < len) {
        PacketBuf* b = pool.alloc();
        if (b == nullptr) break;
        Packet p(b);
        const size_t n = std::min<size_t>({len - done, s.smss(), p->tailroom()});
        std::memcpy(p->append(n), kPayload.data(), n);  // the application's "payload"
        if (s.send(std::move(p)) != tcp::TcpSendStatus::queued) break;
        done += n;
    }
    return done;
}

// The bulk sender keeps a batch of full-sized buffers ready and hands over as many as the
// socket takes (the bulk `send(PacketChain&)`); the rest wait for the next round.
void send_bulk(tcp::TcpSocket& s, Mempool& pool, PacketChain& ready) {
    constexpr size_t kBatch = 64;
    while (ready.count() < kBatch) {
        PacketBuf* b = pool.alloc();
        if (b == nullptr) break;
        Packet p(b);
        const size_t n = std::min<size_t>(s.smss(), p->tailroom());
        std::memcpy(p->append(n), kPayload.data(), n);
        ready.push_back(std::move(p));
    }
    s.send(ready);
}

// An application as a function of the poll's time.
template <typename F>
class FnApp final : public StackApp {
  public:
    explicit FnApp(F f) : f_(std::move(f)) {}
    size_t run(Instant now) noexcept override { return f_(now); }

  private:
    F f_;
};

// One end: a Stack on one wire endpoint, its application run inside every poll.
class End {
  public:
    End(MemWireNic& nic, wire::Ipv4Addr ip, uint32_t max_connections)
        : stack_(nic, 0, iface_config(nic, ip), tcp_config(ip, max_connections)) {}
    // The app runs in every poll from now on (the stack goes before it: no removal).
    void run_in_poll(StackApp& app) { stack_.add_app(app); }
    void poll(Instant now) { stack_.poll(now); }
    tcp::TcpStack& tcp() { return stack_.tcp(); }
    Mempool& pool() { return stack_.tx_pool(); }
    static tcp::SocketOptions options() {
        tcp::SocketOptions o;
        o.nodelay = true;
        return o;
    }

  private:
    static InterfaceConfig iface_config(MemWireNic& nic, wire::Ipv4Addr ip) {
        InterfaceConfig c;
        c.mac = nic.mac();
        c.address = wire::Ipv4Cidr{ip, 24};
        // Every connection's SYN waits for the one ARP answer: with the default queue of 16,
        // half of 32 SYNs were dropped and waited out the 1 s SYN timeout inside the
        // measured window (lwIP's port uses a static ARP entry: no ARP timing in its figures).
        c.neighbor.max_pending_per_entry = 1024;
        return c;
    }
    static tcp::TcpConfig tcp_config(wire::Ipv4Addr ip, uint32_t max_connections) {
        tcp::TcpConfig c;
        c.max_connections = max_connections;
        // Each end is one address and the idle test opens 10000 connections: no per-source cap.
        c.max_per_source = 0;
        c.secret[0] = static_cast<uint8_t>(ip.value);
        c.defaults = options();
        return c;
    }
    Stack stack_;
};

// The clock both the loop's deadlines and the stack use (steady_clock is CLOCK_MONOTONIC,
// as Instant::now() reads it): one clock read per loop instead of two.
Instant instant_of(Clock::time_point t) {
    return Instant(
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

// Connections the stack reported events on (TcpSocket::set_callback) since the application
// last looked: each loop visits only those, as lwIP's raw-API callbacks do, instead of
// asking every connection for its events. Conn needs `bool ready` and `Ready<Conn>* ready_list`.
template <typename Conn>
struct Ready {
    std::vector<Conn*> list;
    std::vector<Conn*> work;
    static void on_event(void* ctx, tcp::TcpSocket&, uint32_t) { static_cast<Conn*>(ctx)->mark(); }
    void watch(Conn& c) {
        c.s->set_callback(&Ready::on_event, &c);
        c.mark();  // look once now: events may predate the callback
    }
    // The connections to visit now (each once); events during the visits wait for the next.
    std::vector<Conn*>& take() {
        work.clear();
        work.swap(list);
        for (Conn* c : work) c->ready = false;
        return work;
    }
};

// Owned connections with stable addresses (the callbacks point at them); removal is O(1).
template <typename Conn>
struct ConnSet {
    std::vector<std::unique_ptr<Conn>> all;
    Conn& add(std::unique_ptr<Conn> c) {
        c->slot = all.size();
        all.push_back(std::move(c));
        return *all.back();
    }
    void remove(Conn& c) {
        const size_t i = c.slot;
        all[i] = std::move(all.back());
        all[i]->slot = i;
        all.pop_back();
    }
};

// ---- server: each request_bytes read earns response_bytes (0: a sink) ----
struct ServerConn {
    tcp::TcpSocket* s;
    Ready<ServerConn>* ready_list;
    size_t slot = 0;
    bool ready = false;
    uint32_t partial = 0;
    uint64_t owed = 0;
    void mark() {
        if (!ready) {
            ready = true;
            ready_list->list.push_back(this);
        }
    }
};

Status serve(MemWireNic& nic, Shared& sh, uint32_t request, uint32_t response, bool idle,
             Clock::time_point deadline, uint32_t max_connections) {
    End end(nic, kServerIp, max_connections);
    const auto opts = End::options();
    tcp::TcpListener* listener = end.tcp().listen(kPort, 4096, &opts);
    if (listener == nullptr) return make_error("shunt server: listen failed");
    ConnSet<ServerConn> conns;
    Ready<ServerConn> ready;
    uint64_t rx = 0;
    sh.pool_before[0] = pool_bytes(nic);
    sh.server_ready.store(true);
    bool measured = false;
    FnApp app([&](Instant) noexcept -> size_t {
        while (tcp::TcpSocket* s = listener->accept()) {
            ready.watch(conns.add(std::make_unique<ServerConn>(ServerConn{s, &ready})));
        }
        for (ServerConn* c : ready.take()) {
            if (c->s->readable_bytes() > 0) {
                const uint64_t n = c->s->recv().byte_length();  // zero copy; released here
                rx += n;
                if (response > 0) {
                    const uint64_t in = c->partial + n;
                    c->owed += in / request * response;
                    c->partial = static_cast<uint32_t>(in % request);
                }
            }
            if (c->owed > 0) {
                const auto len = static_cast<size_t>(std::min<uint64_t>(c->owed, kPayload.size()));
                c->owed -= send_bytes(*c->s, end.pool(), len);
            }
            const uint32_t ev = c->s->events();
            if ((ev & (tcp::tcp_event::peer_closed | tcp::tcp_event::error)) != 0 &&
                c->s->readable_bytes() == 0) {
                c->s->close();  // the client closed first; the socket frees itself
                conns.remove(*c);
            }
        }
        return 0;
    });
    end.run_in_poll(app);
    for (auto t = Clock::now(); !sh.stop.load(std::memory_order_relaxed) && t < deadline;
         t = Clock::now()) {
        end.poll(instant_of(t));
        sh.server_rx_bytes.store(rx, std::memory_order_relaxed);
        sh.server_open.store(conns.all.size(), std::memory_order_relaxed);
        if (idle && !measured && sh.measure.load()) {
            sh.pool_after[0] = pool_bytes(nic);
            measured = true;
            sh.measured.fetch_add(1);
        }
    }
    return {};
}

// ---- client ----
struct ClientConn {
    tcp::TcpSocket* s;
    Ready<ClientConn>* ready_list;
    size_t slot = 0;
    bool ready = false;
    uint32_t got = 0;
    bool started = false;  // first request sent (or bulk begun, or counted as established)
    void mark() {
        if (!ready) {
            ready = true;
            ready_list->list.push_back(this);
        }
    }
};

struct ClientPlan {
    Workload workload = Workload::transactions;
    bool idle = false;
    uint32_t connections = 32;
    uint32_t message = 64;
    Clock::time_point start, end, deadline;
};

Result<Measurement> drive(MemWireNic& nic, Shared& sh, const ClientPlan& p,
                          uint32_t max_connections) {
    End end(nic, kClientIp, max_connections);
    const auto ready_by = Clock::now() + std::chrono::seconds(5);
    while (!sh.server_ready.load() || (p.idle && !sh.go.load())) {
        if (Clock::now() > ready_by) return make_error("shunt server did not start");
        std::this_thread::yield();
    }
    sh.pool_before[1] = pool_bytes(nic);
    const auto opts = End::options();
    ConnSet<ClientConn> conns;
    Ready<ClientConn> ready;
    uint32_t to_open = p.idle ? 0 : (p.workload == Workload::bulk ? 1 : p.connections);
    uint32_t opened = 0, established = 0;
    Measurement m;
    uint64_t bulk_at_start = 0;
    bool bulk_started = false, measured = false;
    PacketChain bulk_ready;      // written, not yet taken by the socket
    Clock::time_point loop_t{};  // the loop's clock read, for the measured window
    std::optional<tcp::TcpState> failed_state;
    FnApp app([&](Instant) noexcept -> size_t {
        const auto t = loop_t;
        for (ClientConn* c : ready.take()) {
            const uint32_t ev = c->s->events();
            if ((ev & tcp::tcp_event::error) != 0) {
                failed_state = c->s->state();
                return 0;
            }
            if (!c->started && (ev & tcp::tcp_event::connected) != 0) {
                c->started = true;
                ++established;
                if (!p.idle && p.workload != Workload::bulk) {
                    send_bytes(*c->s, end.pool(), p.message);
                }
            }
            if (c->started && p.workload == Workload::bulk && !p.idle) {
                send_bulk(*c->s, end.pool(), bulk_ready);
            }
            if (!p.idle && c->s->readable_bytes() > 0) {
                c->got += static_cast<uint32_t>(c->s->recv().byte_length());
                bool closed = false;
                while (c->got >= p.message) {
                    c->got -= p.message;
                    if (t >= p.start && t < p.end) ++m.operations;
                    if (p.workload == Workload::connections) {
                        c->s->close();  // we close first: TIME-WAIT is ours
                        closed = true;
                        ++to_open;
                        break;
                    }
                    send_bytes(*c->s, end.pool(), p.message);
                }
                if (closed) conns.remove(*c);
            }
        }
        return 0;
    });
    end.run_in_poll(app);
    for (auto t = Clock::now(); t < p.deadline && !interrupted(); t = Clock::now()) {
        if (!p.idle && t >= p.end) break;
        if (p.idle && sh.stop.load(std::memory_order_relaxed)) break;
        if (p.workload == Workload::bulk && !bulk_started && t >= p.start) {
            bulk_at_start = sh.server_rx_bytes.load(std::memory_order_relaxed);
            bulk_started = true;
        }
        const Instant now = instant_of(t);
        if (p.idle) {
            while (opened < p.connections && opened - established < kConnecting) {
                ++to_open;
                ++opened;
            }
        }
        for (; to_open > 0; --to_open) {
            tcp::TcpSocket* s = end.tcp().connect({kServerIp, kPort}, now, 0, &opts);
            if (s == nullptr) break;  // table full for now: next round
            ready.watch(conns.add(std::make_unique<ClientConn>(ClientConn{s, &ready})));
        }
        loop_t = t;
        end.poll(now);
        if (failed_state) {
            return make_error("shunt client: a connection failed (state {})",
                              tcp::to_string(*failed_state));
        }
        if (p.idle) {
            sh.client_open.store(established, std::memory_order_relaxed);
            if (!measured && sh.measure.load()) {
                sh.pool_after[1] = pool_bytes(nic);
                measured = true;
                sh.measured.fetch_add(1);
            }
        }
    }
    if (p.workload == Workload::bulk) {
        m.bytes = sh.server_rx_bytes.load(std::memory_order_relaxed) - bulk_at_start;
    }
    m.seconds = std::chrono::duration<double>(p.end - p.start).count();
    return m;
}

class ShuntContender final : public Contender {
  public:
    std::string name() const override { return "shunt"; }
    std::string setup() const override {
        return "shunt TCP (cubic, nodelay, 256 KiB buffers), two threads on the in-memory "
               "wire, Stack::poll loops, zero-copy receive and send";
    }

    Result<Measurement> run(Workload w, const RunOptions& o) override {
        ClientPlan plan;
        plan.workload = w;
        plan.connections = o.connections;
        plan.message = o.message_bytes;
        return run_pair(plan, o, 8192);
    }

    Result<IdleMemory> idle_memory(const RunOptions& o) override {
        ClientPlan plan;
        plan.idle = true;
        plan.connections = o.idle_connections;
        int64_t heap_before = 0, heap_after = 0;
        auto watch = [&](Shared& sh) -> Status {
            const auto ready_by = Clock::now() + std::chrono::seconds(5);
            while (!sh.server_ready.load()) {
                if (Clock::now() > ready_by) return make_error("shunt server did not start");
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            heap_before = heap_bytes();
            sh.go.store(true);
            const auto deadline = Clock::now() + std::chrono::seconds(60);
            while (sh.client_open.load() < o.idle_connections ||
                   sh.server_open.load() < o.idle_connections) {
                if (Clock::now() > deadline || interrupted()) {
                    return make_error("only {} of {} idle shunt connections came up",
                                      std::min(sh.client_open.load(), sh.server_open.load()),
                                      o.idle_connections);
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            sh.measure.store(true);
            const auto by = Clock::now() + std::chrono::seconds(5);
            while (sh.measured.load() < 2 && Clock::now() < by) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            heap_after = heap_bytes();
            return sh.measured.load() == 2 ? Status{} : make_error("shunt ends did not report");
        };
        int64_t pools = 0;
        auto r = run_pair(plan, o, o.idle_connections + 1024, watch, &pools);
        if (!r) return r.error();
        const int64_t bytes = pools + heap_after - heap_before;
        IdleMemory m;
        m.connections = o.idle_connections;
        m.bytes_per_connection =
            static_cast<double>(bytes) / (2.0 * static_cast<double>(o.idle_connections));
        const double per = 2.0 * static_cast<double>(o.idle_connections);
        m.method = fmt::format(
            "heap in use (mallinfo2, {:.0f} B) + packet buffers held ({:.0f} B), delta over {} "
            "connections, both ends in one process",
            static_cast<double>(heap_after - heap_before) / per, static_cast<double>(pools) / per,
            o.idle_connections);
        return m;
    }

  private:
    template <typename Watch = std::nullptr_t>
    static Result<Measurement> run_pair(ClientPlan plan, const RunOptions& o,
                                        uint32_t max_connections, Watch watch = nullptr,
                                        int64_t* idle_bytes = nullptr) {
        auto wire = MemWire::create({});
        if (!wire) return wire.error();
        Shared sh;
        const auto t0 = Clock::now();
        plan.start = t0 + o.warmup;
        plan.end = plan.start + o.duration;
        plan.deadline = plan.end + kSlack;
        Status server_status, watch_status;
        Result<Measurement> result = make_error("shunt client did not run");
        {
            std::jthread server([&] {
                if (auto s = pin_to_cpu(o.server_cpu); !s) {
                    server_status = s;
                    return;
                }
                const uint32_t response = plan.workload == Workload::bulk ? 0 : plan.message;
                server_status = serve((*wire)->endpoint(0), sh, plan.message, response, plan.idle,
                                      plan.deadline, max_connections);
            });
            std::jthread client([&] {
                if (auto s = pin_to_cpu(o.client_cpu); !s) {
                    result = s.error();
                    sh.stop.store(true);
                    return;
                }
                result = drive((*wire)->endpoint(1), sh, plan, max_connections);
                sh.stop.store(true);
            });
            if constexpr (!std::is_same_v<Watch, std::nullptr_t>) {
                watch_status = watch(sh);
                if (watch_status && idle_bytes != nullptr) {
                    *idle_bytes = (sh.pool_after[0] - sh.pool_before[0]) +
                                  (sh.pool_after[1] - sh.pool_before[1]);
                }
                sh.stop.store(true);  // the idle client holds its connections until now
            }
            client.join();
            sh.stop.store(true);
        }
        if (!server_status) return server_status.error();
        if (!watch_status) return watch_status.error();
        return result;
    }
};

}  // namespace

Result<std::unique_ptr<Contender>> make_shunt_contender() {
    return std::unique_ptr<Contender>(new ShuntContender());
}

}  // namespace shunt::bench
