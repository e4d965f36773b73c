// Two TCP stacks over a simulated link with seeded loss, reordering, duplication and
// corruption, a bandwidth limit and a bounded queue (tail drop): bulk data both ways at
// once, verified byte for byte, then a graceful close through the same bad link.
//
// SHUNT_SIM_BYTES (environment) sets the bytes per direction; the default is 100 MB, or
// 8 MB under AddressSanitizer.
#include "packet/memory.hpp"
#include "packet/mempool.hpp"
#include "stack/iface/ip_protocol.hpp"
#include "stack/tcp/tcp_stack.hpp"
#include "stack/wire/ipv4.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <queue>
#include <random>
#include <vector>

namespace shunt::tcp::test {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr uint64_t kDefaultBytes = 8ull << 20;
#else
constexpr uint64_t kDefaultBytes = 100ull << 20;
#endif

uint64_t bytes_per_direction() {
    if (const char* env = std::getenv("SHUNT_SIM_BYTES")) return std::strtoull(env, nullptr, 10);
    return kDefaultBytes;
}

// The byte at stream offset i of direction d: position-dependent, so any loss, duplication or
// misordering that got through would show.
inline uint8_t pattern(uint64_t i, uint8_t d) {
    return static_cast<uint8_t>((i * 131) ^ (i >> 8) ^ ((i >> 16) * 7) ^ ((i >> 24) * 13) ^ d);
}

struct Impairments {
    double loss = 0.01;
    double duplicate = 0.005;
    double reorder = 0.01;  // extra delay of up to 3 ms
    double corrupt = 0.002;
    uint64_t bits_per_sec = 10'000'000'000;
    Duration delay = std::chrono::milliseconds(1);
    Duration max_queue = std::chrono::milliseconds(2);  // tail drop beyond this backlog
};

class Link;

// One end: Ipv4Output for its stack; its pool plays the NIC's buffers (TX and RX).
class Endpoint final : public Ipv4Output {
  public:
    Endpoint(Link& link, int side, wire::Ipv4Addr addr) : link_(link), side_(side), addr_(addr) {
        MemfdProvider memfd;
        pool_ = Mempool::create(memfd, 8192, "sim").value();
    }
    ~Endpoint() override { tx_held_.clear(); }
    SendResult send_ipv4(wire::Ipv4Addr dst, uint8_t protocol,
                         PacketChain payload) noexcept override;
    wire::Ipv4Addr source_address(wire::Ipv4Addr) const noexcept override { return addr_; }
    uint16_t route_mtu(wire::Ipv4Addr) const noexcept override { return 1500; }
    Mempool& tx_pool() noexcept override { return *pool_; }
    void count_drop(shunt::DropReason r, uint64_t n) noexcept override { drops.count(r, n); }

    // The "TX ring": buffers stay referenced until their transmission ends on the wire.
    void complete_tx(Instant now) {
        while (!tx_held_.empty() && tx_held_.front().first <= now) tx_held_.pop_front();
    }

    shunt::DropCounters drops;  // the interface layer's; TCP's are stack->drops()
    std::unique_ptr<TcpStack> stack;
    Link& link_;
    int side_;
    wire::Ipv4Addr addr_;
    std::unique_ptr<Mempool> pool_;
    std::deque<std::pair<Instant, Packet>> tx_held_;
};

class Link {
  public:
    Link(uint64_t seed, Impairments imp) : rng_(seed), imp_(imp) {}

    struct InFlight {
        Instant at;
        uint64_t order;
        int to;
        std::vector<uint8_t> bytes;
        bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : order > o.order; }
    };

