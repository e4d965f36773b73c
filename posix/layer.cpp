#include "posix/layer.hpp"

#include "posix/real_calls.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/auxv.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace shunt::posix {

std::atomic<Layer*> g_current{nullptr};

namespace {

std::atomic<int> g_state{0};  // 0: not tried, 1: opening, 2: decided
thread_local bool t_opening = false;
int g_log_fd = -1;

constexpr uint32_t kAlways = SHUNT_EV_CLOSED | SHUNT_EV_ERROR;
constexpr size_t kMaxPull = 4u << 20;  // what the layer buffers for one socket at most

int64_t now_us() noexcept {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return int64_t{t.tv_sec} * 1'000'000 + t.tv_nsec / 1000;
}

void log_line(const char* fmt, ...) noexcept __attribute__((format(printf, 1, 2)));
void log_line(const char* fmt, ...) noexcept {
    if (g_log_fd < 0) return;
    char buf[512];
    int n = std::snprintf(buf, sizeof buf, "shunt-run[%d]: ", static_cast<int>(::getpid()));
    va_list ap;
    va_start(ap, fmt);
    n += std::vsnprintf(buf + n, sizeof buf - static_cast<size_t>(n), fmt, ap);
    va_end(ap);
    n = std::min<int>(n, static_cast<int>(sizeof buf) - 2);
    buf[n++] = '\n';
    (void)!real().write(g_log_fd, buf, static_cast<size_t>(n));
}

// A dotted quad with an optional /LEN: host-order address and mask.
bool parse_cidr(const char* text, uint32_t& ip, uint32_t& mask) noexcept {
    std::string s(text);
    int len = 32;
    if (auto slash = s.find('/'); slash != std::string::npos) {
        len = std::atoi(s.c_str() + slash + 1);
        s.resize(slash);
        if (len < 1 || len > 32) return false;
    }
    if (shunt::parse_ipv4(s.c_str(), ip) < 0) return false;
    mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
    return true;
}

bool to_addr(const sockaddr* sa, socklen_t len, Addr& out) noexcept {
    if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sockaddr_in)) ||
        sa->sa_family != AF_INET) {
        return false;
    }
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    out.ip = ntohl(in.sin_addr.s_addr);
    out.port = ntohs(in.sin_port);
    return true;
}

void from_addr(Addr a, sockaddr* sa, socklen_t* len) noexcept {
    if (sa == nullptr || len == nullptr) return;
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(a.ip);
    in.sin_port = htons(a.port);
    std::memcpy(sa, &in, std::min<size_t>(*len, sizeof in));
    *len = sizeof in;
}

size_t iov_total(const iovec* iov, int n) noexcept {
    size_t t = 0;
    for (int i = 0; i < n; ++i) t += iov[i].iov_len;
    return t;
}

// Copies from a flat buffer into an iovec array (scatter); returns bytes copied.
size_t scatter(const char* p, size_t n, const iovec* iov, int iovcnt) noexcept {
    size_t done = 0;
    for (int i = 0; i < iovcnt && done < n; ++i) {
        const size_t c = std::min(n - done, iov[i].iov_len);
        std::memcpy(iov[i].iov_base, p + done, c);
        done += c;
    }
    return done;
}

void drain(int efd) noexcept {
    uint64_t v = 0;
    (void)!real().read(efd, &v, sizeof v);
}

void signal_fd(int efd) noexcept {
    const uint64_t one = 1;
    (void)!real().write(efd, &one, sizeof one);
}

int int_opt(const void* val, socklen_t len) noexcept {
    int v = 0;
    if (val != nullptr && len >= static_cast<socklen_t>(sizeof v)) std::memcpy(&v, val, sizeof v);
    return v;
}

int timeo_ms(const void* val, socklen_t len) noexcept {
    timeval tv{};
    if (val == nullptr || len < static_cast<socklen_t>(sizeof tv)) return -1;
    std::memcpy(&tv, val, sizeof tv);
    if (tv.tv_sec == 0 && tv.tv_usec == 0) return -1;  // 0: no timeout
    return static_cast<int>(tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

// Holds the thread's asynchronous signals while a call runs its loop, and gives the mask to
// wait with (the caller's): a signal that arrives while the layer works stays pending and
// interrupts the next wait at once (EINTR), as it would have interrupted the one kernel call
// the program made; without it a signal between two of the layer's waits would be missed.
class SignalHold {
  public:
    explicit SignalHold(const sigset_t* caller_mask) noexcept {
        sigset_t all;
        sigfillset(&all);
        for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) sigdelset(&all, sig);
        ::pthread_sigmask(SIG_SETMASK, &all, &old_);
        wait_mask_ = caller_mask != nullptr ? *caller_mask : old_;
    }
    ~SignalHold() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
    SignalHold(const SignalHold&) = delete;
    SignalHold& operator=(const SignalHold&) = delete;
    const sigset_t* wait_mask() const noexcept { return &wait_mask_; }

  private:
    sigset_t old_{};
    sigset_t wait_mask_{};
};

}  // namespace

// ---- setup ----

Layer* Layer::get() noexcept {
    if (int st = g_state.load(std::memory_order_acquire); st == 2) {
        return g_current.load(std::memory_order_acquire);
    }
    if (t_opening) return nullptr;  // the runtime's own sockets while it opens: the kernel's
    int expected = 0;
    if (!g_state.compare_exchange_strong(expected, 1)) {
        while (g_state.load(std::memory_order_acquire) != 2) std::this_thread::yield();
        return g_current.load(std::memory_order_acquire);
    }
    t_opening = true;
    Layer* layer = nullptr;
    if (const char* log = std::getenv("SHUNT_RUN_LOG"); log != nullptr && *log != '\0') {
        g_log_fd = ::open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    }
    const char* nic = std::getenv("SHUNT_NIC");
    const char* ip = std::getenv("SHUNT_IP");
    uint32_t addr = 0, mask = 0, gw = 0;
    if (::getauxval(AT_SECURE) != 0) {
        // The loader drops LD_PRELOAD paths for setuid programs anyway; say why if we got here.
        std::fprintf(stderr,
                     "shunt-run: refusing to serve a setuid/setgid program; its sockets "
                     "stay on the kernel\n");
        log_line("layer off: setuid/setgid program");
    } else if (nic == nullptr || ip == nullptr) {
        log_line("layer off: SHUNT_NIC or SHUNT_IP is not set");
    } else if (!parse_cidr(ip, addr, mask)) {
        std::fprintf(stderr,
                     "shunt-run: SHUNT_IP '%s' is not A.B.C.D/LEN; sockets stay on the "
                     "kernel\n",
                     ip);
        log_line("layer off: bad SHUNT_IP '%s'", ip);
    } else {
        RuntimeConfig cfg;
        cfg.nic = nic;
        cfg.ip = ip;
        if (const char* g = std::getenv("SHUNT_GW"); g != nullptr && *g != '\0') {
            cfg.gateway = g;
            (void)shunt::parse_ipv4(g, gw);
        }
        if (const char* m = std::getenv("SHUNT_MAC"); m != nullptr) cfg.mac = m;
        if (const char* m = std::getenv("SHUNT_MTU"); m != nullptr) {
            cfg.mtu = static_cast<uint16_t>(std::atoi(m));
        }
        cfg.allow_noiommu = std::getenv("SHUNT_ALLOW_NOIOMMU") != nullptr;
        cfg.interrupts = std::getenv("SHUNT_INTERRUPTS") != nullptr;
        if (const char* p = std::getenv("SHUNT_POOL_BUFFERS"); p != nullptr) {
            cfg.pool_buffers = static_cast<uint32_t>(std::atoi(p));
        }
        std::string error;
        std::unique_ptr<Runtime> rt = Runtime::open(cfg, error);
        if (!rt) {
            std::fprintf(stderr, "shunt-run: %s; sockets stay on the kernel\n", error.c_str());
            log_line("layer off: %s", error.c_str());
        } else {
            // Leaked on purpose: a forked child must never run its destructor (that would reset
            // the parent's connections); the parent's exit handler shuts it down.
            layer = new Layer(std::move(rt), addr, mask, gw);
            log_line("layer on: %s %s", nic, ip);
        }
    }
    g_current.store(layer, std::memory_order_release);
    g_state.store(2, std::memory_order_release);
    t_opening = false;
    if (layer != nullptr) {
        std::atexit(&Layer::at_exit);
        ::pthread_atfork(nullptr, nullptr, &Layer::after_fork_child);
        layer->thread_ = std::thread([layer] { layer->stack_loop(); });
    }
    return layer;
}

