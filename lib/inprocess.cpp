#include "lib/inprocess.hpp"

#include "base/event_fd.hpp"

#include "stack/iface/udp_socket.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace shunt::lib {

using tcp::TcpState;
namespace tev = tcp::tcp_event;

namespace {

constexpr uint32_t kDefaultInterest =
    SHUNT_EV_READABLE | SHUNT_EV_ACCEPT | SHUNT_EV_CLOSED | SHUNT_EV_ERROR;
// As epoll's EPOLLERR and EPOLLHUP: reported whatever the interest.
constexpr uint32_t kAlwaysReported = SHUNT_EV_CLOSED | SHUNT_EV_ERROR;
// A NIC that can only be polled (wait_fd -1) gives a waiting app no fd to sleep on: it naps
// this long between polls (a fraction of a millisecond of added latency, not a busy core).
constexpr Duration kPolledNicNap = Duration(50);

Endpoint endpoint_of(Addr a) noexcept {
    return Endpoint{wire::Ipv4Addr{a.ip}, a.port};
}
Addr addr_of(Endpoint e) noexcept {
    return Addr{e.addr.value, e.port};
}

// Copies from the front of a chain into out and drops what was copied.
size_t copy_out(PacketChain& chain, uint8_t* out, size_t len) noexcept {
    size_t done = 0;
    for (PacketBuf* b = chain.front(); b != nullptr && done < len; b = b->next()) {
        const size_t n = std::min<size_t>(b->length(), len - done);
        std::memcpy(out + done, b->data(), n);
        done += n;
    }
    chain_trim_front(chain, done);
    return done;
}

}  // namespace

int errno_of(tcp::TcpError e) noexcept {
    switch (e) {
        case tcp::TcpError::none:
            return 0;
        case tcp::TcpError::refused:
            return ECONNREFUSED;
        case tcp::TcpError::reset:
            return ECONNRESET;
        case tcp::TcpError::timed_out:
        case tcp::TcpError::connect_timeout:
        case tcp::TcpError::keepalive:
            return ETIMEDOUT;
        case tcp::TcpError::aborted:
            return ECONNABORTED;
    }
    return EIO;
}

InProcessRuntime::InProcessRuntime(std::unique_ptr<Nic> nic, const InProcessConfig& config)
    : config_(config),
      nic_(std::move(nic)),
      owned_stack_(std::make_unique<Stack>(*nic_, 0, config.iface, config.tcp)),
      stack_(owned_stack_.get()),
      defaults_(config.tcp.defaults),
      socks_(config.max_sockets),
      held_rx_(config.max_held),
      held_tx_(config.max_held) {}

InProcessRuntime::InProcessRuntime(Stack& stack, const InProcessConfig& config)
    : config_(config),
      stack_(&stack),
      defaults_(config.tcp.defaults),
      socks_(config.max_sockets),
      held_rx_(config.max_held),
      held_tx_(config.max_held) {}

Result<std::unique_ptr<InProcessRuntime>> InProcessRuntime::create(std::unique_ptr<Nic> nic,
                                                                   const InProcessConfig& config) {
    if (nic == nullptr) return make_error("no NIC");
    if (config.max_sockets == 0 || config.max_sockets > HandleTable<Sock>::kMaxSlots) {
        return make_error("max_sockets {} is outside 1..{}", config.max_sockets,
                          HandleTable<Sock>::kMaxSlots);
    }
    std::unique_ptr<InProcessRuntime> rt(new InProcessRuntime(std::move(nic), config));
    if (auto ok = rt->init_fds(); !ok) return ok.error();
    return rt;
}

Result<std::unique_ptr<InProcessRuntime>> InProcessRuntime::borrow(Stack& stack,
                                                                   const InProcessConfig& config) {
    if (config.max_sockets == 0 || config.max_sockets > HandleTable<Sock>::kMaxSlots) {
        return make_error("max_sockets {} is outside 1..{}", config.max_sockets,
                          HandleTable<Sock>::kMaxSlots);
    }
    return std::unique_ptr<InProcessRuntime>(new InProcessRuntime(stack, config));
}

