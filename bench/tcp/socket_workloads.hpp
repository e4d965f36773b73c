// The three workloads over kernel sockets: one epoll loop per side, non-blocking sockets, no
// thread per connection. The server thread and the client thread each run one function
// below; they meet through SocketRunShared.
#pragma once

#include "bench/tcp/contender.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace shunt::bench {

struct SocketRunShared {
    std::atomic<bool> stop{false};             // client (or main) tells the server to finish
    std::atomic<bool> server_ready{false};     // listening
    std::atomic<uint64_t> server_rx_bytes{0};  // payload bytes the server has read
    std::atomic<uint64_t> server_open{0};      // connections the server holds right now
    std::atomic<uint64_t> client_open{0};      // idle test: client connections established
};

struct SocketEndpoints {
    std::string server_addr;
    uint16_t port = 5001;
};

// Accepts everything; for each request of request_bytes answers response_bytes (0: read and
// discard, the bulk sink); closes when the peer does. Runs until shared.stop or the deadline.
Status run_socket_server(const SocketEndpoints& ep, uint32_t request_bytes, uint32_t response_bytes,
                         SocketRunShared& shared, std::chrono::milliseconds max_time);

// Client side of one workload; returns what it measured in the window after the warmup.
Result<Measurement> run_socket_client(Workload w, const SocketEndpoints& ep,
                                      const RunOptions& options, SocketRunShared& shared);

// Opens `count` connections and holds them until shared.stop (the idle-memory test).
Status hold_idle_socket_connections(const SocketEndpoints& ep, uint32_t count,
                                    SocketRunShared& shared, std::chrono::milliseconds max_time);

}  // namespace shunt::bench