Layer::Layer(std::unique_ptr<Runtime> rt, uint32_t ip, uint32_t mask, uint32_t gateway)
    : rt_(std::move(rt)),
      ip_(ip),
      mask_(mask),
      gateway_(gateway),
      table_([] {
          rlimit r{};
          ::getrlimit(RLIMIT_NOFILE, &r);
          rlim_t n = r.rlim_max == RLIM_INFINITY ? (1u << 20) : r.rlim_max;
          return static_cast<size_t>(std::clamp<rlim_t>(n, 1024, 1u << 20));
      }()),
      epolls_(table_.size()),
      events_(1024) {
    if (const char* s = std::getenv("SHUNT_SPIN_US"); s != nullptr) spin_us_ = std::atoi(s);
    kick_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    next_port_ = static_cast<uint16_t>(32768 + (::getpid() * 7919) % 28000);
}

void Layer::log_fallback(int fd, const char* what, const char* why) noexcept {
    log_line("fd %d: %s: kernel fallback: %s", fd, what, why);
}

void Layer::after_fork_child() noexcept {
    // The child shares the parent's NIC but not its stack thread or connections: its
    // inherited shunt sockets fail with EBADF (docs/posix.md), new sockets go to the kernel.
    Layer* l = g_current.load();
    if (l == nullptr) return;
    l->forked_child_ = true;
    new (&l->mu_) std::mutex();  // a lock held by another parent thread is not ours to wait on
    log_line("forked child: inherited shunt sockets fail with EBADF, new sockets use the kernel");
}

void Layer::at_exit() noexcept {
    Layer* l = g_current.load();
    if (l == nullptr || l->forked_child_) return;
    l->shutdown_all();
}

void Layer::shutdown_all() noexcept {
    stop_.store(true);
    signal_fd(kick_fd_);
    if (thread_.joinable()) thread_.join();
    Lock lk(mu_);
    // Sockets still open at exit: their FINs go as close(2) at exit would send them; then the
    // stack runs (bounded, 2 s) until every closed connection finished its handshake.
    std::vector<int> open;
    for (auto& [h, s] : by_handle_) open.push_back(h);
    for (int h : open) {
        Socket* s = by_handle_[h];
        if (s->tcp && s->state == SockState::connected && s->rx.empty()) {
            rt_->shutdown(h, SHUNT_SHUT_WR);
            orphans_[h] = now_us();
        } else {
            rt_->close(h);
        }
        by_handle_.erase(h);
    }
    const int64_t start = now_us();
    while (!orphans_.empty() && now_us() - start < 2'000'000) {
        rt_->wait(events_, 10);
        reap_orphans();
        // Events for the orphans' handles: CLOSED means done.
        for (;;) {
            const int n = rt_->wait(events_, 0);
            if (n <= 0) break;
            for (int i = 0; i < n; ++i) {
                auto it = orphans_.find(events_[static_cast<size_t>(i)].sock);
                if (it != orphans_.end()) {
                    rt_->close(it->first);
                    orphans_.erase(it);
                }
            }
        }
    }
    rt_.reset();  // what is left is reset, and the NIC released
}

// ---- the stack thread and the readiness machinery ----

void Layer::stack_loop() noexcept {
    // The program's signals are for the program's threads: delivered here, a handler would run
    // on the stack thread and the program's blocked call would not see EINTR.
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
    const int efd = rt_->event_fd();
    pollfd p[2] = {{efd, POLLIN, 0}, {kick_fd_, POLLIN, 0}};
    while (!stop_.load(std::memory_order_relaxed)) {
        {
            Lock lk(mu_);
            if (forked_child_) return;
            // Twice at least: the second wait finds nothing once the first one's events were
            // disarmed, which clears the runtime's pending flag before we sleep on it.
            for (int i = 0; i < 4; ++i) {
                const uint64_t before = epoch_;
                sync();
                if (epoch_ == before + 1 && events_.empty()) break;
            }
            reap_orphans();
        }
        // 100 ms at most: a lost wakeup costs latency, never a hang.
        (void)real().poll(p, 2, 100);
    }
}

uint64_t Layer::sync() noexcept {
    ++epoch_;
    size_t total = 0;
    for (int round = 0; round < 64; ++round) {
        events_.resize(1024);
        const int n = rt_->wait(events_, 0);
        if (n <= 0) break;
        total += static_cast<size_t>(n);
        for (int i = 0; i < n; ++i) dispatch(events_[static_cast<size_t>(i)]);
        if (static_cast<size_t>(n) < events_.size()) break;
    }
    if (total == 0) events_.clear();
    return epoch_;
}

void Layer::dispatch(const Event& e) noexcept {
    if (auto o = orphans_.find(e.sock); o != orphans_.end()) {
        if ((e.events & kAlways) != 0) {
            rt_->close(e.sock);
            orphans_.erase(o);
        }
        return;
    }
    auto it = by_handle_.find(e.sock);
    if (it == by_handle_.end()) return;
    Socket& s = *it->second;
    s.seen = e.events;
    s.seen_epoch = epoch_;
    if (s.state == SockState::connecting && (e.events & SHUNT_EV_WRITABLE) != 0) {
        s.state = SockState::connected;
    }
    bool wake = (e.events & s.armed) != 0;
    if (s.tcp && (e.events & kAlways) != 0 && s.state != SockState::listening) {
        end_connection(s);
        wake = true;
    } else if (wake) {
        s.armed &= ~e.events;
        set_interest(s);
    }
    if (wake && !s.fds.empty()) signal_fd(s.fds[0]);
}

// The connection is over (CLOSED or ERROR): what is left to read moves into the layer, the
// error becomes SO_ERROR, and the handle goes back; the socket keeps serving EOF from there.
void Layer::end_connection(Socket& s) noexcept {
    if (s.handle < 0) return;
    pull(s, kMaxPull);
    const int err = rt_->socket_error(s.handle);
    if (err > 0) s.error = err;
    if (err < 0 && err != -EBADF) s.error = -err;
    rt_->close(s.handle);
    by_handle_.erase(s.handle);
    s.handle = -1;
    s.state = SockState::closed;
}

void Layer::set_interest(Socket& s) noexcept {
    if (s.handle >= 0) rt_->interest(s.handle, s.armed);
}

void Layer::reap_orphans() noexcept {
    const int64_t now = now_us();
    for (auto it = orphans_.begin(); it != orphans_.end();) {
        // A peer that never closes its half keeps FIN-WAIT-2 forever; 60 s is Linux's
        // tcp_fin_timeout.
        if (now - it->second > 60'000'000) {
            rt_->close(it->first);
            it = orphans_.erase(it);
        } else {
            ++it;
        }
    }
}

