#include "bench/tcp/socket_workloads.hpp"

#include "bench/tcp/epoll_util.hpp"
#include "bench/tcp/interrupt.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace shunt::bench {

namespace {
using Clock = std::chrono::steady_clock;
constexpr int kPollMs = 5;
constexpr size_t kReadBuffer = 256 * 1024;
constexpr size_t kBulkChunk = 64 * 1024;

sockaddr_in server_sockaddr(const SocketEndpoints& ep) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(ep.port);
    ::inet_pton(AF_INET, ep.server_addr.c_str(), &sa.sin_addr);
    return sa;
}

void set_nodelay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Error errno_error(const char* what) {
    return make_error("{}: {}", what, std::strerror(errno));
}

// Starts a non-blocking connect; the socket reports EPOLLOUT once it is established.
Result<int> start_connect(const SocketEndpoints& ep) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno_error("socket");
    set_nodelay(fd);
    sockaddr_in sa = server_sockaddr(ep);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
        Error e = errno_error("connect");
        ::close(fd);
        return e;
    }
    return fd;
}

Status connect_result(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return make_error("connect: {}", std::strerror(err));
    return {};
}

// The measured window: [start, end) after the warmup.
struct Window {
    Clock::time_point start, end;
    explicit Window(const RunOptions& o)
        : start(Clock::now() + o.warmup), end(start + o.duration) {}
    bool counts(Clock::time_point now) const { return now >= start && now < end; }
    double seconds() const { return std::chrono::duration<double>(end - start).count(); }
};

struct ServerConn {
    uint32_t partial = 0;  // bytes of an incomplete request
    uint64_t owed = 0;     // response bytes not yet written
    bool want_out = false;
};

class SocketServer {
  public:
    SocketServer(uint32_t request, uint32_t response, SocketRunShared& shared)
        : request_(request),
          response_(response),
          shared_(shared),
          rx_buf_(kReadBuffer),
          tx_buf_(kBulkChunk, 'r') {}

    Status listen(const SocketEndpoints& ep) {
        listen_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!listen_.valid()) return errno_error("socket");
        int one = 1;
        ::setsockopt(listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in sa = server_sockaddr(ep);
        if (::bind(listen_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            return errno_error("bind");
        }
        if (::listen(listen_.get(), 8192) != 0) return errno_error("listen");
        if (!epoll_.valid() || !epoll_.add(listen_.get(), EPOLLIN)) return errno_error("epoll");
        return {};
    }

    void run(Clock::time_point deadline) {
        std::array<epoll_event, 256> events{};
        while (!shared_.stop.load(std::memory_order_relaxed) && !interrupted() &&
               Clock::now() < deadline) {
            const size_t n = epoll_.wait(events, kPollMs);
            for (size_t i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == listen_.get()) {
                    accept_all();
                } else if (conns_.is_open(fd)) {
                    serve(fd, events[i].events);
                }
            }
            shared_.server_rx_bytes.store(rx_bytes_, std::memory_order_relaxed);
            shared_.server_open.store(conns_.count(), std::memory_order_relaxed);
        }
    }

  private:
    void accept_all() {
        for (;;) {
            int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) return;
            set_nodelay(fd);
            conns_.adopt(fd);
            epoll_.add(fd, EPOLLIN);
        }
    }

    void serve(int fd, uint32_t events) {
        ServerConn& c = conns_.at(fd);
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
            for (int round = 0; round < 4; ++round) {
                ssize_t n = ::read(fd, rx_buf_.data(), rx_buf_.size());
                if (n == 0 || (n < 0 && errno != EAGAIN)) {  // peer closed (or reset)
                    conns_.close(fd);
                    return;
                }
                if (n < 0) break;
                rx_bytes_ += static_cast<uint64_t>(n);
                if (response_ > 0) {
                    const uint64_t in = c.partial + static_cast<uint64_t>(n);
                    c.owed += in / request_ * response_;
                    c.partial = static_cast<uint32_t>(in % request_);
                }
                if (static_cast<size_t>(n) < rx_buf_.size()) break;
            }
        }
        flush(fd, c);
    }

    void flush(int fd, ServerConn& c) {
        while (c.owed > 0) {
            const size_t len = static_cast<size_t>(std::min<uint64_t>(c.owed, tx_buf_.size()));
            ssize_t w = ::write(fd, tx_buf_.data(), len);
            if (w > 0) {
                c.owed -= static_cast<uint64_t>(w);
                continue;
            }
            if (w < 0 && errno == EAGAIN) {
                if (!c.want_out) epoll_.modify(fd, EPOLLIN | EPOLLOUT);
                c.want_out = true;
                return;
            }
            conns_.close(fd);
            return;
        }
        if (c.want_out) epoll_.modify(fd, EPOLLIN);
        c.want_out = false;
    }

    uint32_t request_, response_;
    SocketRunShared& shared_;
    std::vector<char> rx_buf_, tx_buf_;
    UniqueFd listen_;
    Epoll epoll_;
    ConnTable<ServerConn> conns_;
    uint64_t rx_bytes_ = 0;
};

struct ClientConn {
    uint32_t got = 0;  // response bytes received so far
    bool connected = false;
};

