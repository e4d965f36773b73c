// shuntd's built-in TCP services on one stack: echo (7), discard (9) and HTTP (--http PORT).
// Each accepted connection gets a sans-IO session (stack/app/service.hpp); this class moves
// bytes between the socket and the session: received buffers are offered to the session in
// place (no copy into a staging area), and the session writes its output straight into pool
// buffers that go to the socket's zero-copy send.
#pragma once

#include "stack/app/service.hpp"
#include "stack/stack.hpp"
#include "stack/tcp/tcp_stack.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shunt {

struct TcpServiceCounters {
    uint64_t accepted = 0;
    uint64_t refused = 0;  // reset at accept: more than max_connections open
    uint64_t closed = 0;
    uint64_t bytes_in = 0;      // offered to sessions
    uint64_t bytes_out = 0;     // produced by sessions and queued on sockets
    uint64_t no_buffer = 0;     // times output waited for a pool buffer
    uint64_t send_refused = 0;  // connections reset because send() refused produced bytes
    // Sessions ended by a timeout (app::SessionTimeout): FIN sent, then an abort if the
    // connection was still open close_grace later.
    uint64_t header_timeouts = 0;
    uint64_t idle_timeouts = 0;
    uint64_t timeout_aborts = 0;
};

class TcpServices final : public StackApp {
  public:
    // Listens on every port `ports` names and runs in every poll of `stack` (between timers
    // and egress, so an answer leaves in the poll its request arrived in). Fails when a port
    // is taken.
    static Result<std::unique_ptr<TcpServices>> start(Stack& stack, const app::ServicePorts& ports,
                                                      const app::HttpServerConfig& http,
                                                      size_t max_connections = 4096,
                                                      const app::ServiceTimeouts& timeouts = {});
    ~TcpServices() override;
    TcpServices(const TcpServices&) = delete;
    TcpServices& operator=(const TcpServices&) = delete;

    // Accepts waiting connections and moves what can move on each. Returns a count of work
    // done (0: idle). Stack::poll calls it.
    // `now` is the poll's clock, which runs the sessions' timeouts.
    size_t serve(Instant now) noexcept;
    size_t serve() noexcept { return serve(stack_.now()); }
    size_t run(Instant now) noexcept override { return serve(now); }

    size_t open_connections() const noexcept { return conns_.size(); }
    // The stats file's "tcp" section: the stack's counters and, under "services", these.
    nlohmann::ordered_json stats() const;
    const TcpServiceCounters& counters() const noexcept { return counters_; }

  private:
    struct Connection {
        tcp::TcpSocket* socket;
        app::ServiceSession session;
        PacketChain unread;          // received, not yet taken by the session
        uint32_t unread_offset = 0;  // into unread.front()
        bool peer_close_told = false;
        // Set when a timeout ended the session: the FIN is out, and the connection is
        // aborted if it is still open at this time.
        std::optional<Instant> abort_at;
    };

    TcpServices(Stack& stack, const app::ServicePorts& ports, const app::HttpServerConfig& http,
                size_t max_connections, const app::ServiceTimeouts& timeouts);
    size_t accept_new() noexcept;
    size_t pump_input(Connection& c) noexcept;
    size_t pump_output(Connection& c) noexcept;
    // False when the connection is finished (its socket closed and released).
    bool step(Connection& c, Instant now, size_t& work) noexcept;
    // A timed-out connection waiting for the peer to go: input is dropped unread.
    bool linger(Connection& c, Instant now) noexcept;

    Stack& shard_;
    tcp::TcpStack& stack_;
    Mempool& pool_;
    app::ServicePorts ports_;
    app::HttpServerConfig http_;
    size_t max_connections_;
    app::ServiceTimeouts timeouts_;
    std::vector<tcp::TcpListener*> listeners_;
    std::vector<std::unique_ptr<Connection>> conns_;
    TcpServiceCounters counters_;
};

}  // namespace shunt