int Layer::block(Lock& lk, Socket& s, uint32_t want, int timeout_ms) noexcept {
    const SignalHold hold(nullptr);
    const int64_t start = now_us();
    const int64_t deadline = timeout_ms < 0 ? INT64_MAX : start + int64_t{timeout_ms} * 1000;
    for (;;) {
        if (s.handle < 0) return 0;  // the connection ended: the caller sees it now
        s.armed |= want;
        set_interest(s);
        const uint64_t epoch = sync();
        if (s.handle < 0 || (s.seen_epoch == epoch && (s.seen & (want | kAlways)) != 0)) return 0;
        const int64_t now = now_us();
        if (now >= deadline) return -EAGAIN;
        if (now - start < spin_us_) {
            lk.unlock();
            std::this_thread::yield();
            lk.lock();
            continue;
        }
        const int efd = s.fds.empty() ? -1 : s.fds[0];
        if (efd < 0) return -EBADF;
        lk.unlock();
        // The runtime's event fd too: a frame wakes this thread directly, which then runs the
        // stack itself instead of waiting for the stack thread to pass the event on.
        pollfd p[2] = {{efd, POLLIN, 0}, {rt_->event_fd(), POLLIN, 0}};
        const int64_t left_ms =
            deadline == INT64_MAX ? 100 : std::min<int64_t>(100, (deadline - now + 999) / 1000);
        const timespec wait_t{static_cast<time_t>(left_ms / 1000),
                              static_cast<long>(left_ms % 1000) * 1'000'000};
        const int r = real().ppoll(p, 2, &wait_t, hold.wait_mask());
        const int saved = errno;
        if (r > 0 && p[0].revents != 0) drain(efd);
        lk.lock();
        if (r < 0 && saved == EINTR) return -EINTR;
        // the socket may have been closed by another thread meanwhile
        if (std::find(s.fds.begin(), s.fds.end(), efd) == s.fds.end()) return -EBADF;
    }
}

uint32_t Layer::readiness(Socket& s, uint32_t asked, uint64_t epoch) noexcept {
    const uint32_t ev = s.seen_epoch == epoch ? s.seen : 0;
    SockState st = s.state;
    if (!s.tcp) {
        // UDP: always writable; readable when a datagram waits.
        uint32_t bits = POLLOUT | POLLWRNORM;
        if ((ev & SHUNT_EV_READABLE) != 0 || !s.rx.empty()) bits |= POLLIN | POLLRDNORM;
        if (s.error != 0) bits |= POLLERR;
        return reported(bits, asked);
    }
    return reported(poll_bits(st, ev, !s.rx.empty() || s.rd_shut, s.error != 0, s.wr_shut), asked);
}

// ---- sockets ----

int Layer::socket(int domain, int type, int protocol) noexcept {
    const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    const bool tcp = base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP);
    const bool udp = base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP);
    if (forked_child_ || domain != AF_INET || !(tcp || udp)) {
        const int fd = real().socket(domain, type, protocol);
        if (fd >= 0) {
            const char* why = forked_child_          ? "a forked child (docs/posix.md: fork)"
                              : domain == AF_UNIX    ? "AF_UNIX"
                              : domain == AF_INET6   ? "AF_INET6 (shunt is IPv4 only)"
                              : domain == AF_NETLINK ? "netlink"
                              : domain != AF_INET    ? "not AF_INET"
                              : base == SOCK_RAW     ? "raw socket"
                                                     : "not TCP or UDP";
            log_fallback(fd, "socket", why);
        }
        return fd < 0 ? -errno : fd;
    }
    const int fd = ::eventfd(0, EFD_NONBLOCK | ((type & SOCK_CLOEXEC) != 0 ? EFD_CLOEXEC : 0));
    if (fd < 0) return -errno;
    auto* s = new Socket();
    s->tcp = tcp;
    s->nonblock = (type & SOCK_NONBLOCK) != 0;
    s->fds.push_back(fd);
    Lock lk(mu_);
    if (!table_.set(fd, s)) {
        delete s;
        lk.unlock();
        real().close(fd);
        const int k = real().socket(domain, type, protocol);
        if (k >= 0) log_fallback(k, "socket", "fd number beyond the layer's table");
        return k < 0 ? -errno : k;
    }
    return fd;
}

bool Layer::routable(uint32_t ip) const noexcept {
    if ((ip >> 24) == 127 || ip == ip_) return false;  // loopback and ourselves: the kernel's
    if ((ip & mask_) == (ip_ & mask_)) return true;
    return gateway_ != 0;
}

int Layer::to_kernel(int fd, Socket& s, const char* why) noexcept {
    if (s.state != SockState::fresh) return -EINVAL;
    const int k = real().socket(AF_INET, s.tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (k < 0) return -errno;
    for (auto& [key, val] : s.opts) {
        real().setsockopt(k, key.first, key.second, val.data(), static_cast<socklen_t>(val.size()));
    }
    const int fdflags = real().fcntl(fd, F_GETFD);
    if (s.nonblock) real().fcntl(k, F_SETFL, O_NONBLOCK);
    for (int f : s.fds) {
        const int flags = real().fcntl(f, F_GETFD);
        real().dup3(k, f, (flags & FD_CLOEXEC) != 0 ? O_CLOEXEC : 0);
        table_.take(f);
        log_fallback(f, "socket", why);
    }
    (void)fdflags;
    real().close(k);
    delete &s;
    return 0;
}

int Layer::bind(int fd, const sockaddr* sa, socklen_t len) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return real().bind(fd, sa, len) < 0 ? -errno : 0;
    Addr a{};
    if (!to_addr(sa, len, a))
        return sa != nullptr && sa->sa_family != AF_INET ? -EAFNOSUPPORT : -EINVAL;
    if (s->bound || s->state != SockState::fresh) return -EINVAL;
    if (a.ip != 0 && a.ip != ip_) {
        char why[96];
        std::snprintf(why, sizeof why, "bind to %u.%u.%u.%u, not shunt's address", a.ip >> 24,
                      (a.ip >> 16) & 255, (a.ip >> 8) & 255, a.ip & 255);
        if (int r = to_kernel(fd, *s, why); r < 0) return r;
        lk.unlock();
        return real().bind(fd, sa, len) < 0 ? -errno : 0;
    }
    s->bound_ip = a.ip;
    s->bound_port = a.port;
    s->bound = true;
    if (!s->tcp) {
        int h = -EADDRINUSE;
        if (a.port != 0) {
            h = rt_->udp_bind(a.port);
        } else {
            for (int i = 0; i < 1000 && h < 0; ++i) {
                const uint16_t p = next_port_;
                next_port_ = static_cast<uint16_t>(next_port_ >= 60999 ? 32768 : next_port_ + 1);
                h = rt_->udp_bind(p);
                if (h >= 0) s->bound_port = p;
            }
        }
        if (h < 0) {
            s->bound = false;
            return h;
        }
        s->handle = h;
        s->state = SockState::connected;  // a UDP socket is usable once bound
        by_handle_[h] = s;
        set_interest(*s);
        log_line("fd %d: bound to UDP port %u", fd, s->bound_port);
    }
    return 0;
}

int Layer::ensure_udp_bound(Socket& s) noexcept {
    if (s.handle >= 0) return 0;
    for (int i = 0; i < 1000; ++i) {
        const uint16_t p = next_port_;
        next_port_ = static_cast<uint16_t>(next_port_ >= 60999 ? 32768 : next_port_ + 1);
        const int h = rt_->udp_bind(p);
        if (h >= 0) {
            s.handle = h;
            s.bound = true;
            s.bound_port = p;
            s.state = SockState::connected;
            by_handle_[h] = &s;
            set_interest(s);
            return 0;
        }
    }
    return -EADDRNOTAVAIL;
}

void Layer::apply_opts(Socket& s) noexcept {
    if (s.handle < 0 || !s.tcp) return;
    for (auto& [key, val] : s.opts) {
        const int v = int_opt(val.data(), static_cast<socklen_t>(val.size()));
        if (key == std::pair<int, int>{IPPROTO_TCP, TCP_NODELAY})
            rt_->setopt(s.handle, SHUNT_OPT_NODELAY, v != 0);
        if (key == std::pair<int, int>{SOL_SOCKET, SO_KEEPALIVE})
            rt_->setopt(s.handle, SHUNT_OPT_KEEPALIVE, v != 0);
        if (key == std::pair<int, int>{SOL_SOCKET, SO_SNDBUF} && v > 0) {
            rt_->setopt(s.handle, SHUNT_OPT_SNDBUF, static_cast<uint32_t>(v) * 2);
        }
    }
}

