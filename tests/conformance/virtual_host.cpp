#include "virtual_host.hpp"

#include "lib/inprocess.hpp"  // errno_of(TcpError): libshunt's Linux errno for each TcpError

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace shunt::conformance {

namespace {

// The virtual clock starts at an arbitrary non-zero instant (1000 s).
constexpr Instant kEpoch{1'000'000'000};
// netdev_receive waits at most this long (virtual) for the stack's next segment: longer than
// any retransmission a script waits for (RTO backs off to 120 s, Linux TCP_RTO_MAX).
constexpr Duration kReceiveHorizon = std::chrono::seconds(600);
constexpr int kFirstFd = 3;  // as a fresh Linux process: 0-2 are stdio

int fail(int err) {
    errno = err;
    return -1;
}

void note(const char* what) {
    std::fprintf(stderr, "shunt-packetdrill: %s\n", what);
}

bool option_is_int(const void* val, socklen_t len) {
    return val != nullptr && len >= static_cast<socklen_t>(sizeof(int));
}

int put_int(void* val, socklen_t* len, int v) {
    if (val == nullptr || len == nullptr || *len < static_cast<socklen_t>(sizeof(int))) {
        return fail(EINVAL);
    }
    std::memcpy(val, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

bool tcp_open_for_send(tcp::TcpState s) {
    return s == tcp::TcpState::syn_sent || s == tcp::TcpState::syn_received ||
           s == tcp::TcpState::established || s == tcp::TcpState::close_wait;
}

}  // namespace

std::optional<HostConfig> parse_flags(const char* flags) {
    HostConfig c;
    if (flags == nullptr) return c;
    std::string_view f(flags);
    while (!f.empty()) {
        const size_t comma = f.find(',');
        std::string_view item = f.substr(0, comma);
        f = comma == std::string_view::npos ? std::string_view{} : f.substr(comma + 1);
        if (item.empty()) continue;
        constexpr std::string_view kLocal = "local_ip=";
        if (item.starts_with(kLocal)) {
            auto a = wire::Ipv4Addr::parse(item.substr(kLocal.size()));
            if (!a) return std::nullopt;
            c.local_ip = *a;
        } else if (item == "timestamps=0" || item == "timestamps=1") {
            c.timestamps = item.back() == '1';
        } else {
            return std::nullopt;
        }
    }
    return c;
}

VirtualHost::VirtualHost(HostConfig config) : config_(config), now_(kEpoch) {
    if (!nic_.ok()) return;
    InterfaceConfig iface;
    iface.mac = kStackMac;
    // packetdrill's address plan (its config.c): local 192.168.0.0/16, remote 192.0.2.1 in
    // TEST-NET-1 behind a gateway. The NIC answers ARP for any address, so the gateway only
    // has to exist; it is not one of the scripts' addresses.
    iface.address = wire::Ipv4Cidr{config.local_ip, 16};
    iface.gateway = wire::Ipv4Addr::from_octets(192, 168, 255, 254);
    // A neighbour stays reachable for the whole script: no ARP probes mid-test.
    iface.neighbor.reachable_time = std::chrono::hours(24);
    tcp::TcpConfig tcp;
    // A fixed key: scripts never see absolute sequence numbers (packetdrill maps them), and a
    // fixed key keeps every run identical.
    tcp.secret = {0x70, 0x64, 0x72, 0x69, 0x6c, 0x6c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    // The scripts' environment (gtests/net/common/defaults.sh) gives Linux a receive buffer
    // of up to 15 MB (tcp_rmem), from which Linux picks window scale 8, and every SYN in the
    // scripts expects it. shunt picks the shift from its receive buffer the same way (RFC
    // 7323 §2.3, the smallest shift that fits it), so the same buffer gives the same shift.
    tcp.defaults.recv_buffer = 15 * 1024 * 1024;
    tcp.defaults.timestamps = config.timestamps;
    stack_.emplace(nic_, 0, iface, tcp);
    nic_.set_now(now_);
}

VirtualHost::Sock* VirtualHost::find(int fd) {
    auto it = fds_.find(fd);
    return it == fds_.end() ? nullptr : &it->second;
}

// Linux gives the lowest free descriptor (POSIX, open(2)).
int VirtualHost::new_fd() {
    int fd = kFirstFd;
    for (const auto& [n, s] : fds_) {
        if (n != fd) break;
        ++fd;
    }
    return fd;
}

void VirtualHost::pump() {
    // ARP answers and queued segments can take a few rounds within one instant.
    for (int round = 0; round < 16; ++round) {
        nic_.set_now(now_);
        stack_->poll(now_);
        if (!nic_.rx_pending()) break;
    }
    ++pumps_;
    woken_ = blocked_;
    cv_.notify_all();
}

void VirtualHost::advance_to(Instant t) {
    // Each timer fires at its own instant, so what it sends carries that time.
    for (int i = 0; i < 100000; ++i) {
        auto d = stack_->next_deadline();
        if (!d || *d > t) break;
        if (*d > now_) now_ = *d;
        pump();
        if (*d <= now_ && stack_->next_deadline() == d) break;  // nothing moved: stop
    }
    if (t > now_) now_ = t;
    pump();
}

void VirtualHost::wait(std::unique_lock<std::mutex>& lock) {
    const uint64_t seen = pumps_;
    ++blocked_;
    cv_.wait(lock, [&] { return pumps_ != seen; });
    --blocked_;
    // This call was asleep at the last pump(), so it was counted in woken_.
    if (woken_ > 0 && --woken_ == 0) ran_.notify_all();
}

// Linux tcp_poll (net/ipv4/tcp.c), which scripts check bit by bit.
uint32_t VirtualHost::poll_mask(const Sock& s) const {
    switch (s.kind) {
        case Kind::epoll:
            return 0;
        case Kind::fresh:
            return POLLOUT | POLLWRNORM | POLLHUP;  // TCP_CLOSE
        case Kind::listener:
            return s.listener->pending() > 0 ? POLLIN | POLLRDNORM : 0;
        case Kind::conn:
            break;
    }
    const tcp::TcpSocket& c = *s.conn;
    const uint32_t ev = c.events();
    const bool reset = c.error() != tcp::TcpError::none;
    const bool rcv_shut = s.rd_shut || (ev & tcp::tcp_event::peer_closed) != 0 || reset;
    const bool snd_shut = s.wr_shut || reset;
    uint32_t m = 0;
    if ((rcv_shut && snd_shut) || c.state() == tcp::TcpState::closed) m |= POLLHUP;
    if (rcv_shut) m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (c.state() != tcp::TcpState::syn_sent && c.state() != tcp::TcpState::syn_received) {
        if (c.readable_bytes() > 0) m |= POLLIN | POLLRDNORM;
        if (!snd_shut && (ev & tcp::tcp_event::writable) != 0) m |= POLLOUT | POLLWRNORM;
    }
    if (reset && !s.error_reported) m |= POLLERR;
    return m;
}

// The connection's error once (Linux sock_error clears sk_err), then 0.
int VirtualHost::take_error(Sock& s) {
    if (s.kind != Kind::conn || s.error_reported) return 0;
    const int e = lib::errno_of(s.conn->error());
    if (e != 0) s.error_reported = true;
    return e;
}

int VirtualHost::socket(int domain, int type, int protocol) {
    std::lock_guard lock(mu_);
    const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (domain != AF_INET) return fail(EAFNOSUPPORT);  // IPv4 only (docs/conformance.md)
    if (base != SOCK_STREAM || (protocol != 0 && protocol != IPPROTO_TCP)) {
        return fail(EPROTONOSUPPORT);
    }
    const int fd = new_fd();
    Sock& s = fds_[fd];
    s.nonblock = (type & SOCK_NONBLOCK) != 0;
    s.opts = stack_->tcp().config().defaults;
    return fd;
}

int VirtualHost::bind(int fd, const sockaddr* addr, socklen_t len) {
    std::lock_guard lock(mu_);
    Sock* s = find(fd);
    if (s == nullptr) return fail(EBADF);
    if (addr == nullptr || len < static_cast<socklen_t>(sizeof(sockaddr_in))) return fail(EINVAL);
    if (addr->sa_family != AF_INET) return fail(EAFNOSUPPORT);
    if (s->kind != Kind::fresh || s->bound.port != 0) return fail(EINVAL);
    sockaddr_in in{};
    std::memcpy(&in, addr, sizeof in);
    const wire::Ipv4Addr ip{ntohl(in.sin_addr.s_addr)};
    if (!ip.is_unspecified() && ip != config_.local_ip) return fail(EADDRNOTAVAIL);
    s->bound = Endpoint{ip, ntohs(in.sin_port)};
    return 0;
}

int VirtualHost::listen(int fd, int backlog) {
    std::lock_guard lock(mu_);
    Sock* s = find(fd);
    if (s == nullptr) return fail(EBADF);
    if (s->kind == Kind::listener) return 0;  // Linux: a second listen() changes the backlog
    if (s->kind != Kind::fresh) return fail(EINVAL);
    if (s->bound.port == 0) {
        note("listen() on an unbound socket (no automatic port) is not supported");
        return fail(EINVAL);
    }
    // Linux's accept queue is full when it holds more than backlog (sk_acceptq_is_full).
    const size_t depth = static_cast<size_t>(std::clamp(backlog, 0, 4096)) + 1;
    s->listener = stack_->listen(s->bound.port, depth, &s->opts);
    if (s->listener == nullptr) return fail(EADDRINUSE);
    s->kind = Kind::listener;
    return 0;
}

int VirtualHost::accept(int fd, sockaddr* addr, socklen_t* len) {
    std::unique_lock lock(mu_);
    for (;;) {
        Sock* s = find(fd);
        if (s == nullptr) return fail(EBADF);
        if (s->kind != Kind::listener) return fail(EINVAL);
        if (tcp::TcpSocket* c = s->listener->accept()) {
            // accept(2): the new socket does not inherit O_NONBLOCK from the listener.
            const tcp::SocketOptions opts = s->opts;
            const int nfd = new_fd();
            Sock& n = fds_[nfd];
            n.kind = Kind::conn;
            n.conn = c;
            n.opts = opts;
            if (addr != nullptr && len != nullptr) {
                sockaddr_in in{};
                in.sin_family = AF_INET;
                in.sin_addr.s_addr = htonl(c->remote().addr.value);
                in.sin_port = htons(c->remote().port);
                std::memcpy(addr, &in, std::min<size_t>(*len, sizeof in));
                *len = sizeof in;
            }
            pump();
            return nfd;
        }
        if (s->nonblock) return fail(EAGAIN);
        wait(lock);
    }
}

int VirtualHost::connect(int fd, const sockaddr* addr, socklen_t len) {
    std::unique_lock lock(mu_);
    Sock* s = find(fd);
    if (s == nullptr) return fail(EBADF);
    if (addr == nullptr || len < static_cast<socklen_t>(sizeof(sockaddr_in))) return fail(EINVAL);
    if (addr->sa_family != AF_INET) return fail(EAFNOSUPPORT);
    if (s->kind == Kind::listener) return fail(EISCONN);
    if (s->kind == Kind::conn) {
        const tcp::TcpState st = s->conn->state();
        if (st == tcp::TcpState::syn_sent) return fail(EALREADY);
        if (const int e = take_error(*s)) return fail(e);
        return fail(EISCONN);
    }
    if (s->kind != Kind::fresh) return fail(EINVAL);
    sockaddr_in in{};
    std::memcpy(&in, addr, sizeof in);
    const Endpoint remote{wire::Ipv4Addr{ntohl(in.sin_addr.s_addr)}, ntohs(in.sin_port)};
    tcp::TcpSocket* c = stack_->connect(remote, now_, s->bound.port, &s->opts);
    if (c == nullptr) return fail(EADDRNOTAVAIL);
    s->kind = Kind::conn;
    s->conn = c;
    pump();
    if (s->nonblock) return fail(EINPROGRESS);
    for (;;) {
        s = find(fd);
        if (s == nullptr || s->kind != Kind::conn) return fail(EBADF);
        if (s->conn->state() != tcp::TcpState::syn_sent) break;
        wait(lock);
    }
    if (const int e = take_error(*s)) return fail(e);
    return 0;
}

ssize_t VirtualHost::recv(int fd, const iovec* iov, int iovcnt, int flags, sockaddr* from,
                          socklen_t* fromlen) {
    std::unique_lock lock(mu_);
    if ((flags & (MSG_PEEK | MSG_OOB)) != 0) {
        note("recv flags MSG_PEEK/MSG_OOB are not supported");
        return fail(EOPNOTSUPP);
    }
    for (int i = 0; i < iovcnt; ++i) {
        if (iov[i].iov_base == nullptr && iov[i].iov_len > 0) return fail(EFAULT);
    }
    for (;;) {
        Sock* s = find(fd);
        if (s == nullptr) return fail(EBADF);
        if (s->kind != Kind::conn) return fail(ENOTCONN);
        size_t total = 0;
        for (int i = 0; i < iovcnt; ++i) {
            std::span<uint8_t> out(static_cast<uint8_t*>(iov[i].iov_base), iov[i].iov_len);
            const size_t n = s->conn->copy_recv(out);
            total += n;
            if (n < out.size()) break;
        }
        if (total > 0) {
            if (from != nullptr && fromlen != nullptr) *fromlen = 0;
            pump();  // a window update the read opened leaves now
            return static_cast<ssize_t>(total);
        }
        if (const int e = take_error(*s)) return fail(e);
        const uint32_t ev = s->conn->events();
        if (s->rd_shut || (ev & tcp::tcp_event::peer_closed) != 0 ||
            s->conn->state() == tcp::TcpState::closed) {
            return 0;
        }
        if (s->conn->state() == tcp::TcpState::syn_sent && s->nonblock) return fail(EAGAIN);
        if (s->nonblock || (flags & MSG_DONTWAIT) != 0) return fail(EAGAIN);
        wait(lock);
    }
}

ssize_t VirtualHost::send(int fd, const iovec* iov, int iovcnt, int flags) {
    std::unique_lock lock(mu_);
    size_t want = 0;
    for (int i = 0; i < iovcnt; ++i) {
        // Linux copies from user memory and fails a bad pointer with EFAULT; only null is
        // recognisable here.
        if (iov[i].iov_base == nullptr && iov[i].iov_len > 0) return fail(EFAULT);
        want += iov[i].iov_len;
    }
    size_t done = 0;
    int i = 0;
    size_t off = 0;
    for (;;) {
        Sock* s = find(fd);
        if (s == nullptr) return fail(EBADF);
        if (s->kind != Kind::conn) return fail(s->kind == Kind::fresh ? EPIPE : ENOTCONN);
        if (const int e = take_error(*s)) return done > 0 ? static_cast<ssize_t>(done) : fail(e);
        if (s->wr_shut || !tcp_open_for_send(s->conn->state())) {
            return done > 0 ? static_cast<ssize_t>(done) : fail(EPIPE);
        }
        while (i < iovcnt) {
            const auto* base = static_cast<const uint8_t*>(iov[i].iov_base);
            const size_t n = s->conn->copy_send({base + off, iov[i].iov_len - off});
            done += n;
            off += n;
            if (off < iov[i].iov_len) break;
            ++i;
            off = 0;
        }
        pump();
        if (done == want) return static_cast<ssize_t>(done);
        if (s->nonblock || (flags & MSG_DONTWAIT) != 0) {
            return done > 0 ? static_cast<ssize_t>(done) : fail(EAGAIN);
        }
        wait(lock);
    }
}

int VirtualHost::fcntl(int fd, int cmd, long arg) {
    std::lock_guard lock(mu_);
    Sock* s = find(fd);
    if (s == nullptr) return fail(EBADF);
    switch (cmd) {
        case F_GETFL:
            return O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
        case F_SETFL:
            s->nonblock = (arg & O_NONBLOCK) != 0;
            return 0;
        case F_GETFD:
        case F_SETFD:
            return 0;
        default:
            return fail(EINVAL);
    }
}

int VirtualHost::ioctl(int fd, unsigned long request, void* arg) {
    std::lock_guard lock(mu_);
    Sock* s = find(fd);
    if (s == nullptr) return fail(EBADF);
    if (arg == nullptr) return fail(EFAULT);
    int v = 0;
    switch (request) {
        case FIONBIO:
            std::memcpy(&v, arg, sizeof v);
            s->nonblock = v != 0;
            return 0;
        case SIOCINQ:  // == FIONREAD
            if (s->kind == Kind::listener) return fail(EINVAL);
            v = s->kind == Kind::conn ? static_cast<int>(s->conn->readable_bytes()) : 0;
            break;
        case SIOCOUTQ:
            if (s->kind == Kind::listener) return fail(EINVAL);
            v = s->kind == Kind::conn ? static_cast<int>(s->conn->send_queued()) : 0;
            break;
        default:
            note("ioctl request not supported");
            return fail(ENOTTY);
    }
    std::memcpy(arg, &v, sizeof v);
    return 0;
}

int VirtualHost::close(int fd) {
    std::lock_guard lock(mu_);
    Sock* s = find(fd);
    if (s == nullptr) return fail(EBADF);
    if (s->kind == Kind::conn) s->conn->close();  // the stack owns it from here
    if (s->kind == Kind::listener) stack_->tcp().close_listener(s->listener);
    fds_.erase(fd);
    for (auto& [n, other] : fds_) other.interest.erase(fd);  // close(2) leaves epoll sets
    pump();
    return 0;
}

int VirtualHost::shutdown(int fd, int how) {
    std::lock_guard lock(mu_);
    Sock* s = find(fd);
    if (s == nullptr) return fail(EBADF);
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return fail(EINVAL);
    if (s->kind != Kind::conn) return fail(ENOTCONN);
    if (how != SHUT_WR) s->rd_shut = true;
    if (how != SHUT_RD) {
        s->wr_shut = true;
        s->conn->shutdown_write();
    }
    pump();
    return 0;
}

int VirtualHost::getsockopt(int fd, int level, int name, void* val, socklen_t* len) {
    std::lock_guard lock(mu_);
    Sock* s = find(fd);
    if (s == nullptr) return fail(EBADF);
    const tcp::SocketOptions& o = s->kind == Kind::conn ? s->conn->options() : s->opts;
    if (level == SOL_SOCKET) {
        switch (name) {
            case SO_ERROR:
                return put_int(val, len, take_error(*s));
            case SO_TYPE:
                return put_int(val, len, SOCK_STREAM);
            case SO_KEEPALIVE:
                return put_int(val, len, o.keepalive ? 1 : 0);
            case SO_SNDBUF:
                return put_int(val, len, static_cast<int>(o.send_buffer));
            case SO_RCVBUF:
                return put_int(val, len, static_cast<int>(o.recv_buffer));
            default:
                break;
        }
    } else if (level == IPPROTO_TCP) {
        switch (name) {
            case TCP_NODELAY:
                return put_int(val, len, o.nodelay ? 1 : 0);
            case TCP_MAXSEG:
                return put_int(val, len,
                               s->kind == Kind::conn ? static_cast<int>(s->conn->smss()) : 536);
            case TCP_KEEPIDLE:
                return put_int(val, len, static_cast<int>(o.keepalive_idle.count() / 1'000'000));
            case TCP_KEEPINTVL:
                return put_int(val, len,
                               static_cast<int>(o.keepalive_interval.count() / 1'000'000));
            case TCP_KEEPCNT:
                return put_int(val, len, static_cast<int>(o.keepalive_probes));
            default:
                break;
        }
    }
    note(fmt::format("getsockopt level {} option {} is not supported", level, name).c_str());
    return fail(ENOPROTOOPT);
}

int VirtualHost::setsockopt(int fd, int level, int name, const void* val, socklen_t len) {
    std::lock_guard lock(mu_);
    Sock* s = find(fd);
    if (s == nullptr) return fail(EBADF);
    int v = 0;
    if (option_is_int(val, len)) std::memcpy(&v, val, sizeof v);
    const bool connected = s->kind == Kind::conn;
    if (level == SOL_SOCKET) {
        switch (name) {
            case SO_REUSEADDR:
            case SO_REUSEPORT:
                return 0;  // the stack has no bind-time address conflicts to relax
            case SO_KEEPALIVE:
                s->opts.keepalive = v != 0;
                if (connected) s->conn->set_keepalive(v != 0);
                return 0;
            case SO_SNDBUF:
                // Linux doubles the value for its bookkeeping (socket(7)).
                s->opts.send_buffer = static_cast<uint32_t>(std::max(v, 2304)) * 2;
                if (connected) s->conn->set_send_buffer(s->opts.send_buffer);
                return 0;
            case SO_RCVBUF:
                if (connected) break;  // the window is fixed once the connection exists
                s->opts.recv_buffer = static_cast<uint32_t>(std::max(v, 1152)) * 2;
                return 0;
            default:
                break;
        }
    } else if (level == IPPROTO_TCP) {
        switch (name) {
            case TCP_NODELAY:
                s->opts.nodelay = v != 0;
                if (connected) s->conn->set_nodelay(v != 0);
                pump();  // Linux pushes what Nagle held back (tcp_push_pending_frames)
                return 0;
            case TCP_KEEPIDLE:
            case TCP_KEEPINTVL:
            case TCP_KEEPCNT:
                if (connected) break;  // fixed once the connection exists
                if (v < 1) return fail(EINVAL);
                if (name == TCP_KEEPIDLE) s->opts.keepalive_idle = std::chrono::seconds(v);
                if (name == TCP_KEEPINTVL) s->opts.keepalive_interval = std::chrono::seconds(v);
                if (name == TCP_KEEPCNT) s->opts.keepalive_probes = static_cast<uint32_t>(v);
                return 0;
            case TCP_CONGESTION: {
                const std::string_view cc(static_cast<const char*>(val), len);
                tcp::CongestionAlgorithm a{};
                if (cc.starts_with("cubic")) {
                    a = tcp::CongestionAlgorithm::cubic;
                } else if (cc.starts_with("reno") || cc.starts_with("newreno")) {
                    a = tcp::CongestionAlgorithm::newreno;
                } else {
                    return fail(ENOENT);  // Linux: no such congestion control module
                }
                s->opts.congestion = a;
                if (connected && !s->conn->set_congestion(a)) break;
                return 0;
            }
            default:
                break;
        }
    }
    note(fmt::format("setsockopt level {} option {} is not supported{}", level, name,
                     connected ? " (or not once connected)" : "")
             .c_str());
    return fail(ENOPROTOOPT);
}

int VirtualHost::poll(pollfd* fds, nfds_t n, int timeout_ms) {
    std::unique_lock lock(mu_);
    const Instant until = now_ + std::chrono::milliseconds(std::max(timeout_ms, 0));
    for (;;) {
        int ready = 0;
        for (nfds_t i = 0; i < n; ++i) {
            const Sock* s = find(fds[i].fd);
            if (s == nullptr) {
                fds[i].revents = fds[i].fd < 0 ? 0 : POLLNVAL;
            } else {
                const uint32_t want =
                    static_cast<uint16_t>(fds[i].events) | POLLERR | POLLHUP | POLLNVAL;
                fds[i].revents = static_cast<short>(poll_mask(*s) & want);
            }
            if (fds[i].revents != 0) ++ready;
        }
        if (ready > 0 || timeout_ms == 0 || (timeout_ms > 0 && now_ >= until)) return ready;
        wait(lock);
    }
}

int VirtualHost::epoll_create(int size) {
    std::lock_guard lock(mu_);
    if (size <= 0) return fail(EINVAL);
    const int fd = new_fd();
    fds_[fd].kind = Kind::epoll;
    return fd;
}

namespace {
uint32_t rcv_of_conn(const tcp::TcpSocket* c) {
    return c == nullptr ? 0 : c->rcv_nxt().raw();
}
}  // namespace

uint32_t VirtualHost::rcv_of(const Sock& s) const {
    return s.kind == Kind::conn ? rcv_of_conn(s.conn) : 0;
}

int VirtualHost::epoll_ctl(int epfd, int op, int fd, epoll_event* ev) {
    std::lock_guard lock(mu_);
    Sock* ep = find(epfd);
    Sock* s = find(fd);
    if (ep == nullptr || s == nullptr) return fail(EBADF);
    if (ep->kind != Kind::epoll || epfd == fd) return fail(EINVAL);
    auto it = ep->interest.find(fd);
    switch (op) {
        case EPOLL_CTL_ADD:
            if (it != ep->interest.end()) return fail(EEXIST);
            if (ev == nullptr) return fail(EFAULT);
            ep->interest[fd] = Interest{*ev, 0, rcv_of(*s)};
            return 0;
        case EPOLL_CTL_MOD:
            if (it == ep->interest.end()) return fail(ENOENT);
            if (ev == nullptr) return fail(EFAULT);
            it->second = Interest{*ev, 0, rcv_of(*s)};
            return 0;
        case EPOLL_CTL_DEL:
            if (it == ep->interest.end()) return fail(ENOENT);
            ep->interest.erase(it);
            return 0;
        default:
            return fail(EINVAL);
    }
}

// Level-triggered entries report while the condition holds (epoll(7)). EPOLLET ones report,
// with the whole current mask as Linux does, when an event Linux would wake the entry for
// happened since the last look: a bit that was not set (writable again, HUP, ERR) or new data
// or a FIN arriving (RCV.NXT moved; Linux's sk_data_ready). EPOLLONESHOT ones report once
// until re-armed with EPOLL_CTL_MOD.
int VirtualHost::epoll_collect(Sock& ep, epoll_event* events, int max) {
    int n = 0;
    for (auto& [fd, in] : ep.interest) {
        if (n == max) break;
        const Sock* s = find(fd);
        if (s == nullptr) continue;
        const uint32_t mask =
            poll_mask(*s) & (in.ev.events | EPOLLERR | EPOLLHUP) & ~(EPOLLET | EPOLLONESHOT);
        bool report = mask != 0;
        if ((in.ev.events & EPOLLET) != 0) {
            const uint32_t rcv = s->kind == Kind::conn ? s->conn->rcv_nxt().raw() : 0;
            const bool data_edge = rcv != in.last_rcv && (mask & EPOLLIN) != 0;
            report = report && ((mask & ~in.last) != 0 || data_edge);
            in.last = mask;
            in.last_rcv = rcv;
        }
        if (!report) continue;
        events[n].events = mask;
        events[n].data = in.ev.data;
        ++n;
        if ((in.ev.events & EPOLLONESHOT) != 0) in.ev.events &= EPOLLET | EPOLLONESHOT;
    }
    return n;
}

int VirtualHost::epoll_wait(int epfd, epoll_event* events, int max, int timeout_ms) {
    std::unique_lock lock(mu_);
    if (max <= 0 || events == nullptr) return fail(EINVAL);
    const Instant until = now_ + std::chrono::milliseconds(std::max(timeout_ms, 0));
    for (;;) {
        Sock* ep = find(epfd);
        if (ep == nullptr) return fail(EBADF);
        if (ep->kind != Kind::epoll) return fail(EINVAL);
        const int n = epoll_collect(*ep, events, max);
        if (n > 0 || timeout_ms == 0 || (timeout_ms > 0 && now_ >= until)) return n;
        wait(lock);
    }
}

int VirtualHost::netdev_send(const void* buf, size_t count) {
    std::lock_guard lock(mu_);
    const auto* p = static_cast<const uint8_t*>(buf);
    if (count == 0 || (p[0] >> 4) != 4) {
        note("only IPv4 packets can be injected");
        return fail(EAFNOSUPPORT);
    }
    if (!nic_.inject_ip({p, count})) return fail(ENOBUFS);
    pump();
    return 0;
}

int VirtualHost::netdev_receive(void* buf, size_t* count, long long* time_usecs) {
    std::unique_lock lock(mu_);
    // A blocking call that the last packet completed (a read, an accept) runs on packetdrill's
    // other thread and may send something itself (a window update): let it finish at this
    // instant before the clock moves on. Bounded in real time (a loaded machine only makes
    // the wait longer, up to this bound).
    if (nic_.sent().empty() && woken_ > 0) {
        ran_.wait_for(lock, std::chrono::milliseconds(200), [&] { return woken_ == 0; });
    }
    // Waiting for a segment: let the stack's timers run until one leaves.
    const Instant horizon = now_ + kReceiveHorizon;
    for (int i = 0; i < 100000 && nic_.sent().empty(); ++i) {
        auto d = stack_->next_deadline();
        if (!d || *d > horizon) break;
        advance_to(std::max(*d, now_));
        if (nic_.sent().empty() && stack_->next_deadline() == d) break;
    }
    if (nic_.sent().empty()) {
        note("the stack sends nothing more: no segment and no timer within 600 s");
        *count = 0;  // packetdrill fails the script on an empty packet
        return 0;
    }
    SentFrame f = std::move(nic_.sent().front());
    nic_.sent().pop_front();
    const size_t n = std::min(*count, f.ip.size());
    std::memcpy(buf, f.ip.data(), n);
    *count = n;
    *time_usecs = f.at.micros();
    return 0;
}

int VirtualHost::usleep(useconds_t usec) {
    std::lock_guard lock(mu_);
    advance_to(now_ + Duration(usec));
    return 0;
}

int VirtualHost::gettimeofday(timeval* tv) {
    std::lock_guard lock(mu_);
    // One microsecond per reading: packetdrill spin-waits the last microseconds before an
    // event on this clock, which must therefore move.
    advance_to(now_ + Duration(1));
    tv->tv_sec = now_.micros() / 1'000'000;
    tv->tv_usec = now_.micros() % 1'000'000;
    return 0;
}

}  // namespace shunt::conformance