// Transactions and connections share one loop: `reconnect` closes each connection after its
// one response and opens a new one (connections/s) instead of sending the next request.
Result<Measurement> request_response_client(const SocketEndpoints& ep, const RunOptions& o,
                                            bool reconnect) {
    Epoll epoll;
    if (!epoll.valid()) return errno_error("epoll");
    ConnTable<ClientConn> conns;
    const std::vector<char> request(o.message_bytes, 'q');
    std::vector<char> buf(64 * 1024);
    auto open_one = [&]() -> Status {
        auto fd = start_connect(ep);
        if (!fd) return fd.error();
        conns.adopt(*fd);
        if (!epoll.add(*fd, EPOLLOUT)) return errno_error("epoll_ctl");
        return {};
    };
    auto send_request = [&](int fd) -> Status {
        if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
            return make_error("request write failed: {}", std::strerror(errno));
        }
        return {};
    };
    for (uint32_t i = 0; i < o.connections; ++i) {
        if (auto s = open_one(); !s) return s.error();
    }
    Window window(o);
    Measurement m;
    std::array<epoll_event, 256> events{};
    for (auto now = Clock::now(); now < window.end && !interrupted(); now = Clock::now()) {
        const size_t n = epoll.wait(events, kPollMs);
        uint32_t to_open = 0;  // opened after the batch so no fd number is reused inside it
        for (size_t i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (!conns.is_open(fd)) continue;
            ClientConn& c = conns.at(fd);
            if (!c.connected) {
                if (auto s = connect_result(fd); !s) return s.error();
                c.connected = true;
                epoll.modify(fd, EPOLLIN);
                if (auto s = send_request(fd); !s) return s.error();
                continue;
            }
            ssize_t r = ::read(fd, buf.data(), buf.size());
            if (r < 0 && errno == EAGAIN) continue;
            if (r <= 0) return make_error("server closed a connection mid-test");
            c.got += static_cast<uint32_t>(r);
            if (c.got < o.message_bytes) continue;
            c.got -= o.message_bytes;
            if (window.counts(now)) ++m.operations;
            if (reconnect) {
                conns.close(fd);  // we close first: TIME_WAIT stays on the client
                ++to_open;
            } else if (auto s = send_request(fd); !s) {
                return s.error();
            }
        }
        for (; to_open > 0; --to_open) {
            if (auto s = open_one(); !s) return s.error();
        }
    }
    m.seconds = window.seconds();
    return m;
}

Result<Measurement> bulk_client(const SocketEndpoints& ep, const RunOptions& o,
                                SocketRunShared& shared) {
    Epoll epoll;
    auto fd = start_connect(ep);
    if (!fd) return fd.error();
    UniqueFd sock(*fd);
    if (!epoll.valid() || !epoll.add(sock.get(), EPOLLOUT)) return errno_error("epoll");
    const std::vector<char> chunk(kBulkChunk, 'b');
    Window window(o);
    bool connected = false, started = false;
    uint64_t at_start = 0;
    std::array<epoll_event, 4> events{};
    for (auto now = Clock::now(); now < window.end && !interrupted(); now = Clock::now()) {
        if (!started && now >= window.start) {
            at_start = shared.server_rx_bytes.load(std::memory_order_relaxed);
            started = true;
        }
        if (epoll.wait(events, kPollMs) == 0) continue;
        if (!connected) {
            if (auto s = connect_result(sock.get()); !s) return s.error();
            connected = true;
        }
        for (int round = 0; round < 16; ++round) {
            if (::write(sock.get(), chunk.data(), chunk.size()) < 0) {
                if (errno == EAGAIN) break;
                return errno_error("bulk write");
            }
        }
    }
    Measurement m;
    m.bytes = shared.server_rx_bytes.load(std::memory_order_relaxed) - at_start;
    m.seconds = window.seconds();
    return m;
}

}  // namespace

Status run_socket_server(const SocketEndpoints& ep, uint32_t request_bytes, uint32_t response_bytes,
                         SocketRunShared& shared, std::chrono::milliseconds max_time) {
    SocketServer server(request_bytes, response_bytes, shared);
    if (auto s = server.listen(ep); !s) return s;
    shared.server_ready.store(true);
    server.run(Clock::now() + max_time);
    return {};
}

Result<Measurement> run_socket_client(Workload w, const SocketEndpoints& ep,
                                      const RunOptions& options, SocketRunShared& shared) {
    switch (w) {
        case Workload::transactions:
            return request_response_client(ep, options, false);
        case Workload::connections:
            return request_response_client(ep, options, true);
        case Workload::bulk:
            return bulk_client(ep, options, shared);
    }
    return make_error("unknown workload");
}

Status hold_idle_socket_connections(const SocketEndpoints& ep, uint32_t count,
                                    SocketRunShared& shared, std::chrono::milliseconds max_time) {
    constexpr uint32_t kConnecting = 256;  // handshakes in flight at once
    Epoll epoll;
    if (!epoll.valid()) return errno_error("epoll");
    ConnTable<ClientConn> conns;
    uint32_t started = 0, established = 0;
    std::array<epoll_event, 256> events{};
    const auto deadline = Clock::now() + max_time;
    while (!shared.stop.load(std::memory_order_relaxed) && !interrupted() &&
           Clock::now() < deadline) {
        while (started < count && started - established < kConnecting) {
            auto fd = start_connect(ep);
            if (!fd) return fd.error();
            conns.adopt(*fd);
            epoll.add(*fd, EPOLLOUT);
            ++started;
        }
        const size_t n = epoll.wait(events, kPollMs);
        for (size_t i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (!conns.is_open(fd) || conns.at(fd).connected) continue;
            if (auto s = connect_result(fd); !s) return s.error();
            conns.at(fd).connected = true;
            epoll.modify(fd, EPOLLIN);  // idle, but watched as a real server's client would be
            ++established;
        }
        shared.client_open.store(established, std::memory_order_relaxed);
    }
    return {};
}

}  // namespace shunt::bench