int Layer::listen(int fd, int backlog) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return real().listen(fd, backlog) < 0 ? -errno : 0;
    if (!s->tcp) return -EOPNOTSUPP;
    if (s->state == SockState::listening) return 0;
    if (s->state != SockState::fresh) return -EINVAL;
    backlog = std::clamp(backlog, 1, 4096);
    int h = -EADDRINUSE;
    if (s->bound_port != 0) {
        h = rt_->listen(s->bound_port, backlog);
    } else {
        for (int i = 0; i < 1000 && h < 0; ++i) {
            const uint16_t p = next_port_;
            next_port_ = static_cast<uint16_t>(next_port_ >= 60999 ? 32768 : next_port_ + 1);
            h = rt_->listen(p, backlog);
            if (h >= 0) s->bound_port = p;
        }
    }
    if (h < 0) return h;
    s->handle = h;
    s->bound = true;
    s->state = SockState::listening;
    s->backlog = backlog;
    by_handle_[h] = s;
    set_interest(*s);
    log_line("fd %d: listening on TCP port %u", fd, s->bound_port);
    return 0;
}

int Layer::accept(int fd, sockaddr* addr, socklen_t* len, int flags) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return -EBADF;  // the interposer checked; a concurrent close
    if (!s->tcp) return -EOPNOTSUPP;
    if (s->state != SockState::listening) return -EINVAL;
    for (;;) {
        Addr peer{};
        const int h = rt_->accept(s->handle, &peer);
        ++s->op_gen;
        if (h >= 0) {
            const int nfd =
                ::eventfd(0, EFD_NONBLOCK | ((flags & SOCK_CLOEXEC) != 0 ? EFD_CLOEXEC : 0));
            if (nfd < 0) {
                rt_->close(h);
                return -errno;
            }
            auto* c = new Socket();
            c->tcp = true;
            c->state = SockState::connected;
            c->handle = h;
            c->peer = peer;
            c->has_peer = true;
            c->nonblock = (flags & SOCK_NONBLOCK) != 0;
            c->fds.push_back(nfd);
            c->opts = s->opts;  // accepted connections inherit the listener's options
            if (!table_.set(nfd, c)) {
                delete c;
                rt_->close(h);
                real().close(nfd);
                return -EMFILE;
            }
            by_handle_[h] = c;
            set_interest(*c);
            apply_opts(*c);
            from_addr(peer, addr, len);
            return nfd;
        }
        if (h != -EAGAIN || s->nonblock) return h;
        if (int r = block(lk, *s, SHUNT_EV_ACCEPT, s->rcvtimeo_ms); r < 0) return r;
        s = table_.get(fd);
        if (s == nullptr || s->state != SockState::listening) return -EBADF;
    }
}

int Layer::connect(int fd, const sockaddr* sa, socklen_t len) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return real().connect(fd, sa, len) < 0 ? -errno : 0;
    if (!s->tcp) {
        if (sa != nullptr && sa->sa_family == AF_UNSPEC) {
            s->has_peer = false;
            return 0;
        }
        Addr a{};
        if (!to_addr(sa, len, a)) return -EAFNOSUPPORT;
        if (s->handle < 0 && !routable(a.ip)) {
            if (int r = to_kernel(fd, *s, "UDP peer not reachable through shunt's interface");
                r < 0)
                return r;
            lk.unlock();
            return real().connect(fd, sa, len) < 0 ? -errno : 0;
        }
        if (int r = ensure_udp_bound(*s); r < 0) return r;
        s->peer = a;
        s->has_peer = true;
        return 0;
    }
    Addr a{};
    if (!to_addr(sa, len, a))
        return sa != nullptr && sa->sa_family != AF_INET ? -EAFNOSUPPORT : -EINVAL;
    switch (s->state) {
        case SockState::connecting:
            return -EALREADY;
        case SockState::connected:
            return -EISCONN;
        case SockState::listening:
            return -EISCONN;
        case SockState::closed: {
            const int e = s->error;
            s->error = 0;
            return e != 0 ? -e : -EISCONN;
        }
        case SockState::fresh:
            break;
    }
    if (!routable(a.ip)) {
        char why[96];
        std::snprintf(why, sizeof why, "%u.%u.%u.%u is not reachable through shunt's interface",
                      a.ip >> 24, (a.ip >> 16) & 255, (a.ip >> 8) & 255, a.ip & 255);
        if (int r = to_kernel(fd, *s, why); r < 0) return r;
        lk.unlock();
        return real().connect(fd, sa, len) < 0 ? -errno : 0;
    }
    if (s->bound_port != 0)
        log_line("fd %d: connect: bound port %u ignored (shunt picks the local port)", fd,
                 s->bound_port);
    int h = -1;
    const int r = rt_->connect(a, h);
    if (r != -EINPROGRESS && r < 0) return r;
    s->handle = h;
    s->peer = a;
    s->has_peer = true;
    s->state = r == 0 ? SockState::connected : SockState::connecting;
    by_handle_[h] = s;
    set_interest(*s);
    apply_opts(*s);
    rt_->poll();  // the SYN leaves now
    if (s->nonblock) return s->state == SockState::connected ? 0 : -EINPROGRESS;
    const int timeout = s->sndtimeo_ms;
    while (s->state == SockState::connecting) {
        if (int b = block(lk, *s, SHUNT_EV_WRITABLE, timeout); b < 0)
            return b == -EAGAIN ? -EINPROGRESS : b;
        s = table_.get(fd);
        if (s == nullptr) return -EBADF;
    }
    if (s->state == SockState::closed) {
        const int e = s->error != 0 ? s->error : ECONNREFUSED;
        s->error = 0;
        return -e;
    }
    return 0;
}

// Pulls what the stack holds for a connection into s.rx (at most `want` more bytes).
int Layer::pull(Socket& s, size_t want) noexcept {
    if (s.handle < 0 || !s.tcp) return 0;
    char buf[16384];
    while (want > 0) {
        const ssize_t n = rt_->recv(s.handle, buf, std::min(sizeof buf, want));
        if (n <= 0) {
            if (n == 0) s.rd_shut = true;  // EOF: remembered (reads return 0 after rx)
            return n == 0 || n == -EAGAIN ? 0 : static_cast<int>(n);
        }
        s.rx.append(buf, static_cast<size_t>(n));
        want -= static_cast<size_t>(n);
    }
    return 0;
}