    // Returns when the frame has left the sender (for the TX ring model).
    Instant transmit(int from, std::span<const uint8_t> bytes) {
        stats.frames++;
        Instant& free_at = free_at_[from];
        const Instant start = std::max(now, free_at);
        if (start - now > imp_.max_queue) {
            stats.queue_drops++;
            return now;
        }
        const auto ser =
            Duration(static_cast<int64_t>((bytes.size() + 38) * 8 * 1'000'000 / imp_.bits_per_sec));
        free_at = start + ser;
        if (chance(imp_.loss)) {
            stats.lost++;
            return free_at;
        }
        Instant at = free_at + imp_.delay;
        if (chance(imp_.reorder)) {
            stats.reordered++;
            at += Duration(std::uniform_int_distribution<int64_t>(1, 3000)(rng_));
        }
        std::vector<uint8_t> copy(bytes.begin(), bytes.end());
        if (chance(imp_.corrupt)) {
            stats.corrupted++;
            copy[std::uniform_int_distribution<size_t>(0, copy.size() - 1)(rng_)] ^= 0x10;
        }
        if (chance(imp_.duplicate)) {
            stats.duplicated++;
            queue_.push({at + Duration(50), order_++, 1 - from, copy});
        }
        queue_.push({at, order_++, 1 - from, std::move(copy)});
        return free_at;
    }

    std::optional<Instant> next_arrival() const {
        if (queue_.empty()) return std::nullopt;
        return queue_.top().at;
    }
    // Delivers every frame due by `now`.
    void deliver(std::array<Endpoint*, 2> ends) {
        while (!queue_.empty() && queue_.top().at <= now) {
            InFlight f = queue_.top();
            queue_.pop();
            Endpoint& e = *ends[f.to];
            PacketBuf* b = e.pool_->alloc();
            if (b == nullptr) {
                stats.rx_no_buffer++;
                continue;
            }
            Packet p(b);
            std::memcpy(p->append(f.bytes.size()), f.bytes.data(), f.bytes.size());
            Ipv4Meta meta{ends[1 - f.to]->addr_, e.addr_, wire::ip_proto::tcp, false};
            e.stack->receive(meta, PacketChain(std::move(p)), now);
        }
    }

    struct Stats {
        uint64_t frames = 0, lost = 0, duplicated = 0, reordered = 0, corrupted = 0,
                 queue_drops = 0, rx_no_buffer = 0;
    } stats;
    Instant now = Instant(1'000'000);

  private:
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
    std::mt19937_64 rng_;
    Impairments imp_;
    std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> queue_;
    uint64_t order_ = 0;
    std::array<Instant, 2> free_at_{};
};

SendResult Endpoint::send_ipv4(wire::Ipv4Addr, uint8_t, PacketChain payload) noexcept {
    Packet p = payload.pop_front();
    const Instant done = link_.transmit(side_, std::span<const uint8_t>(p->data(), p->length()));
    tx_held_.emplace_back(done, std::move(p));
    return SendResult::sent;
}

// One direction's application: writes the pattern zero-copy, reads and checks it.
struct Stream {
    uint64_t total = 0;
    uint64_t sent = 0;
    uint64_t received = 0;
    uint64_t mismatches = 0;
    bool closed = false;

    void write(TcpSocket& s, Mempool& pool, uint8_t dir, uint32_t mss) {
        while (sent < total && s.send_space() >= mss) {
            PacketBuf* b = pool.alloc();
            if (b == nullptr) return;
            Packet p(b);
            const auto n = static_cast<uint32_t>(std::min<uint64_t>(mss, total - sent));
            uint8_t* d = p->append(n);
            for (uint32_t i = 0; i < n; ++i) d[i] = pattern(sent + i, dir);
            if (s.send(std::move(p)) != TcpSendStatus::queued) return;
            sent += n;
        }
        if (sent == total && !closed) {
            s.shutdown_write();
            closed = true;
        }
    }
    void read(TcpSocket& s, uint8_t dir) {
        PacketChain c = s.recv();
        for (PacketBuf* b : c) {
            const uint8_t* d = b->data();
            for (uint32_t i = 0; i < b->length(); ++i) {
                if (d[i] != pattern(received + i, dir)) mismatches++;
            }
            received += b->length();
        }
    }
};