Status InProcessRuntime::init_fds() {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    pending_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!epoll_.valid() || !pending_.valid() || !timer_.valid()) {
        return make_error("creating the event fd: {}", std::strerror(errno));
    }
    for (int fd : {nic_->wait_fd(0), pending_.get(), timer_.get()}) {
        if (fd < 0) continue;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) {
            return make_error("adding fd {} to the event fd: {}", fd, std::strerror(errno));
        }
    }
    refresh_event_fd(false);
    return {};
}

InProcessRuntime::~InProcessRuntime() {
    // Every socket goes; open connections are aborted and their RSTs put on the wire.
    socks_.for_each_from(0, [&](int handle, Sock&, size_t) {
        close(handle);
        return true;
    });
    held_rx_ = HandleTable<PacketChain>(0);
    held_tx_ = HandleTable<Packet>(0);
    if (owned_stack_ == nullptr) return;  // borrowed: the owner polls the RSTs out
    shutdown_stack();
    owned_stack_.reset();
    nic_->stop();
}

int64_t InProcessRuntime::send_space_of(int sock) noexcept {
    int err = 0;
    Sock* s = tcp_sock(sock, err);
    if (s == nullptr) return err;
    return static_cast<int64_t>(std::min<uint64_t>(s->tcp->send_space(), INT64_MAX));
}

void InProcessRuntime::abort_all() noexcept {
    socks_.for_each_from(0, [&](int handle, Sock& s, size_t) {
        if (s.kind == Kind::tcp) s.tcp->abort();
        close(handle);
        return true;
    });
    held_rx_ = HandleTable<PacketChain>(config_.max_held);
    held_tx_ = HandleTable<Packet>(config_.max_held);
}

std::vector<InProcessRuntime::SocketInfo> InProcessRuntime::sockets_info() {
    std::vector<SocketInfo> out;
    out.reserve(socks_.live());
    const uint32_t ip = stack_->iface().config().address.addr.value;
    socks_.for_each_from(0, [&](int handle, Sock& s, size_t) {
        SocketInfo i;
        i.handle = handle;
        switch (s.kind) {
            case Kind::tcp:
                i.kind = "tcp";
                i.state = tcp::to_string(s.tcp->state());
                i.local = addr_of(s.tcp->local());
                i.remote = addr_of(s.tcp->remote());
                i.recv_queued = s.tcp->readable_bytes() + s.rx_left.byte_length();
                i.send_queued = s.tcp->send_queued();
                break;
            case Kind::listener:
                i.kind = "listener";
                i.state = "listen";
                i.local = Addr{ip, s.listener->port()};
                i.pending = static_cast<uint32_t>(s.listener->pending());
                break;
            case Kind::udp:
                i.kind = "udp";
                i.state = "bound";
                i.local = Addr{ip, s.udp->port()};
                i.pending = static_cast<uint32_t>(s.udp->pending());
                break;
            case Kind::none:
                return true;
        }
        out.push_back(i);
        return true;
    });
    return out;
}