ssize_t Layer::tcp_recv(Lock& lk, Socket& s0, const iovec* iov, int iovcnt, int flags) noexcept {
    Socket* s = &s0;
    const size_t want = iov_total(iov, iovcnt);
    const bool nonblock = s->nonblock || (flags & MSG_DONTWAIT) != 0;
    const int fd = s->fds.empty() ? -1 : s->fds[0];
    size_t got = 0;
    for (;;) {
        ++s->op_gen;
        if (want == 0) return 0;
        if (s->state == SockState::fresh || s->state == SockState::listening) return -ENOTCONN;
        if ((flags & MSG_PEEK) != 0 && s->rx.size() < want) pull(*s, want - s->rx.size());
        if (!s->rx.empty()) {
            // The layer's buffer first (peeked bytes, the end of a finished connection).
            iovec sub[64];
            int subn = 0;
            size_t skip = got;
            for (int i = 0; i < iovcnt && subn < 64; ++i) {
                if (skip >= iov[i].iov_len) {
                    skip -= iov[i].iov_len;
                    continue;
                }
                sub[subn++] =
                    iovec{static_cast<char*>(iov[i].iov_base) + skip, iov[i].iov_len - skip};
                skip = 0;
            }
            const size_t c = scatter(s->rx.data(), s->rx.size(), sub, subn);
            if ((flags & MSG_PEEK) != 0) return static_cast<ssize_t>(c);
            s->rx.erase(0, c);
            got += c;
        } else if (s->rd_shut || s->state == SockState::closed) {
            if (got > 0) return static_cast<ssize_t>(got);
            if (s->error != 0 && s->state == SockState::closed && !s->rd_shut) {
                const int e = s->error;
                s->error = 0;
                s->rd_shut = true;
                return -e;
            }
            return 0;
        } else {
            // Straight from the stack into the caller's buffers.
            ssize_t n = 0;
            for (int i = 0; i < iovcnt; ++i) {
                size_t skip = 0;
                // find the position of `got` in iov
                size_t pos = got;
                int j = 0;
                for (; j < iovcnt && pos >= iov[j].iov_len; ++j) pos -= iov[j].iov_len;
                if (j >= iovcnt) break;
                (void)skip;
                n = rt_->recv(s->handle, static_cast<char*>(iov[j].iov_base) + pos,
                              iov[j].iov_len - pos);
                if (n <= 0) break;
                got += static_cast<size_t>(n);
                if (got == want) break;
                (void)i;
            }
            if (got > 0) rt_->poll();  // a window update may be due
            if (n == 0) s->rd_shut = true;
            if (n < 0 && n != -EAGAIN) {
                if (got > 0) return static_cast<ssize_t>(got);
                return n;
            }
            if (n == 0 && got == 0) return 0;
            if (n == -EAGAIN && got == 0) {
                if (nonblock) return -EAGAIN;
                if (int b = block(lk, *s, SHUNT_EV_READABLE, s->rcvtimeo_ms); b < 0) return b;
                s = table_.get(fd);
                if (s == nullptr) return -EBADF;
                continue;
            }
        }
        if (got == want || (flags & MSG_WAITALL) == 0 || nonblock) return static_cast<ssize_t>(got);
        if (s->rx.empty() && s->handle >= 0) {
            if (int b = block(lk, *s, SHUNT_EV_READABLE, s->rcvtimeo_ms); b < 0)
                return static_cast<ssize_t>(got);
            s = table_.get(fd);
            if (s == nullptr) return static_cast<ssize_t>(got);
        }
    }
}

ssize_t Layer::tcp_send(Lock& lk, Socket& s0, const iovec* iov, int iovcnt, int flags) noexcept {
    Socket* s = &s0;
    const size_t want = iov_total(iov, iovcnt);
    const bool nonblock = s->nonblock || (flags & MSG_DONTWAIT) != 0;
    const int fd = s->fds.empty() ? -1 : s->fds[0];
    size_t sent = 0;
    int idx = 0;
    size_t off = 0;
    for (;;) {
        ++s->op_gen;
        if (s->state == SockState::fresh || s->state == SockState::listening) return -ENOTCONN;
        if (s->state == SockState::closed || s->wr_shut) {
            if (sent > 0) return static_cast<ssize_t>(sent);
            if (s->error != 0) {
                const int e = s->error;
                s->error = 0;
                return -e;
            }
            if ((flags & MSG_NOSIGNAL) == 0) ::raise(SIGPIPE);
            return -EPIPE;
        }
        ssize_t n = -EAGAIN;
        while (idx < iovcnt) {
            if (off == iov[idx].iov_len) {
                ++idx;
                off = 0;
                continue;
            }
            n = rt_->send(s->handle, static_cast<const char*>(iov[idx].iov_base) + off,
                          iov[idx].iov_len - off);
            if (n <= 0) break;
            if (s->state == SockState::connecting) s->state = SockState::connected;
            sent += static_cast<size_t>(n);
            off += static_cast<size_t>(n);
        }
        if (sent > 0) rt_->poll();  // the segments leave now
        if (sent == want) return static_cast<ssize_t>(sent);
        if (n == -EPIPE) {
            if (sent > 0) return static_cast<ssize_t>(sent);
            if ((flags & MSG_NOSIGNAL) == 0) ::raise(SIGPIPE);
            return -EPIPE;
        }
        if (n < 0 && n != -EAGAIN && n != -ENOTCONN)
            return sent > 0 ? static_cast<ssize_t>(sent) : n;
        if (nonblock) return sent > 0 ? static_cast<ssize_t>(sent) : -EAGAIN;
        if (int b = block(lk, *s, SHUNT_EV_WRITABLE, s->sndtimeo_ms); b < 0) {
            return sent > 0 ? static_cast<ssize_t>(sent) : b;
        }
        s = table_.get(fd);
        if (s == nullptr) return sent > 0 ? static_cast<ssize_t>(sent) : -EBADF;
    }
}

ssize_t Layer::udp_recv(Lock& lk, Socket& s0, const iovec* iov, int iovcnt, int flags,
                        sockaddr* from, socklen_t* fromlen) noexcept {
    Socket* s = &s0;
    const bool nonblock = s->nonblock || (flags & MSG_DONTWAIT) != 0;
    const int fd = s->fds.empty() ? -1 : s->fds[0];
    for (;;) {
        ++s->op_gen;
        if (s->handle < 0) {
            if (int r = ensure_udp_bound(*s); r < 0) return r;
        }
        static thread_local char buf[65536];
        Addr a{};
        ssize_t n;
        if (!s->rx.empty()) {
            // The datagram MSG_PEEK (or FIONREAD) pulled ahead.
            n = static_cast<ssize_t>(s->rx.size());
            std::memcpy(buf, s->rx.data(), s->rx.size());
            a = s->rx_from;
            if ((flags & MSG_PEEK) == 0) s->rx.clear();
        } else {
            n = rt_->recvfrom(s->handle, buf, sizeof buf, &a);
            if (n >= 0 && s->has_peer && (a.ip != s->peer.ip || a.port != s->peer.port)) continue;
            if (n >= 0 && (flags & MSG_PEEK) != 0) {
                s->rx.assign(buf, static_cast<size_t>(n));
                s->rx_from = a;
            }
        }
        if (n >= 0) {
            const size_t c = scatter(buf, static_cast<size_t>(n), iov, iovcnt);
            from_addr(a, from, fromlen);
            return (flags & MSG_TRUNC) != 0 ? n : static_cast<ssize_t>(c);
        }
        if (n != -EAGAIN || nonblock) return n;
        if (int b = block(lk, *s, SHUNT_EV_READABLE, s->rcvtimeo_ms); b < 0) return b;
        s = table_.get(fd);
        if (s == nullptr) return -EBADF;
    }
}

ssize_t Layer::udp_send(Lock& lk, Socket& s0, const iovec* iov, int iovcnt, int flags,
                        const sockaddr* to, socklen_t tolen) noexcept {
    Socket* s = &s0;
    const bool nonblock = s->nonblock || (flags & MSG_DONTWAIT) != 0;
    const int fd = s->fds.empty() ? -1 : s->fds[0];
    Addr a{};
    if (to != nullptr) {
        if (!to_addr(to, tolen, a)) return -EINVAL;
    } else if (s->has_peer) {
        a = s->peer;
    } else {
        return -EDESTADDRREQ;
    }
    if (s->handle < 0) {
        if (int r = ensure_udp_bound(*s); r < 0) return r;
    }
    static thread_local char buf[65536];
    const size_t total = iov_total(iov, iovcnt);
    if (total > sizeof buf) return -EMSGSIZE;
    size_t at = 0;
    for (int i = 0; i < iovcnt; ++i) {
        std::memcpy(buf + at, iov[i].iov_base, iov[i].iov_len);
        at += iov[i].iov_len;
    }
    for (;;) {
        ++s->op_gen;
        const ssize_t n = rt_->sendto(s->handle, buf, total, a);
        if (n >= 0) {
            rt_->poll();
            return n;
        }
        if (n != -EAGAIN || nonblock) return n;
        if (int b = block(lk, *s, SHUNT_EV_WRITABLE, s->sndtimeo_ms); b < 0) return b;
        s = table_.get(fd);
        if (s == nullptr) return -EBADF;
    }
}

ssize_t Layer::recv(int fd, const iovec* iov, int iovcnt, int flags, sockaddr* from,
                    socklen_t* fromlen) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return -EBADF;
    if (s->tcp) {
        const ssize_t r = tcp_recv(lk, *s, iov, iovcnt, flags);
        if (r >= 0 && from != nullptr && fromlen != nullptr) *fromlen = 0;
        return r;
    }
    return udp_recv(lk, *s, iov, iovcnt, flags, from, fromlen);
}