struct SimResult {
    uint64_t a_to_b = 0, b_to_a = 0, mismatches = 0;
    bool both_closed = false;
    Duration simulated{0};
    double wall_seconds = 0;
};

SimResult run_sim(uint64_t bytes, const SocketOptions& opts, uint64_t seed, Impairments imp,
                  Link::Stats* stats_out = nullptr, TcpCounters* counters_out = nullptr) {
    Link link(seed, imp);
    Endpoint a(link, 0, wire::Ipv4Addr::from_octets(10, 0, 0, 1));
    Endpoint b(link, 1, wire::Ipv4Addr::from_octets(10, 0, 0, 2));
    TcpConfig cfg;
    cfg.defaults = opts;
    cfg.secret = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
    a.stack = std::make_unique<TcpStack>(a, cfg);
    cfg.secret[0] = 42;
    b.stack = std::make_unique<TcpStack>(b, cfg);

    const auto wall_start = std::chrono::steady_clock::now();
    TcpListener* l = b.stack->listen(5001, 4);
    TcpSocket* ca = a.stack->connect({b.addr_, 5001}, link.now);
    TcpSocket* cb = nullptr;
    Stream ab{bytes}, ba{bytes};
    const Instant start = link.now;
    for (uint64_t steps = 0; steps < 200'000'000; ++steps) {
        if (cb == nullptr) cb = l->accept();
        if (ca->state() == TcpState::closed && ca->error() != TcpError::none) break;
        const uint32_t mss_a = std::max<uint32_t>(ca->smss(), 100);
        if (ca->events() & tcp_event::connected) ab.write(*ca, a.tx_pool(), 1, mss_a);
        ba.read(*ca, 2);
        if (cb != nullptr) {
            ba.write(*cb, b.tx_pool(), 2, std::max<uint32_t>(cb->smss(), 100));
            ab.read(*cb, 1);
        }
        const bool done = cb != nullptr && ab.received == bytes && ba.received == bytes &&
                          (ca->events() & tcp_event::closed) && (cb->events() & tcp_event::closed);
        if (done) break;
        // Egress last, as in Stack::poll: what arrivals, timers and the apps marked goes out.
        a.stack->egress(link.now);
        b.stack->egress(link.now);
        std::optional<Instant> next = link.next_arrival();
        for (auto t : {a.stack->next_deadline(), b.stack->next_deadline()}) {
            if (t && (!next || *t < *next)) next = t;
        }
        if (!next) break;  // stalled: nothing will ever happen again
        link.now = std::max(link.now, *next);
        a.complete_tx(link.now);
        b.complete_tx(link.now);
        link.deliver({&a, &b});
        a.stack->on_timers(link.now);
        b.stack->on_timers(link.now);
    }
    SimResult r;
    r.a_to_b = ab.received;
    r.b_to_a = ba.received;
    r.mismatches = ab.mismatches + ba.mismatches;
    r.both_closed = cb != nullptr && (ca->events() & tcp_event::closed) &&
                    (cb->events() & tcp_event::closed) && ca->error() == TcpError::none &&
                    cb->error() == TcpError::none;
    r.simulated = link.now - start;
    r.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (stats_out != nullptr) *stats_out = link.stats;
    if (counters_out != nullptr) *counters_out = a.stack->counters();
    EXPECT_GT(a.stack->drops()[DropReason::bad_checksum] +
                  b.stack->drops()[DropReason::bad_checksum] + (link.stats.corrupted == 0 ? 1 : 0),
              0u);
    if (std::getenv("SHUNT_SIM_DEBUG") != nullptr) {
        std::printf(
            "A %s err %d una %u nxt %u rcv %u wnd %u cwnd %u | B %s err %d una %u nxt %u "
            "rcv %u wnd %u\n",
            std::string(to_string(ca->state())).c_str(), int(ca->error()), ca->snd_una().raw(),
            ca->snd_nxt().raw(), ca->rcv_nxt().raw(), ca->snd_wnd(), ca->cwnd(),
            cb ? std::string(to_string(cb->state())).c_str() : "-", cb ? int(cb->error()) : -1,
            cb ? cb->snd_una().raw() : 0, cb ? cb->snd_nxt().raw() : 0,
            cb ? cb->rcv_nxt().raw() : 0, cb ? cb->snd_wnd() : 0);
        for (size_t i = 0; i < kDropReasonCount; ++i) {
            const uint64_t da = a.stack->drops().by_reason[i], db = b.stack->drops().by_reason[i];
            if (da + db > 0) {
                std::printf("  drop %s: A %llu B %llu\n", std::string(kDropReasonNames[i]).c_str(),
                            (unsigned long long)da, (unsigned long long)db);
            }
        }
    }
    if (ca != nullptr) ca->close();
    if (cb != nullptr) cb->close();
    // Every buffer comes back: nothing leaked in queues, chains or the TX ring model.
    a.stack.reset();
    b.stack.reset();
    a.complete_tx(Instant(INT64_MAX));
    b.complete_tx(Instant(INT64_MAX));
    EXPECT_EQ(a.pool_->available(), a.pool_->capacity());
    EXPECT_EQ(b.pool_->available(), b.pool_->capacity());
    return r;
}

