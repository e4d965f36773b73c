#include "bench/tcp/lwip_workloads.hpp"

#include "bench/tcp/netns_pair.hpp"  // pin_to_cpu

#include "lwip/ip_addr.h"
#include "lwip/tcp.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <thread>

namespace shunt::bench {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kSlack = std::chrono::seconds(30);
constexpr uint32_t kIdleConnecting = 64;  // idle test: handshakes in flight at once

const std::array<char, 65535> kPayload = [] {
    std::array<char, 65535> a{};
    a.fill('p');
    return a;
}();

// Refreshed once per poll round; callbacks read it instead of the clock.
Clock::time_point g_now;

void report(LwipControl& ctl, const char* what) {
    std::snprintf(ctl.error, sizeof ctl.error, "%s", what);
}

void detach(tcp_pcb* pcb) {
    tcp_arg(pcb, nullptr);
    tcp_recv(pcb, nullptr);
    tcp_sent(pcb, nullptr);
    tcp_err(pcb, nullptr);
}

// Closes gracefully; returns ERR_ABRT if lwIP had to abort instead (callers in a recv
// callback must then return that).
err_t close_pcb(tcp_pcb* pcb) {
    detach(pcb);
    if (tcp_close(pcb) == ERR_OK) return ERR_OK;
    tcp_abort(pcb);
    return ERR_ABRT;
}

// Queues up to `want` bytes (copied, as a socket would) and pushes them out.
uint64_t write_some(tcp_pcb* pcb, uint64_t want) {
    uint64_t done = 0;
    while (done < want) {
        const size_t room = tcp_sndbuf(pcb);
        const auto len =
            static_cast<u16_t>(std::min<uint64_t>({want - done, room, kPayload.size()}));
        if (len == 0 || tcp_write(pcb, kPayload.data(), len, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
        done += len;
    }
    if (done > 0) tcp_output(pcb);
    return done;
}

// ---- server: answers each request_bytes with response_bytes (0: a sink), closes on FIN ----

struct ServerConn {
    uint32_t partial = 0;
    uint64_t owed = 0;
};

struct Server {
    uint32_t request = 64, response = 64;
    uint64_t rx_bytes = 0, open = 0;
} g_server;

void server_flush(tcp_pcb* pcb, ServerConn* c) {
    c->owed -= write_some(pcb, c->owed);
}

err_t server_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t) {
    auto* c = static_cast<ServerConn*>(arg);
    if (p == nullptr) {  // the client closed
        delete c;
        --g_server.open;
        return close_pcb(pcb);
    }
    g_server.rx_bytes += p->tot_len;
    if (g_server.response > 0) {
        const uint64_t in = uint64_t{c->partial} + p->tot_len;
        c->owed += in / g_server.request * g_server.response;
        c->partial = static_cast<uint32_t>(in % g_server.request);
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (c->owed > 0) server_flush(pcb, c);
    return ERR_OK;
}

err_t server_sent(void* arg, tcp_pcb* pcb, u16_t) {
    auto* c = static_cast<ServerConn*>(arg);
    if (c->owed > 0) server_flush(pcb, c);
    return ERR_OK;
}

void server_err(void* arg, err_t) {  // the pcb is already gone
    delete static_cast<ServerConn*>(arg);
    --g_server.open;
}

err_t server_accept(void*, tcp_pcb* pcb, err_t err) {
    if (err != ERR_OK || pcb == nullptr) return ERR_VAL;
    tcp_arg(pcb, new ServerConn{});
    tcp_recv(pcb, server_recv);
    tcp_sent(pcb, server_sent);
    tcp_err(pcb, server_err);
    tcp_nagle_disable(pcb);
    ++g_server.open;
    return ERR_OK;
}

// ---- client ----

struct ClientConn {
    uint32_t got = 0;
};

struct Client {
    LwipTask task = LwipTask::transactions;
    uint32_t message = 64;
    Clock::time_point start, end;  // the measured window
    uint64_t operations = 0;
    uint64_t established = 0;
    uint32_t pending_opens = 0;  // to open from the poll loop (never inside a callback)
    bool failed = false;
    const char* failure = "";
    ip4_addr_t server{};
} g_client;

void client_fail(const char* why) {
    if (!g_client.failed) g_client.failure = why;
    g_client.failed = true;
}

void send_request(tcp_pcb* pcb) {
    if (write_some(pcb, g_client.message) != g_client.message) client_fail("request did not fit");
}

err_t client_recv(void* arg, tcp_pcb* pcb, pbuf* p, err_t) {
    auto* c = static_cast<ClientConn*>(arg);
    if (p == nullptr) {
        client_fail("the server closed a connection mid-test");
        delete c;
        return close_pcb(pcb);
    }
    c->got += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    while (c->got >= g_client.message) {
        c->got -= g_client.message;
        if (g_now >= g_client.start && g_now < g_client.end) ++g_client.operations;
        if (g_client.task == LwipTask::connections) {  // we close first: TIME_WAIT is ours
            delete c;
            ++g_client.pending_opens;
            return close_pcb(pcb);
        }
        send_request(pcb);
    }
    return ERR_OK;
}

void bulk_fill(tcp_pcb* pcb) {
    write_some(pcb, UINT64_MAX);
}

err_t client_sent(void*, tcp_pcb* pcb, u16_t) {
    if (g_client.task == LwipTask::bulk) bulk_fill(pcb);
    return ERR_OK;
}

err_t client_connected(void*, tcp_pcb* pcb, err_t err) {
    if (err != ERR_OK) return err;
    ++g_client.established;
    if (g_client.task == LwipTask::bulk) {
        bulk_fill(pcb);
    } else if (g_client.task != LwipTask::idle) {
        send_request(pcb);
    }
    return ERR_OK;
}

void client_err(void* arg, err_t) {
    delete static_cast<ClientConn*>(arg);
    client_fail("a connection was reset or timed out");
}

void open_one() {
    tcp_pcb* pcb = tcp_new();
    if (pcb == nullptr) {  // pcb pool empty for now: try again next round
        ++g_client.pending_opens;
        return;
    }
    auto* c = new ClientConn{};
    tcp_arg(pcb, c);
    tcp_recv(pcb, client_recv);
    tcp_sent(pcb, client_sent);
    tcp_err(pcb, client_err);
    tcp_nagle_disable(pcb);
    if (tcp_connect(pcb, &g_client.server, kLwipPort, client_connected) != ERR_OK) {
        delete c;
        close_pcb(pcb);
        ++g_client.pending_opens;
    }
}

Result<std::unique_ptr<LwipHost>> start_host(MemWireNic& nic, bool server, int cpu) {
    if (auto s = pin_to_cpu(cpu); !s) return s.error();
    LwipHostConfig c;
    c.ip = server ? kLwipServerIp : kLwipClientIp;
    c.peer_ip = server ? kLwipClientIp : kLwipServerIp;
    c.peer_mac = memwire_mac(server ? 1 : 0);
    return LwipHost::start(nic, c);
}

// Idle test: each end records its footprint once main asks for it.
void maybe_measure(LwipControl& ctl, int side, bool& done) {
    if (done || !ctl.measure.load(std::memory_order_acquire)) return;
    ctl.idle_after[side] = LwipHost::footprint();
    done = true;
    ctl.measured.fetch_add(1, std::memory_order_release);
}

}  // namespace

int lwip_server_main(MemWireNic& nic, LwipControl& ctl, LwipTask task, const RunOptions& o) {
    auto host = start_host(nic, true, o.server_cpu);
    if (!host) {
        report(ctl, host.error().message.c_str());
        return 1;
    }
    g_server.request = o.message_bytes;
    g_server.response = task == LwipTask::bulk ? 0 : o.message_bytes;
    tcp_pcb* listener = tcp_new();
    if (listener == nullptr || tcp_bind(listener, IP4_ADDR_ANY, kLwipPort) != ERR_OK) {
        report(ctl, "lwIP server: cannot bind");
        return 1;
    }
    listener = tcp_listen_with_backlog(listener, TCP_DEFAULT_LISTEN_BACKLOG);
    if (listener == nullptr) {
        report(ctl, "lwIP server: cannot listen");
        return 1;
    }
    tcp_accept(listener, server_accept);
    ctl.idle_before[0] = LwipHost::footprint();
    ctl.server_ready.store(true, std::memory_order_release);
    const auto deadline = Clock::now() + o.warmup + o.duration + kSlack * 4;
    bool measured = false;
    while (!ctl.stop.load(std::memory_order_relaxed) && Clock::now() < deadline) {
        (*host)->poll();
        ctl.server_rx_bytes.store(g_server.rx_bytes, std::memory_order_relaxed);
        ctl.server_open.store(g_server.open, std::memory_order_relaxed);
        if (task == LwipTask::idle) maybe_measure(ctl, 0, measured);
    }
    ctl.link_drops.fetch_add(LwipHost::link_drops());
    return 0;
}

int lwip_client_main(MemWireNic& nic, LwipControl& ctl, LwipTask task, const RunOptions& o) {
    auto host = start_host(nic, false, o.client_cpu);
    if (!host) {
        report(ctl, host.error().message.c_str());
        return 1;
    }
    g_client.task = task;
    g_client.message = o.message_bytes;
    g_client.server.addr = lwip_htonl(kLwipServerIp);
    const auto ready_by = Clock::now() + std::chrono::seconds(5);
    while (!ctl.server_ready.load(std::memory_order_acquire)) {
        if (Clock::now() > ready_by) {
            report(ctl, "lwIP server did not start listening");
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ctl.idle_before[1] = LwipHost::footprint();
    const uint32_t initial = task == LwipTask::bulk   ? 1u
                             : task == LwipTask::idle ? 0u
                                                      : o.connections;
    for (uint32_t i = 0; i < initial; ++i) open_one();

    g_now = Clock::now();
    g_client.start = g_now + o.warmup;
    g_client.end = g_client.start + o.duration;
    const auto deadline = g_client.end + kSlack * 4;
    uint64_t bulk_at_start = 0;
    bool bulk_started = false, measured = false;
    uint32_t idle_started = 0;
    while (!g_client.failed && g_now < deadline && !ctl.stop.load(std::memory_order_relaxed)) {
        if (task != LwipTask::idle && g_now >= g_client.end) break;
        if (task == LwipTask::bulk && !bulk_started && g_now >= g_client.start) {
            bulk_at_start = ctl.server_rx_bytes.load(std::memory_order_relaxed);
            bulk_started = true;
        }
        if (task == LwipTask::idle) {
            while (idle_started < o.idle_connections &&
                   idle_started - g_client.established < kIdleConnecting) {
                open_one();
                ++idle_started;
            }
            ctl.client_open.store(g_client.established, std::memory_order_relaxed);
            maybe_measure(ctl, 1, measured);
        }
        (*host)->poll();
        for (uint32_t n = std::exchange(g_client.pending_opens, 0); n > 0; --n) open_one();
        g_now = Clock::now();
    }
    ctl.link_drops.fetch_add(LwipHost::link_drops());
    if (g_client.failed) {
        report(ctl, g_client.failure);
        return 1;
    }
    ctl.operations = g_client.operations;
    if (task == LwipTask::bulk) {
        ctl.bytes = ctl.server_rx_bytes.load(std::memory_order_relaxed) - bulk_at_start;
    }
    ctl.seconds = std::chrono::duration<double>(g_client.end - g_client.start).count();
    ctl.stop.store(true, std::memory_order_release);
    return 0;
}

}  // namespace shunt::bench