ssize_t Layer::send(int fd, const iovec* iov, int iovcnt, int flags, const sockaddr* to,
                    socklen_t tolen) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return -EBADF;
    if (s->tcp) {
        if (s->state == SockState::fresh && to == nullptr) return -EPIPE;
        return tcp_send(lk, *s, iov, iovcnt, flags);
    }
    if (s->handle < 0 && to != nullptr) {
        Addr a{};
        if (to_addr(to, tolen, a) && !routable(a.ip)) {
            if (int r =
                    to_kernel(fd, *s, "UDP destination not reachable through shunt's interface");
                r < 0)
                return r;
            lk.unlock();
            msghdr m{};
            m.msg_name = const_cast<sockaddr*>(to);
            m.msg_namelen = tolen;
            m.msg_iov = const_cast<iovec*>(iov);
            m.msg_iovlen = static_cast<size_t>(iovcnt);
            const ssize_t n = real().sendmsg(fd, &m, flags);
            return n < 0 ? -errno : n;
        }
    }
    return udp_send(lk, *s, iov, iovcnt, flags, to, tolen);
}

int Layer::shutdown(int fd, int how) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return -EBADF;
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
    if (!s->tcp) return s->has_peer ? 0 : -ENOTCONN;
    if (s->state == SockState::listening && how != SHUT_WR) {
        // Linux: shutdown(SHUT_RD) of a listener stops it; accept then fails with EINVAL.
        return 0;
    }
    if (s->state != SockState::connected && s->state != SockState::closed) return -ENOTCONN;
    if (how == SHUT_RD || how == SHUT_RDWR) s->rd_shut = true;
    if ((how == SHUT_WR || how == SHUT_RDWR) && !s->wr_shut) {
        s->wr_shut = true;
        if (s->handle >= 0) {
            rt_->shutdown(s->handle, SHUNT_SHUT_WR);
            rt_->poll();
        }
    }
    if (!s->fds.empty()) signal_fd(s->fds[0]);  // pollers see the new state
    return 0;
}

void Layer::release(Socket& s) noexcept {
    for (EpollSet* e : epoll_list_) {
        for (auto it = e->members.begin(); it != e->members.end();) {
            if (table_.get(it->first) == nullptr) {
                it = e->members.erase(it);
            } else {
                ++it;
            }
        }
    }
    if (s.handle >= 0) {
        by_handle_.erase(s.handle);
        if (s.tcp && s.state == SockState::connected && s.rx.empty()) {
            // A graceful close: the FIN goes now and the handle is kept until the handshake
            // ends (the stack thread closes it), so exit can wait for the data to be acked.
            rt_->interest(s.handle, 0);
            rt_->shutdown(s.handle, SHUNT_SHUT_WR);
            orphans_[s.handle] = now_us();
        } else {
            rt_->close(s.handle);  // RST when data was left unread (RFC 2525 2.17)
        }
        rt_->poll();
    }
    delete &s;
}

int Layer::close(int fd) noexcept {
    Lock lk(mu_);
    Socket* s = table_.take(fd);
    if (s == nullptr) {
        lk.unlock();
        return real().close(fd) < 0 ? -errno : 0;
    }
    s->fds.erase(std::remove(s->fds.begin(), s->fds.end(), fd), s->fds.end());
    if (s->fds.empty()) {
        if (forked_child_) {
            // The parent owns the connection; the child only drops its reference.
        } else {
            release(*s);
        }
    }
    lk.unlock();
    return real().close(fd) < 0 ? -errno : 0;
}

int Layer::getsockopt(int fd, int level, int name, void* val, socklen_t* len) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return -EBADF;
    if (val == nullptr || len == nullptr) return -EFAULT;
    auto put_int = [&](int v) {
        const socklen_t n = std::min<socklen_t>(*len, sizeof v);
        std::memcpy(val, &v, n);
        *len = n;
        return 0;
    };
    if (level == SOL_SOCKET) {
        switch (name) {
            case SO_ERROR: {
                if (s->state == SockState::connecting) {
                    s->armed |= SHUNT_EV_WRITABLE;
                    set_interest(*s);
                    sync();
                }
                const int e = s->error;
                s->error = 0;
                return put_int(e);
            }
            case SO_TYPE:
                return put_int(s->tcp ? SOCK_STREAM : SOCK_DGRAM);
            case SO_DOMAIN:
                return put_int(AF_INET);
            case SO_PROTOCOL:
                return put_int(s->tcp ? IPPROTO_TCP : IPPROTO_UDP);
            case SO_ACCEPTCONN:
                return put_int(s->state == SockState::listening ? 1 : 0);
            default:
                break;
        }
    }
    if (level == IPPROTO_TCP && name == TCP_INFO) {
        // What the layer knows: the state and the segment sizes; the counters libshunt does
        // not expose (RTT, cwnd, retransmissions) read 0 (docs/posix.md, limits).
        tcp_info info{};
        info.tcpi_state = static_cast<uint8_t>(s->state == SockState::connected    ? TCP_ESTABLISHED
                                               : s->state == SockState::listening  ? TCP_LISTEN
                                               : s->state == SockState::connecting ? TCP_SYN_SENT
                                                                                   : TCP_CLOSE);
        info.tcpi_snd_mss = 1460;
        info.tcpi_rcv_mss = 1460;
        info.tcpi_pmtu = 1500;
        const socklen_t n = std::min<socklen_t>(*len, sizeof info);
        std::memcpy(val, &info, n);
        *len = n;
        return 0;
    }
    if (auto it = s->opts.find({level, name}); it != s->opts.end()) {
        const socklen_t n = std::min<socklen_t>(*len, static_cast<socklen_t>(it->second.size()));
        std::memcpy(val, it->second.data(), n);
        *len = n;
        return 0;
    }
    // Linux's defaults for the options programs commonly read back.
    if (level == SOL_SOCKET && name == SO_RCVBUF) return put_int(131072);
    if (level == SOL_SOCKET && name == SO_SNDBUF) return put_int(16384);
    if (level == SOL_SOCKET && name == SO_LINGER) {
        linger l{};
        const socklen_t n = std::min<socklen_t>(*len, sizeof l);
        std::memcpy(val, &l, n);
        *len = n;
        return 0;
    }
    if (level == IPPROTO_TCP && name == TCP_MAXSEG) return put_int(1460);
    if (level == SOL_SOCKET || level == IPPROTO_TCP || level == IPPROTO_IP) return put_int(0);
    return -ENOPROTOOPT;
}

int Layer::setsockopt(int fd, int level, int name, const void* val, socklen_t len) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return -EBADF;
    if (val == nullptr && len > 0) return -EFAULT;
    bool known = false;
    if (level == SOL_SOCKET) {
        switch (name) {
            case SO_REUSEADDR:
            case SO_REUSEPORT:
            case SO_KEEPALIVE:
            case SO_RCVBUF:
            case SO_SNDBUF:
            case SO_LINGER:
            case SO_BROADCAST:
            case SO_PRIORITY:
            case SO_RCVLOWAT:
            case SO_SNDLOWAT:
            case SO_OOBINLINE:
            case SO_TIMESTAMP:
                known = true;
                break;
            case SO_RCVTIMEO:
                s->rcvtimeo_ms = timeo_ms(val, len);
                known = true;
                break;
            case SO_SNDTIMEO:
                s->sndtimeo_ms = timeo_ms(val, len);
                known = true;
                break;
            default:
                break;
        }
    } else if (level == IPPROTO_TCP) {
        switch (name) {
            case TCP_NODELAY:
            case TCP_KEEPIDLE:
            case TCP_KEEPINTVL:
            case TCP_KEEPCNT:
            case TCP_CORK:
            case TCP_DEFER_ACCEPT:
            case TCP_QUICKACK:
            case TCP_MAXSEG:
            case TCP_USER_TIMEOUT:
                known = true;
                break;
            case TCP_CONGESTION: {
                if (s->handle < 0 || s->state != SockState::connecting) {
                    known = true;  // recorded; the stack takes it before the handshake only
                    break;
                }
                std::string name_str(static_cast<const char*>(val), len);
                name_str.resize(std::strlen(name_str.c_str()));
                if (int r = rt_->set_congestion(s->handle, name_str.c_str()); r < 0) return r;
                known = true;
                break;
            }
            default:
                break;
        }
    } else if (level == IPPROTO_IP) {
        switch (name) {
            case IP_TOS:
            case IP_TTL:
            case IP_RECVERR:
            case IP_MTU_DISCOVER:
            case IP_PKTINFO:
                known = true;
                break;
            default:
                break;
        }
    }
    if (!known) {
        char why[80];
        std::snprintf(why, sizeof why, "option level %d name %d is not supported by shunt", level,
                      name);
        if (s->state == SockState::fresh) {
            if (int r = to_kernel(fd, *s, why); r < 0) return r;
            lk.unlock();
            return real().setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
        }
        log_line("fd %d: setsockopt: %s (too late to hand the socket to the kernel)", fd, why);
        return -ENOPROTOOPT;
    }
    s->opts[{level, name}].assign(static_cast<const char*>(val), len);
    apply_opts(*s);
    return 0;
}