void report(const char* name, uint64_t bytes, const SimResult& r, const Link::Stats& s,
            const TcpCounters& c) {
    std::printf(
        "[sim %s] %llu B each way in %.2f s wall, %.3f s simulated; frames %llu lost %llu "
        "dup %llu reordered %llu corrupted %llu queue-drops %llu; A: retransmits %llu "
        "fast %llu rto %llu copies %llu\n",
        name, static_cast<unsigned long long>(bytes), r.wall_seconds,
        std::chrono::duration<double>(r.simulated).count(),
        static_cast<unsigned long long>(s.frames), static_cast<unsigned long long>(s.lost),
        static_cast<unsigned long long>(s.duplicated), static_cast<unsigned long long>(s.reordered),
        static_cast<unsigned long long>(s.corrupted),
        static_cast<unsigned long long>(s.queue_drops),
        static_cast<unsigned long long>(c.retransmits),
        static_cast<unsigned long long>(c.fast_retransmits),
        static_cast<unsigned long long>(c.rto_expirations),
        static_cast<unsigned long long>(c.retransmit_copies));
}

SocketOptions bulk_options() {
    SocketOptions o;
    o.send_buffer = 512 * 1024;
    o.recv_buffer = 512 * 1024;
    o.ooo_max_segments = 256;
    return o;
}

TEST(TcpSimLink, BulkBothWaysWithSackTimestampsAndCubic) {
    const uint64_t bytes = bytes_per_direction();
    Link::Stats stats;
    TcpCounters counters;
    SimResult r = run_sim(bytes, bulk_options(), 1234, Impairments{}, &stats, &counters);
    report("cubic+sack+ts", bytes, r, stats, counters);
    EXPECT_EQ(r.a_to_b, bytes);
    EXPECT_EQ(r.b_to_a, bytes);
    EXPECT_EQ(r.mismatches, 0u);
    EXPECT_TRUE(r.both_closed);
    EXPECT_GT(stats.lost, 0u);
    EXPECT_GT(stats.corrupted, 0u);
    EXPECT_GT(counters.fast_retransmits, 0u);
}

TEST(TcpSimLink, NewRenoWithoutOptionsSmallerTransfer) {
    const uint64_t bytes = std::min<uint64_t>(bytes_per_direction(), 8ull << 20);
    SocketOptions o = bulk_options();
    o.sack = false;
    o.timestamps = false;
    o.window_scaling = false;
    o.recv_buffer = 65535;
    o.congestion = CongestionAlgorithm::newreno;
    Link::Stats stats;
    TcpCounters counters;
    SimResult r = run_sim(bytes, o, 99, Impairments{}, &stats, &counters);
    report("newreno", bytes, r, stats, counters);
    EXPECT_EQ(r.a_to_b, bytes);
    EXPECT_EQ(r.b_to_a, bytes);
    EXPECT_EQ(r.mismatches, 0u);
    EXPECT_TRUE(r.both_closed);
}