void InProcessRuntime::shutdown_stack() noexcept {
    // Bounded (a NIC that takes nothing must not keep the app from exiting): 1000 polls, 200 ms.
    const Instant start = Instant::now();
    const Duration limit = Duration(200'000);
    for (int i = 0; i < 1000; ++i) {
        const Instant now = Instant::now();
        if (now - start > limit || stack_->shutdown_step(now)) return;
        const Instant wake = std::min(stack_->next_deadline().value_or(now), start + limit);
        if (wake > now) {
            const int64_t us = (wake - now).count();
            const timespec t{static_cast<time_t>(us / 1'000'000),
                             static_cast<long>(us % 1'000'000) * 1000};
            ::nanosleep(&t, nullptr);
        }
    }
}

// ---- the loop ----

int InProcessRuntime::poll() noexcept {
    if (owned_stack_ == nullptr) return 0;
    return static_cast<int>(std::min<size_t>(stack_->poll(Instant::now()), INT32_MAX));
}

uint32_t InProcessRuntime::events(Sock& s) noexcept {
    uint32_t ev = 0;
    switch (s.kind) {
        case Kind::tcp: {
            const uint32_t t = s.tcp->events();
            if (!s.rx_left.empty() || (t & tev::readable) != 0) ev |= SHUNT_EV_READABLE;
            if ((t & tev::writable) != 0 && !s.wr_shut) ev |= SHUNT_EV_WRITABLE;
            if ((t & tev::closed) != 0) ev |= SHUNT_EV_CLOSED;
            if ((t & tev::error) != 0) ev |= SHUNT_EV_ERROR;
            break;
        }
        case Kind::listener:
            if (s.listener->pending() > 0) ev |= SHUNT_EV_ACCEPT;
            break;
        case Kind::udp:
            if (s.udp->pending() > 0) ev |= SHUNT_EV_READABLE;
            ev |= SHUNT_EV_WRITABLE;
            break;
        case Kind::none:
            break;
    }
    return ev;
}

int InProcessRuntime::events_of(int sock) noexcept {
    Sock* s = socks_.get(sock);
    return s == nullptr ? -EBADF : static_cast<int>(events(*s));
}

size_t InProcessRuntime::collect(std::span<Event> out) noexcept {
    size_t n = 0;
    socks_.for_each_from(scan_start_, [&](int handle, Sock& s, size_t index) {
        const uint32_t ev = events(s) & (s.interest | kAlwaysReported);
        if (ev == 0) return true;
        if (n == out.size()) {
            scan_start_ = index;  // the next wait starts with the one left out
            return false;
        }
        out[n++] = Event{handle, ev};
        return true;
    });
    return n;
}

void InProcessRuntime::refresh_event_fd(bool pending) noexcept {
    if (pending && !pending_set_) {
        const uint64_t one = 1;
        pending_set_ = ::write(pending_.get(), &one, sizeof one) == sizeof one;
    } else if (!pending && pending_set_) {
        event_fd_drain(pending_.get());
        pending_set_ = false;
    }
    // The timer says when the stack next has work without a frame arriving (a retransmission,
    // a delayed ACK); a NIC that cannot wake anyone makes it a short periodic nap instead.
    const Instant now = Instant::now();
    std::optional<Instant> at = stack_->next_deadline();
    if (nic_->wait_fd(0) < 0) at = std::min(at.value_or(now + kPolledNicNap), now + kPolledNicNap);
    itimerspec spec{};
    if (at) {
        const int64_t us = std::max<int64_t>(at->micros(), 1);  // 0 would disarm it
        spec.it_value =
            timespec{static_cast<time_t>(us / 1'000'000), static_cast<long>(us % 1'000'000) * 1000};
    }
    ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
    // A timer that already fired stays readable until read: clear it, it was just re-armed.
    uint64_t expirations = 0;
    (void)!::read(timer_.get(), &expirations, sizeof expirations);
}

void InProcessRuntime::sleep_until(Instant now, Instant wake) noexcept {
    const int fd = nic_->wait_fd(0);
    if (fd < 0) wake = std::min(wake, now + kPolledNicNap);
    const int64_t us = std::max<int64_t>(0, (wake - now).count());
    const timespec t{static_cast<time_t>(us / 1'000'000), static_cast<long>(us % 1'000'000) * 1000};
    if (fd < 0) {
        ::nanosleep(&t, nullptr);
        return;
    }
    pollfd p{fd, POLLIN, 0};
    ::ppoll(&p, 1, &t, nullptr);
}

int InProcessRuntime::wait(std::span<Event> out, int timeout_ms) noexcept {
    if (out.empty()) return -EINVAL;
    if (owned_stack_ == nullptr) return -EOPNOTSUPP;
    const Instant start = Instant::now();
    const std::optional<Instant> deadline =
        timeout_ms < 0 ? std::nullopt
                       : std::optional<Instant>(start + Duration(int64_t{timeout_ms} * 1000));
    for (;;) {
        Instant now = Instant::now();
        for (uint32_t i = 0; i < config_.polls_per_wait; ++i) {
            if (stack_->poll(now) == 0) break;
            now = Instant::now();
        }
        const size_t n = collect(out);
        if (n > 0 || (deadline && now >= *deadline)) {
            refresh_event_fd(n > 0);
            return static_cast<int>(n);
        }
        Instant wake = deadline.value_or(now + Duration(1'000'000));
        if (auto d = stack_->next_deadline(); d && *d < wake) wake = *d;
        sleep_until(now, wake);
    }
}

int InProcessRuntime::interest(int sock, uint32_t ev) noexcept {
    Sock* s = socks_.get(sock);
    if (s == nullptr) return -EBADF;
    s->interest = ev;
    return 0;
}

// ---- TCP ----

InProcessRuntime::Sock* InProcessRuntime::tcp_sock(int sock, int& err) noexcept {
    Sock* s = socks_.get(sock);
    if (s == nullptr) {
        err = -EBADF;
    } else if (s->kind != Kind::tcp) {
        err = s->kind == Kind::listener ? -ENOTCONN : -EOPNOTSUPP;
        s = nullptr;
    }
    return s;
}

int InProcessRuntime::add_tcp(tcp::TcpSocket* t, uint32_t interest) noexcept {
    Sock s;
    s.kind = Kind::tcp;
    s.tcp = t;
    s.interest = interest;
    return socks_.add(std::move(s));
}

int InProcessRuntime::listen(uint16_t port, int backlog) noexcept {
    if (port == 0 || backlog <= 0) return -EINVAL;
    if (socks_.live() == socks_.capacity()) return -EMFILE;
    tcp::TcpListener* l = stack_->listen(port, static_cast<size_t>(backlog), &defaults_);
    if (l == nullptr) return -EADDRINUSE;
    Sock s;
    s.kind = Kind::listener;
    s.listener = l;
    s.interest = kDefaultInterest;
    return socks_.add(std::move(s));
}

int InProcessRuntime::accept(int listener, Addr* peer) noexcept {
    Sock* l = socks_.get(listener);
    if (l == nullptr) return -EBADF;
    if (l->kind != Kind::listener) return -EINVAL;
    if (l->listener->pending() == 0) return -EAGAIN;
    // Checked before accept() takes the connection off the queue: none is lost to a full table.
    if (socks_.live() == socks_.capacity()) return -EMFILE;
    tcp::TcpSocket* t = l->listener->accept();
    if (t == nullptr) return -EAGAIN;
    if (peer != nullptr) *peer = addr_of(t->remote());
    return add_tcp(t, kDefaultInterest);
}

int InProcessRuntime::connect(Addr remote, int& sock) noexcept {
    sock = -1;
    if (remote.ip == 0 || remote.port == 0) return -EINVAL;
    if (socks_.live() == socks_.capacity()) return -EMFILE;
    tcp::TcpSocket* t = stack_->connect(endpoint_of(remote), Instant::now(), 0, &defaults_);
    if (t == nullptr) return -EADDRNOTAVAIL;  // no local port free, or the table is full
    sock = add_tcp(t, kDefaultInterest | SHUNT_EV_WRITABLE);
    return -EINPROGRESS;
}

ssize_t InProcessRuntime::send(int sock, const void* data, size_t len) noexcept {
    int err = 0;
    Sock* s = tcp_sock(sock, err);
    if (s == nullptr) return err;
    tcp::TcpSocket& t = *s->tcp;
    if (t.error() != tcp::TcpError::none) return -errno_of(t.error());
    if (t.state() == TcpState::syn_sent || t.state() == TcpState::syn_received) return -EAGAIN;
    if (s->wr_shut || (t.state() != TcpState::established && t.state() != TcpState::close_wait)) {
        return -EPIPE;
    }
    if (len == 0) return 0;
    const size_t n = t.copy_send({static_cast<const uint8_t*>(data), len});
    return n == 0 ? -EAGAIN : static_cast<ssize_t>(n);
}

ssize_t InProcessRuntime::recv(int sock, void* out, size_t len) noexcept {
    int err = 0;
    Sock* s = tcp_sock(sock, err);
    if (s == nullptr) {
        Sock* u = socks_.get(sock);
        if (u != nullptr && u->kind == Kind::udp) return recvfrom(sock, out, len, nullptr);
        return err;
    }
    if (len == 0) return 0;
    if (s->rx_left.empty()) s->rx_left = s->tcp->recv(len);
    if (!s->rx_left.empty()) {
        return static_cast<ssize_t>(copy_out(s->rx_left, static_cast<uint8_t*>(out), len));
    }
    const tcp::TcpSocket& t = *s->tcp;
    if (t.error() != tcp::TcpError::none) return -errno_of(t.error());
    if ((t.events() & tev::peer_closed) != 0) return 0;  // EOF
    return -EAGAIN;
}

int InProcessRuntime::recv_zc(int sock, std::span<IoVec> iov, int& token) noexcept {
    token = -1;
    if (iov.empty()) return -EINVAL;
    Sock* s = socks_.get(sock);
    if (s == nullptr) return -EBADF;
    if (held_rx_.live() == held_rx_.capacity()) return -ENOBUFS;
    PacketChain got;
    if (s->kind == Kind::udp) {
        UdpDatagram d;
        if (!s->udp->recv(d)) return -EAGAIN;
        got = std::move(d.payload);
    } else if (s->kind == Kind::tcp) {
        got = s->rx_left.empty() ? s->tcp->recv() : std::move(s->rx_left);
        if (got.empty()) {
            const tcp::TcpSocket& t = *s->tcp;
            if (t.error() != tcp::TcpError::none) return -errno_of(t.error());
            return (t.events() & tev::peer_closed) != 0 ? 0 : -EAGAIN;
        }
    } else {
        return -ENOTCONN;
    }
    // The views handed out; buffers past iov.size() stay for the next call (TCP), or are
    // dropped with the rest of the datagram (UDP, as recvfrom truncates).
    PacketChain mine;
    int n = 0;
    while (!got.empty() && n < static_cast<int>(iov.size())) {
        Packet p = got.pop_front();
        iov[static_cast<size_t>(n++)] = IoVec{p->data(), p->length()};
        mine.push_back(std::move(p));
    }
    if (s->kind == Kind::tcp) s->rx_left = std::move(got);
    token = held_rx_.add(std::move(mine));
    return n;
}

int InProcessRuntime::release(int token) noexcept {
    return held_rx_.remove(token) ? 0 : -EBADF;
}

int InProcessRuntime::buf_alloc(Buf& buf) noexcept {
    buf = Buf{-1, nullptr, 0};
    if (held_tx_.live() == held_tx_.capacity()) return -ENOBUFS;
    PacketBuf* b = stack_->tx_pool().alloc();
    if (b == nullptr) return -ENOBUFS;
    b->reset();  // empty, all headroom in front for the headers (kSendHeadroom <= kHeadroom)
    buf.data = b->data();
    buf.capacity = b->tailroom();
    buf.id = held_tx_.add(Packet(b));
    return 0;
}

int InProcessRuntime::buf_free(int buf) noexcept {
    return held_tx_.remove(buf) ? 0 : -EBADF;
}

Packet InProcessRuntime::take_buf(int buf, size_t len, int& err) noexcept {
    Packet* p = held_tx_.get(buf);
    if (p == nullptr) {
        err = -EBADF;
        return {};
    }
    if (len == 0 || len > (*p)->tailroom() + (*p)->length()) {
        err = -EINVAL;
        return {};
    }
    PacketBuf* b = p->get();
    b->trim_back(b->length());
    b->append(len);
    err = 0;
    return p->share();  // the table's reference goes when the caller commits (remove)
}

int InProcessRuntime::send_zc(int sock, int buf, size_t len) noexcept {
    int err = 0;
    Sock* s = tcp_sock(sock, err);
    if (s == nullptr) return err;
    tcp::TcpSocket& t = *s->tcp;
    if (t.error() != tcp::TcpError::none) return -errno_of(t.error());
    if (t.state() == TcpState::syn_sent || t.state() == TcpState::syn_received) return -EAGAIN;
    if (s->wr_shut) return -EPIPE;
    Packet p = take_buf(buf, len, err);
    if (!p) return err;
    switch (t.send(std::move(p))) {
        case tcp::TcpSendStatus::queued:
            held_tx_.remove(buf);
            return static_cast<int>(len);
        case tcp::TcpSendStatus::would_block:
            return -EAGAIN;
        case tcp::TcpSendStatus::not_open:
            return -EPIPE;
        case tcp::TcpSendStatus::bad_buffer:
            return -EINVAL;
    }
    return -EINVAL;
}

int InProcessRuntime::shutdown(int sock, int how) noexcept {
    if (how != SHUNT_SHUT_WR) return -EINVAL;
    int err = 0;
    Sock* s = tcp_sock(sock, err);
    if (s == nullptr) return err;
    const TcpState st = s->tcp->state();
    if (st == TcpState::syn_sent || st == TcpState::closed) return -ENOTCONN;
    s->wr_shut = true;
    s->tcp->shutdown_write();
    return 0;
}

int InProcessRuntime::close(int sock) noexcept {
    Sock* s = socks_.get(sock);
    if (s == nullptr) return -EBADF;
    switch (s->kind) {
        case Kind::tcp:
            // Unread data the library holds counts as unread (RFC 9293 §3.10.4, RFC 2525
            // §2.17): the peer learns with an RST that it was not all read.
            if (!s->rx_left.empty()) s->tcp->abort();
            s->rx_left.clear();
            s->tcp->close();
            break;
        case Kind::listener:
            stack_->tcp().close_listener(s->listener);
            break;
        case Kind::udp:
            stack_->iface().udp_close(s->udp);
            break;
        case Kind::none:
            break;
    }
    socks_.remove(sock);
    return 0;
}

int InProcessRuntime::setopt(int sock, int opt, uint32_t value) noexcept {
    // Handle 0 is the defaults of the sockets listen/connect make from now on (accepted ones
    // take their listener's), as setsockopt before listen/connect would set them.
    if (sock == 0) {
        switch (opt) {
            case SHUNT_OPT_NODELAY:
                defaults_.nodelay = value != 0;
                return 0;
            case SHUNT_OPT_KEEPALIVE:
                defaults_.keepalive = value != 0;
                return 0;
            case SHUNT_OPT_SNDBUF:
                if (value == 0) return -EINVAL;
                defaults_.send_buffer = value;
                return 0;
            case SHUNT_OPT_RCVBUF:
                if (value == 0) return -EINVAL;
                defaults_.recv_buffer = value;
                return 0;
        }
        return -ENOPROTOOPT;
    }
    int err = 0;
    Sock* s = tcp_sock(sock, err);
    if (s == nullptr) return err;
    switch (opt) {
        case SHUNT_OPT_NODELAY:
            s->tcp->set_nodelay(value != 0);
            return 0;
        case SHUNT_OPT_KEEPALIVE:
            s->tcp->set_keepalive(value != 0);
            return 0;
        case SHUNT_OPT_SNDBUF:
            if (value == 0) return -EINVAL;
            s->tcp->set_send_buffer(value);
            return 0;
        case SHUNT_OPT_RCVBUF:
            return -EINVAL;  // the window's size is fixed when the socket is made: use handle 0
    }
    return -ENOPROTOOPT;
}

int InProcessRuntime::set_congestion(int sock, const char* name) noexcept {
    if (name == nullptr) return -EINVAL;
    tcp::CongestionAlgorithm a;
    if (std::strcmp(name, "cubic") == 0) {
        a = tcp::CongestionAlgorithm::cubic;
    } else if (std::strcmp(name, "newreno") == 0 || std::strcmp(name, "reno") == 0) {
        a = tcp::CongestionAlgorithm::newreno;
    } else {
        return -ENOENT;  // as Linux's TCP_CONGESTION for an unknown name
    }
    if (sock == 0) {
        defaults_.congestion = a;
        return 0;
    }
    int err = 0;
    Sock* s = tcp_sock(sock, err);
    if (s == nullptr) return err;
    return s->tcp->set_congestion(a) ? 0 : -EISCONN;
}

int InProcessRuntime::socket_error(int sock) noexcept {
    int err = 0;
    Sock* s = tcp_sock(sock, err);
    if (s == nullptr) {
        Sock* any = socks_.get(sock);
        return any == nullptr ? -EBADF : 0;
    }
    return errno_of(s->tcp->error());
}

int InProcessRuntime::local_addr(int sock, Addr& addr) noexcept {
    Sock* s = socks_.get(sock);
    if (s == nullptr) return -EBADF;
    const uint32_t ip = stack_->iface().config().address.addr.value;
    switch (s->kind) {
        case Kind::tcp:
            addr = addr_of(s->tcp->local());
            return 0;
        case Kind::listener:
            addr = Addr{ip, s->listener->port()};
            return 0;
        case Kind::udp:
            addr = Addr{ip, s->udp->port()};
            return 0;
        case Kind::none:
            break;
    }
    return -EBADF;
}

int InProcessRuntime::peer_addr(int sock, Addr& addr) noexcept {
    int err = 0;
    Sock* s = tcp_sock(sock, err);
    if (s == nullptr) return err == -EOPNOTSUPP ? -ENOTCONN : err;
    addr = addr_of(s->tcp->remote());
    return 0;
}

// ---- UDP ----

int InProcessRuntime::udp_bind(uint16_t port) noexcept {
    if (port == 0) return -EINVAL;
    if (socks_.live() == socks_.capacity()) return -EMFILE;
    UdpSocket* u = stack_->udp_bind(port);
    if (u == nullptr) return -EADDRINUSE;
    Sock s;
    s.kind = Kind::udp;
    s.udp = u;
    s.interest = kDefaultInterest;
    return socks_.add(std::move(s));
}

namespace {
int errno_of(SendResult r) noexcept {
    switch (r) {
        case SendResult::sent:
            return 0;
        case SendResult::no_route:
            return EHOSTUNREACH;
        case SendResult::no_buffer:
            return ENOBUFS;
        case SendResult::too_big:
            return EMSGSIZE;
        case SendResult::bad_payload:
            return EINVAL;
    }
    return EIO;
}
}  // namespace

ssize_t InProcessRuntime::sendto(int sock, const void* data, size_t len, Addr to) noexcept {
    Sock* s = socks_.get(sock);
    if (s == nullptr) return -EBADF;
    if (s->kind != Kind::udp) return -EOPNOTSUPP;
    if (to.ip == 0 || to.port == 0) return -EDESTADDRREQ;
    const SendResult r =
        s->udp->copy_send_to(endpoint_of(to), {static_cast<const uint8_t*>(data), len});
    return r == SendResult::sent ? static_cast<ssize_t>(len) : -errno_of(r);
}

ssize_t InProcessRuntime::recvfrom(int sock, void* out, size_t len, Addr* from) noexcept {
    Sock* s = socks_.get(sock);
    if (s == nullptr) return -EBADF;
    if (s->kind != Kind::udp) return -EOPNOTSUPP;
    UdpDatagram d;
    if (!s->udp->recv(d)) return -EAGAIN;
    if (from != nullptr) *from = addr_of(d.from);
    // As recvfrom(2) on a datagram socket: what does not fit is discarded.
    return static_cast<ssize_t>(copy_out(d.payload, static_cast<uint8_t*>(out), len));
}

int InProcessRuntime::sendto_zc(int sock, int buf, size_t len, Addr to) noexcept {
    Sock* s = socks_.get(sock);
    if (s == nullptr) return -EBADF;
    if (s->kind != Kind::udp) return -EOPNOTSUPP;
    if (to.ip == 0 || to.port == 0) return -EDESTADDRREQ;
    int err = 0;
    Packet p = take_buf(buf, len, err);
    if (!p) return err;
    held_tx_.remove(buf);  // send_to consumes the buffer whatever the result
    const SendResult r = s->udp->send_to(endpoint_of(to), PacketChain(std::move(p)));
    return r == SendResult::sent ? static_cast<int>(len) : -errno_of(r);
}

// ---- the in-process factory of the public API ----

}  // namespace shunt::lib