int Layer::getsockname(int fd, sockaddr* addr, socklen_t* len) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return -EBADF;
    Addr a{s->bound_ip, s->bound_port};
    if (s->tcp && s->handle >= 0 && s->state != SockState::listening) {
        rt_->local_addr(s->handle, a);
    } else if (!s->tcp && s->handle >= 0 && a.ip == 0 && s->has_peer) {
        a.ip = ip_;
    }
    from_addr(a, addr, len);
    return 0;
}

int Layer::getpeername(int fd, sockaddr* addr, socklen_t* len) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return -EBADF;
    if (!s->has_peer || s->state == SockState::connecting ||
        (s->tcp && s->state != SockState::connected && s->state != SockState::closed)) {
        return -ENOTCONN;
    }
    from_addr(s->peer, addr, len);
    return 0;
}

int Layer::fcntl(int fd, int cmd, long arg) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return -EBADF;
    switch (cmd) {
        case F_GETFL:
            return O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
        case F_SETFL:
            s->nonblock = (arg & O_NONBLOCK) != 0;
            return 0;
        case F_DUPFD:
        case F_DUPFD_CLOEXEC: {
            const int nfd = real().fcntl(fd, cmd, arg);
            if (nfd < 0) return -errno;
            if (!table_.set(nfd, s)) {
                real().close(nfd);
                return -EMFILE;
            }
            s->fds.push_back(nfd);
            return nfd;
        }
        default: {
            const int r = real().fcntl(fd, cmd, arg);
            return r < 0 ? -errno : r;
        }
    }
}

int Layer::ioctl(int fd, unsigned long req, void* arg) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) return -EBADF;
    if (req == FIONBIO) {
        if (arg == nullptr) return -EFAULT;
        int v = 0;
        std::memcpy(&v, arg, sizeof v);
        s->nonblock = v != 0;
        return 0;
    }
    if (req == FIONREAD) {
        if (arg == nullptr) return -EFAULT;
        if (s->state == SockState::listening) return -EINVAL;
        int v = 0;
        if (s->tcp) {
            pull(*s, kMaxPull > s->rx.size() ? kMaxPull - s->rx.size() : 0);
            v = static_cast<int>(s->rx.size());
        } else if (s->handle >= 0) {
            if (s->rx.empty()) {
                static thread_local char buf[65536];
                Addr a{};
                const ssize_t n = rt_->recvfrom(s->handle, buf, sizeof buf, &a);
                if (n > 0) {
                    s->rx.assign(buf, static_cast<size_t>(n));
                    s->rx_from = a;
                }
            }
            v = static_cast<int>(s->rx.size());
        }
        std::memcpy(arg, &v, sizeof v);
        return 0;
    }
    return -ENOTTY;
}

// ---- poll, select, epoll ----

int Layer::poll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask) noexcept {
    const SignalHold hold(mask);
    const int64_t start = now_us();
    const int64_t deadline = timeout == nullptr
                                 ? INT64_MAX
                                 : start + timeout->tv_sec * 1'000'000 + timeout->tv_nsec / 1000;
    std::vector<pollfd> kfds(n + 1);  // and the runtime's event fd (see block())
    std::vector<int> efd(n, -1);
    bool spun_out = false;
    for (;;) {
        int ready = 0;
        {
            Lock lk(mu_);
            for (nfds_t i = 0; i < n; ++i) {
                Socket* s = fds[i].fd >= 0 ? table_.get(fds[i].fd) : nullptr;
                efd[i] = -1;
                if (s == nullptr) continue;
                if (forked_child_) continue;
                efd[i] = s->fds.empty() ? fds[i].fd : s->fds[0];
                s->armed |= shunt_interest_of(static_cast<uint32_t>(fds[i].events));
                set_interest(*s);
            }
            const uint64_t epoch = sync();
            for (nfds_t i = 0; i < n; ++i) {
                fds[i].revents = 0;
                if (efd[i] < 0) continue;
                Socket* s = table_.get(fds[i].fd);
                if (s == nullptr) continue;
                fds[i].revents =
                    static_cast<short>(readiness(*s, static_cast<uint16_t>(fds[i].events), epoch));
                if (fds[i].revents != 0) ++ready;
            }
        }
        for (nfds_t i = 0; i < n; ++i) {
            kfds[i] = fds[i];
            if (efd[i] >= 0) kfds[i] = pollfd{ready > 0 ? -1 : efd[i], POLLIN, 0};
            if (forked_child_ && table_.get(fds[i].fd) != nullptr) kfds[i].fd = -1;
        }
        const int64_t now = now_us();
        int64_t wait_us = ready > 0 ? 0 : std::max<int64_t>(0, deadline - now);
        if (!spun_out && now - start < spin_us_) wait_us = 0;
        if (wait_us > 100'000) wait_us = 100'000;  // bounded: a lost wakeup costs latency only
        timespec t{static_cast<time_t>(wait_us / 1'000'000),
                   static_cast<long>(wait_us % 1'000'000) * 1000};
        kfds[n] = pollfd{ready > 0 || forked_child_ ? -1 : rt_->event_fd(), POLLIN, 0};
        const int r = real().ppoll(kfds.data(), n + 1, &t, hold.wait_mask());
        if (r < 0) return -errno;
        int kready = 0;
        for (nfds_t i = 0; i < n; ++i) {
            if (forked_child_ && table_.get(fds[i].fd) != nullptr) {
                fds[i].revents = POLLNVAL;
                ++kready;
                continue;
            }
            if (efd[i] >= 0) {
                if (kfds[i].revents != 0) drain(efd[i]);
                continue;
            }
            fds[i].revents = kfds[i].revents;
            if (fds[i].revents != 0) ++kready;
        }
        if (ready + kready > 0) return ready + kready;
        if (now_us() >= deadline) return 0;
        if (now_us() - start >= spin_us_) spun_out = true;
    }
}

int Layer::dup(int oldfd, int newfd, int flags, bool any) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(oldfd);
    if (oldfd == newfd && !any) {
        if (flags != 0) return -EINVAL;  // dup3
        return s != nullptr || real().fcntl(oldfd, F_GETFD) >= 0 ? newfd : -EBADF;
    }
    if (!any) {
        // The target's socket, if any, loses that number (dup2 closes it silently).
        if (Socket* t = table_.take(newfd); t != nullptr) {
            t->fds.erase(std::remove(t->fds.begin(), t->fds.end(), newfd), t->fds.end());
            if (t->fds.empty() && !forked_child_) release(*t);
        }
    }
    int r;
    if (any) {
        r = real().dup(oldfd);
    } else if (flags != 0) {
        r = real().dup3(oldfd, newfd, flags);
    } else {
        r = real().dup2(oldfd, newfd);
    }
    if (r < 0) return -errno;
    if (s != nullptr) {
        if (!table_.set(r, s)) {
            real().close(r);
            return -EMFILE;
        }
        s->fds.push_back(r);
    }
    return r;
}