TEST(TcpSimLink, HeavyLossStillDelivers) {
    const uint64_t bytes = 2ull << 20;
    Impairments imp;
    imp.loss = 0.08;
    imp.reorder = 0.05;
    imp.duplicate = 0.02;
    Link::Stats stats;
    TcpCounters counters;
    SimResult r = run_sim(bytes, bulk_options(), 7, imp, &stats, &counters);
    report("8% loss", bytes, r, stats, counters);
    EXPECT_EQ(r.a_to_b, bytes);
    EXPECT_EQ(r.b_to_a, bytes);
    EXPECT_EQ(r.mismatches, 0u);
    EXPECT_TRUE(r.both_closed);
    EXPECT_GT(counters.rto_expirations + counters.fast_retransmits, 0u);
}

// No random loss: a 100 Mbit/s bottleneck with a 5 ms queue. Congestion control must find the
// rate from tail drops alone and keep the link busy: at least 2/3 of the line rate over the
// whole run (slow start overshoot, recovery and the close included). Each direction has its
// own 100 Mbit/s, shared by one stream's data and the other stream's ACKs.
TEST(TcpSimLink, BottleneckQueueDropsAloneDriveCongestionControl) {
    const uint64_t bytes = 16ull << 20;
    Impairments imp;
    imp.loss = imp.duplicate = imp.reorder = imp.corrupt = 0;
    imp.bits_per_sec = 100'000'000;
    imp.max_queue = std::chrono::milliseconds(5);
    for (auto algo : {CongestionAlgorithm::cubic, CongestionAlgorithm::newreno}) {
        SocketOptions o = bulk_options();
        o.congestion = algo;
        Link::Stats stats;
        TcpCounters counters;
        SimResult r = run_sim(bytes, o, 5, imp, &stats, &counters);
        report(algo == CongestionAlgorithm::cubic ? "bottleneck cubic" : "bottleneck newreno",
               bytes, r, stats, counters);
        EXPECT_EQ(r.a_to_b, bytes);
        EXPECT_EQ(r.b_to_a, bytes);
        EXPECT_EQ(r.mismatches, 0u);
        EXPECT_TRUE(r.both_closed);
        EXPECT_GT(stats.queue_drops, 0u);
        // Frames carry 1448 payload bytes in 1538 bytes of wire time; ACKs take about 3 %.
        const double line_seconds = double(bytes) * 8 * (1538.0 / 1448.0) * 1.03 / 100e6;
        EXPECT_LT(std::chrono::duration<double>(r.simulated).count(), line_seconds * 1.5);
    }
}

