// The control socket: a Unix stream socket (default /run/shunt/NAME.sock, mode 0660, group
// "shunt" when that group exists) served from shuntd's own loop, never blocking it: every fd
// is non-blocking and each poll() does bounded work (a few accepts, a bounded read and a
// bounded number of requests per client, a bounded number of clients). Peers are identified
// by SO_PEERCRED and logged. A malformed or oversize line gets one error reply, then the
// client is dropped; a client that does not read its replies is dropped too. All counted.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "tools/control/protocol.hpp"

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shunt::control {

// What the daemon does with a request. The server owns parsing and the socket; a handler
// returns the reply line (reply_ok / reply_error) for one request of client `client`.
class ControlHandler {
  public:
    virtual ~ControlHandler() = default;
    virtual std::string handle(const Request& request, uint64_t client) = 0;
    // The client is gone (closed or dropped): release what it owned (e.g. its capture).
    virtual void client_gone(uint64_t client) = 0;
};

struct ServerOptions {
    std::string path;
    // The socket's group (mode 0660): empty means "shunt" if that group exists, else the
    // daemon's own group.
    std::string group;
    size_t max_clients = 16;
    size_t max_pending_output = 16u << 20;  // unread reply bytes before a client is dropped
    size_t requests_per_poll = 16;          // per client
};

struct ServerCounters {
    uint64_t accepted = 0;
    uint64_t refused = 0;  // over max_clients
    uint64_t requests = 0;
    uint64_t bad_lines = 0;       // malformed JSON or not a request: replied, then dropped
    uint64_t oversize_lines = 0;  // longer than kMaxRequestLine: replied, then dropped
    uint64_t slow_clients = 0;    // dropped with more than max_pending_output unread
    uint64_t closed = 0;          // every client that left, whatever the reason
};

// The default socket path for a NIC spec: /run/shunt/<spec with ':' and '/' as '-'>.sock.
std::string default_socket_path(const std::string& nic_spec);

class ControlServer {
  public:
    static Result<std::unique_ptr<ControlServer>> open(const ServerOptions& options,
                                                       ControlHandler& handler);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // An epoll fd, readable when the server has work (add it to the caller's wait set).
    int wait_fd() const noexcept { return epoll_.get(); }
    // Bounded work; true when requests are still buffered (call again soon).
    bool poll();
    const ServerCounters& counters() const noexcept { return counters_; }
    Json counters_json() const;
    size_t clients() const noexcept { return clients_.size(); }
    const std::string& path() const noexcept { return options_.path; }

  private:
    struct Client {
        uint64_t id;
        UniqueFd fd;
        LineBuffer in;
        std::string out;
        size_t out_sent = 0;
        bool closing = false;  // drop once `out` is written
        bool want_out = false;
    };
    ControlServer(ServerOptions options, ControlHandler& handler);
    void accept_some();
    // False when the client must go now.
    bool serve(Client& c, bool readable);
    bool flush(Client& c);
    void update_interest(Client& c);
    void drop(size_t index);

    ServerOptions options_;
    ControlHandler& handler_;
    UniqueFd listen_;
    UniqueFd epoll_;
    std::vector<std::unique_ptr<Client>> clients_;
    uint64_t next_id_ = 1;
    bool backlog_ = false;
    ServerCounters counters_;
};

}  // namespace shunt::control