int Layer::epoll_ctl(int epfd, int op, int fd, epoll_event* ev) noexcept {
    Lock lk(mu_);
    Socket* s = table_.get(fd);
    if (s == nullptr) {
        lk.unlock();
        return real().epoll_ctl(epfd, op, fd, ev) < 0 ? -errno : 0;
    }
    if (real().fcntl(epfd, F_GETFD) < 0) return -EBADF;
    EpollSet* set = epolls_.get(epfd);
    if (set == nullptr) {
        if (op != EPOLL_CTL_ADD) return -ENOENT;
        set = new EpollSet();
        set->inner = real().epoll_create1(EPOLL_CLOEXEC);
        if (set->inner < 0) {
            delete set;
            return -errno;
        }
        // The tag marks the inner epoll's event among the app's own (their data is theirs).
        set->tag = 0x5348554e54000000ull ^ reinterpret_cast<uintptr_t>(set);
        epoll_event in{};
        in.events = EPOLLIN;
        in.data.u64 = set->tag;
        if (real().epoll_ctl(epfd, EPOLL_CTL_ADD, set->inner, &in) < 0) {
            const int e = errno;
            real().close(set->inner);
            delete set;
            return -e;
        }
        // The runtime's event fd too (see block()): a frame wakes the program's epoll_wait.
        epoll_event rt_ev{};
        rt_ev.events = EPOLLIN;
        rt_ev.data.u64 = UINT64_MAX;
        real().epoll_ctl(set->inner, EPOLL_CTL_ADD, rt_->event_fd(), &rt_ev);
        epolls_.set(epfd, set);
        epoll_list_.push_back(set);
    }
    const int efd = s->fds.empty() ? fd : s->fds[0];
    auto it = set->members.find(fd);
    switch (op) {
        case EPOLL_CTL_ADD: {
            if (it != set->members.end()) return -EEXIST;
            if (ev == nullptr) return -EFAULT;
            epoll_event in{};
            in.events = EPOLLIN;
            in.data.u64 = static_cast<uint64_t>(fd);
            // The same eventfd may already be there through a dup: that is fine.
            if (real().epoll_ctl(set->inner, EPOLL_CTL_ADD, fd, &in) < 0 && errno != EEXIST)
                return -errno;
            (void)efd;
            EpollMember m;
            m.events = ev->events;
            m.data = ev->data.u64;
            set->members[fd] = m;
            signal_fd(s->fds.empty() ? fd : s->fds[0]);  // a ready socket shows on the next wait
            return 0;
        }
        case EPOLL_CTL_MOD:
            if (it == set->members.end()) return -ENOENT;
            if (ev == nullptr) return -EFAULT;
            it->second = EpollMember{ev->events, ev->data.u64, false, ~uint64_t{0}, 0};
            signal_fd(s->fds.empty() ? fd : s->fds[0]);
            return 0;
        case EPOLL_CTL_DEL:
            if (it == set->members.end()) return -ENOENT;
            set->members.erase(it);
            real().epoll_ctl(set->inner, EPOLL_CTL_DEL, fd, nullptr);
            return 0;
        default:
            return -EINVAL;
    }
}

void Layer::epoll_closed(int epfd) noexcept {
    Lock lk(mu_);
    EpollSet* set = epolls_.take(epfd);
    if (set == nullptr) return;
    epoll_list_.erase(std::remove(epoll_list_.begin(), epoll_list_.end(), set), epoll_list_.end());
    real().close(set->inner);
    delete set;
}

int Layer::epoll_wait(int epfd, epoll_event* out, int max, int timeout_ms,
                      const sigset_t* mask) noexcept {
    const SignalHold hold(mask);
    if (max <= 0) return -EINVAL;
    const int64_t start = now_us();
    const int64_t deadline = timeout_ms < 0 ? INT64_MAX : start + int64_t{timeout_ms} * 1000;
    for (;;) {
        int n = 0;
        uint64_t tag = 0;
        int inner = -1;
        {
            Lock lk(mu_);
            EpollSet* set = epolls_.get(epfd);
            if (set == nullptr) break;  // no shunt members any more
            tag = set->tag;
            inner = set->inner;
            for (auto& [fd, m] : set->members) {
                Socket* s = table_.get(fd);
                if (s == nullptr || m.disabled) continue;
                s->armed |= shunt_interest_of(m.events);
                set_interest(*s);
            }
            const uint64_t epoch = sync();
            for (auto& [fd, m] : set->members) {
                if (n == max) break;
                Socket* s = table_.get(fd);
                if (s == nullptr || m.disabled) continue;
                const uint32_t bits = readiness(*s, m.events, epoch);
                if (bits == 0) continue;
                if ((m.events & EPOLLET) != 0) {
                    // Edge-triggered: again only after the app touched the socket (a read,
                    // write or accept) or new bits appeared. Never fewer reports than Linux.
                    if (m.reported_gen == s->op_gen && (bits & ~m.reported_bits) == 0) continue;
                    m.reported_gen = s->op_gen;
                    m.reported_bits = bits;
                }
                if ((m.events & EPOLLONESHOT) != 0) m.disabled = true;
                out[n].events = bits;
                out[n].data.u64 = m.data;
                ++n;
            }
        }
        const int64_t now = now_us();
        int64_t wait_ms =
            n > 0 ? 0
                  : (deadline == INT64_MAX ? 100
                                           : std::max<int64_t>(0, (deadline - now + 999) / 1000));
        if (now - start < spin_us_) wait_ms = 0;
        wait_ms = std::min<int64_t>(wait_ms, 100);
        const int r =
            real().epoll_pwait(epfd, out + n, max - n, static_cast<int>(wait_ms), hold.wait_mask());
        if (r < 0) {
            if (n > 0) return n;
            return -errno;
        }
        int k = n;
        bool inner_ready = false;
        for (int i = n; i < n + r; ++i) {
            if (out[i].data.u64 == tag) {
                inner_ready = true;
                continue;
            }
            out[k++] = out[i];
        }
        if (inner_ready) {
            epoll_event evs[64];
            const int m = real().epoll_wait(inner, evs, 64, 0);
            for (int i = 0; i < m; ++i) {
                if (evs[i].data.u64 != UINT64_MAX) drain(static_cast<int>(evs[i].data.u64));
            }
        }
        if (k > 0) return k;
        if (now_us() >= deadline) return 0;
    }
    const int r = real().epoll_pwait(epfd, out, max, timeout_ms, hold.wait_mask());
    return r < 0 ? -errno : r;
}

ssize_t Layer::sendfile(int out, int in, off_t* offset, size_t count) noexcept {
    // Read from the file, send on the shunt socket: the copy the kernel would have saved.
    char buf[65536];
    size_t done = 0;
    off_t pos = offset != nullptr ? *offset : 0;
    while (done < count) {
        const size_t want = std::min(sizeof buf, count - done);
        const ssize_t r =
            offset != nullptr ? ::pread(in, buf, want, pos) : real().read(in, buf, want);
        if (r < 0) return done > 0 ? static_cast<ssize_t>(done) : -errno;
        if (r == 0) break;
        iovec v{buf, static_cast<size_t>(r)};
        const ssize_t w = send(out, &v, 1, MSG_NOSIGNAL, nullptr, 0);
        if (w <= 0) {
            if (offset == nullptr && w < 0) {
                // the bytes read but not sent: put the file position back
                ::lseek(in, -r, SEEK_CUR);
            }
            if (done == 0) return w;
            break;
        }
        if (offset == nullptr && w < r) ::lseek(in, w - r, SEEK_CUR);
        done += static_cast<size_t>(w);
        pos += w;
        if (w < r) break;
    }
    if (offset != nullptr) *offset = pos;
    return static_cast<ssize_t>(done);
}

}  // namespace shunt::posix