// Many connections at once over the same lossy link: demultiplexing, the listener's queues,
// ephemeral ports, TIME-WAIT and reclaiming, each stream verified on its own.
TEST(TcpSimLink, ManyConcurrentConnections) {
    constexpr int kConns = 64;
    constexpr uint64_t kBytes = 256 * 1024;
    Link link(77, Impairments{});
    Endpoint a(link, 0, wire::Ipv4Addr::from_octets(10, 0, 0, 1));
    Endpoint b(link, 1, wire::Ipv4Addr::from_octets(10, 0, 0, 2));
    TcpConfig cfg;
    // 64 send queues must not eat the pool that also receives (RX starvation would stall).
    cfg.defaults.send_buffer = 64 * 1024;
    cfg.secret = {1};
    a.stack = std::make_unique<TcpStack>(a, cfg);
    cfg.secret = {2};
    b.stack = std::make_unique<TcpStack>(b, cfg);
    TcpListener* l = b.stack->listen(80, kConns);
    std::vector<TcpSocket*> clients;
    std::vector<Stream> out(kConns);
    for (int i = 0; i < kConns; ++i) {
        clients.push_back(a.stack->connect({b.addr_, 80}, link.now));
        ASSERT_NE(clients.back(), nullptr);
        out[i].total = kBytes;
    }
    // Server side: streams keyed by the client's port (the pattern's direction byte).
    std::vector<std::pair<TcpSocket*, Stream>> servers;
    for (int step = 0; step < 5'000'000; ++step) {
        while (TcpSocket* s = l->accept()) servers.push_back({s, Stream{}});
        for (int i = 0; i < kConns; ++i) {
            if (clients[i]->events() & tcp_event::connected) {
                out[i].write(*clients[i], a.tx_pool(), static_cast<uint8_t>(i), clients[i]->smss());
            }
        }
        size_t done = 0;
        for (auto& [s, st] : servers) {
            int idx = -1;
            for (int i = 0; i < kConns; ++i) {
                if (clients[i]->local().port == s->remote().port) idx = i;
            }
            st.read(*s, static_cast<uint8_t>(idx));
            if ((s->events() & tcp_event::peer_closed) && !st.closed) {
                s->shutdown_write();
                st.closed = true;
            }
            if (st.received == kBytes && (s->events() & tcp_event::closed)) ++done;
        }
        if (done == kConns) break;
        // Egress last, as in Stack::poll: what arrivals, timers and the apps marked goes out.
        a.stack->egress(link.now);
        b.stack->egress(link.now);
        std::optional<Instant> next = link.next_arrival();
        for (auto t : {a.stack->next_deadline(), b.stack->next_deadline()}) {
            if (t && (!next || *t < *next)) next = t;
        }
        if (!next) break;
        link.now = std::max(link.now, *next);
        a.complete_tx(link.now);
        b.complete_tx(link.now);
        link.deliver({&a, &b});
        a.stack->on_timers(link.now);
        b.stack->on_timers(link.now);
    }
    if (servers.size() != size_t{kConns}) {
        for (int i = 0; i < kConns; ++i) {
            std::printf("client %d port %u state %s err %d sent %llu\n", i,
                        clients[i]->local().port,
                        std::string(to_string(clients[i]->state())).c_str(),
                        int(clients[i]->error()), (unsigned long long)out[i].sent);
        }
        std::printf("b conns %zu listener pending %zu synq %zu tw %zu; a conns %zu\n",
                    b.stack->connection_count(), l->pending(), l->syn_queue_length(),
                    b.stack->time_wait_count(), a.stack->connection_count());
        for (size_t i = 0; i < kDropReasonCount; ++i) {
            const uint64_t da = a.stack->drops().by_reason[i], db = b.stack->drops().by_reason[i];
            if (da + db > 0) {
                std::printf("  drop %s: A %llu B %llu\n", std::string(kDropReasonNames[i]).c_str(),
                            (unsigned long long)da, (unsigned long long)db);
            }
        }
    }
    ASSERT_EQ(servers.size(), size_t{kConns});
    uint64_t mismatches = 0;
    for (auto& [s, st] : servers) {
        EXPECT_EQ(st.received, kBytes);
        mismatches += st.mismatches;
        EXPECT_EQ(s->error(), TcpError::none);
        s->close();
    }
    EXPECT_EQ(mismatches, 0u);
    for (TcpSocket* c : clients) {
        EXPECT_EQ(c->error(), TcpError::none);
        c->close();
    }
    EXPECT_GT(link.stats.lost, 0u);
    // The active closers hold TIME-WAIT; no TCB is left on either side.
    EXPECT_EQ(a.stack->connection_count(), 0u);
    EXPECT_EQ(b.stack->connection_count(), 0u);
    EXPECT_EQ(a.stack->time_wait_count(), size_t{kConns});
}

}  // namespace
}  // namespace shunt::tcp::test
