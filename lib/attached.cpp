#include "lib/attached.hpp"

#include "base/event_fd.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace shunt::lib {

using attach::Command;
using attach::Completion;
using attach::Op;
using attach::RingStatus;

namespace {

// Polls of the completion ring before sleeping on the wake eventfd: a daemon that is busy
// answers within a few microseconds, and a sleep/wake pair costs more than that.
constexpr int kSpins = 2000;
// A daemon that answers nothing for this long is treated as gone (calls give -EPIPE).
constexpr int kCallTimeoutMs = 10'000;

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

int64_t now_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Command make(Op op, int sock = 0) noexcept {
    Command c{};
    c.op = static_cast<uint16_t>(op);
    c.sock = sock;
    return c;
}

}  // namespace

Result<std::unique_ptr<AttachedRuntime>> AttachedRuntime::attach(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        return make_error("attach '{}': not a socket path", path);
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    std::unique_ptr<AttachedRuntime> rt(new AttachedRuntime());
    rt->conn_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!rt->conn_.valid()) return make_error("attach: socket: {}", std::strerror(errno));
    if (::connect(rt->conn_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
        return make_error("attach '{}': {} (is shuntd running with this --app-socket?)", path,
                          std::strerror(errno));
    }
    const timeval limit{5, 0};  // a daemon that accepts but never answers: fail, not hang
    ::setsockopt(rt->conn_.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    const attach::Hello hello{attach::kMagic, attach::kVersion};
    if (::send(rt->conn_.get(), &hello, sizeof hello, MSG_NOSIGNAL) != sizeof hello) {
        return make_error("attach '{}': sending the hello: {}", path, std::strerror(errno));
    }
    attach::Welcome w{};
    iovec iov{&w, sizeof w};
    alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))]{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t got = ::recvmsg(rt->conn_.get(), &msg, MSG_CMSG_CLOEXEC);
    if (got < 0) return make_error("attach '{}': no answer: {}", path, std::strerror(errno));
    // The fds first, so that every one received is owned whatever goes wrong next.
    UniqueFd fds[3];
    size_t nfds = 0;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
        const size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; ++i) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
            if (nfds < 3) {
                fds[nfds++].reset(fd);
            } else {
                ::close(fd);
            }
        }
    }
    if (got != static_cast<ssize_t>(sizeof w) || w.magic != attach::kMagic ||
        w.version != attach::kVersion) {
        return make_error("attach '{}': not a shunt daemon's answer", path);
    }
    if (w.status != 0) {
        return make_error("attach '{}': the daemon refused: {}", path, std::strerror(-w.status));
    }
    if (nfds != 3 || (msg.msg_flags & MSG_CTRUNC) != 0) {
        return make_error("attach '{}': expected 3 fds, got {}", path, nfds);
    }
    auto region = attach::Region::map(fds[0].release());
    if (!region) return make_error("attach '{}': {}", path, region.error().message);
    rt->region_ = std::move(region).value();
    rt->doorbell_ = std::move(fds[1]);
    rt->wake_ = std::move(fds[2]);
    const attach::Layout& l = rt->region_->layout();
    if (l.room_count < kStagingRooms + kBlockRooms) {
        return make_error("attach '{}': region of {} rooms is too small", path, l.room_count);
    }
    rt->cmds_ = attach::RingProducer<Command>(rt->region_->command_control(),
                                              rt->region_->command_slots(), l.command_capacity);
    rt->cpls_ = attach::RingConsumer<Completion>(
        rt->region_->completion_control(), rt->region_->completion_slots(), l.completion_capacity);
    const uint32_t blocks = (l.room_count - kStagingRooms) / kBlockRooms;
    for (uint32_t b = blocks; b > 0; --b) rt->free_blocks_.push_back(b - 1);
    rt->held_rx_ = HandleTable<uint32_t>(blocks);
    rt->held_tx_ = HandleTable<uint32_t>(blocks);
    rt->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!rt->epoll_.valid()) return make_error("attach: epoll_create1: {}", std::strerror(errno));
    for (int fd : {rt->wake_.get(), rt->conn_.get()}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(rt->epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) {
            return make_error("attach: epoll_ctl: {}", std::strerror(errno));
        }
    }
    // Armed from the start: an app that sleeps in its own epoll on event_fd() before its first
    // wait() is woken by the first event.
    Command a = make(Op::arm);
    if (!rt->post(a)) return make_error("attach '{}': the daemon went away", path);
    rt->armed_ = true;
    rt->arm_seq_ = a.seq;
    return rt;
}

AttachedRuntime::~AttachedRuntime() = default;  // conn_ closes: the daemon detaches us

uint8_t* AttachedRuntime::room_ptr(uint32_t room) const noexcept {
    return region_->base() + region_->layout().rooms_offset + uint64_t{room} * attach::kRoomSize;
}

int AttachedRuntime::take_block() noexcept {
    if (free_blocks_.empty()) return -1;
    const uint32_t b = free_blocks_.back();
    free_blocks_.pop_back();
    return static_cast<int>(b);
}

// ---- the ring protocol ----

bool AttachedRuntime::post(Command& c) noexcept {
    if (dead_) return false;
    c.seq = ++seq_;
    if (seq_ == 0) c.seq = ++seq_;  // 0 is never a command's
    RingStatus st = cmds_.push(c);
    // Full can only be a daemon that stopped reading: give it the call's time to catch up.
    for (int64_t until = now_ms() + kCallTimeoutMs; st == RingStatus::full && now_ms() < until;) {
        event_fd_signal(doorbell_.get());
        sleep_on_wake(1);
        st = cmds_.push(c);
    }
    if (st != RingStatus::ok) {
        dead_ = true;
        return false;
    }
    if (cmds_.consumer_sleeping()) event_fd_signal(doorbell_.get());
    return true;
}

void AttachedRuntime::other(const Completion& c) noexcept {
    if (c.op == static_cast<uint16_t>(Op::arm) && armed_ && c.seq == arm_seq_) {
        armed_ = false;
        if (c.result > 0) {
            arm_fired_ = true;
            readable_ = true;
        }
    }
    // Anything else is the answer to a call that gave up waiting: dropped.
}

bool AttachedRuntime::sleep_on_wake(int timeout_ms) noexcept {
    if (!cpls_.prepare_sleep()) return true;
    pollfd p[2] = {{wake_.get(), POLLIN, 0}, {conn_.get(), POLLIN, 0}};
    const int n = ::poll(p, 2, timeout_ms);
    cpls_.woke();
    if (n > 0 && (p[0].revents & POLLIN) != 0) {
        event_fd_drain(wake_.get());
        drained_ = true;
    }
    // The control socket carries nothing after the handshake: readable is EOF, the daemon gone.
    if (n > 0 && p[1].revents != 0) dead_ = true;
    return n > 0;
}

bool AttachedRuntime::await(uint32_t seq, Completion& out, int timeout_ms) noexcept {
    const int64_t until = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
    int spins = 0;
    while (!dead_) {
        Completion c{};
        const RingStatus st = cpls_.pop(c);
        if (st == RingStatus::ok) {
            if (seq != 0 && c.seq == seq) {
                out = c;
                return true;
            }
            other(c);
            if (seq == 0 && arm_fired_) return true;
            if (seq == 0 && !armed_) return true;  // cancelled: the caller looks again
            continue;
        }
        if (st == RingStatus::corrupt) {
            dead_ = true;
            break;
        }
        if (++spins < kSpins) {
            cpu_relax();
            continue;
        }
        const int64_t now = now_ms();
        if (now >= until) return false;
        sleep_on_wake(static_cast<int>(std::min<int64_t>(until - now, 1000)));
    }
    return false;
}

int64_t AttachedRuntime::call(Command& c, Completion* out) noexcept {
    if (!post(c)) return -EPIPE;
    Completion got{};
    if (!await(c.seq, got, kCallTimeoutMs)) {
        dead_ = true;
        return -EPIPE;
    }
    // The wake fd is also event_fd(): if this call's sleeps drained it while it had to stay
    // readable (events pending, or an armed wait that fired), it is made readable again.
    if (readable_ && drained_) event_fd_signal(wake_.get());
    drained_ = false;
    if (out != nullptr) *out = got;
    return got.result;
}

// ---- the loop ----

int AttachedRuntime::poll() noexcept {
    return 0;  // the daemon runs the stack
}

int AttachedRuntime::events_call(std::span<Event> out) noexcept {
    const size_t max = std::min<size_t>(out.size(), attach::kMaxIo / sizeof(Event));
    Command c = make(Op::events);
    c.room = 0;
    c.len = static_cast<uint32_t>(max * sizeof(Event));
    const int64_t n = call(c);
    if (n <= 0) return static_cast<int>(n);
    const size_t got = std::min<size_t>(static_cast<size_t>(n), max);
    std::memcpy(out.data(), room_ptr(0), got * sizeof(Event));
    return static_cast<int>(got);
}

int AttachedRuntime::wait(std::span<Event> out, int timeout_ms) noexcept {
    if (out.empty()) return -EINVAL;
    event_fd_drain(wake_.get());  // the app is looking now
    arm_fired_ = false;
    readable_ = false;
    drained_ = false;
    const int64_t until = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
    for (;;) {
        const int n = events_call(out);
        if (n != 0) {
            // Level-triggered as in-process: more may be pending, so the event fd stays
            // readable until a wait finds nothing.
            if (n > 0) {
                readable_ = true;
                event_fd_signal(wake_.get());
            }
            return n;
        }
        if (!armed_) {
            // The daemon answers this once a socket has an event (or cancels it on our next
            // look); until then it costs nothing but a check per poll.
            Command a = make(Op::arm);
            if (!post(a)) return -EPIPE;
            armed_ = true;
            arm_seq_ = a.seq;
        }
        const int64_t now = now_ms();
        if (now >= until) return 0;
        Completion unused{};
        arm_fired_ = false;
        if (!await(0, unused, static_cast<int>(std::min<int64_t>(until - now, INT32_MAX)))) {
            if (dead_) return -EPIPE;
            return 0;
        }
        arm_fired_ = false;
    }
}

int AttachedRuntime::interest(int sock, uint32_t events) noexcept {
    Command c = make(Op::interest, sock);
    c.arg = events;
    return static_cast<int>(call(c));
}

// ---- TCP ----

int AttachedRuntime::listen(uint16_t port, int backlog) noexcept {
    if (port == 0 || backlog <= 0) return -EINVAL;
    Command c = make(Op::listen);
    c.port = port;
    c.arg = static_cast<uint32_t>(backlog);
    return static_cast<int>(call(c));
}

int AttachedRuntime::accept(int listener, Addr* peer) noexcept {
    Command c = make(Op::accept, listener);
    Completion r{};
    const int64_t h = call(c, &r);
    if (h > 0 && peer != nullptr) *peer = Addr{r.ip, r.port};
    return static_cast<int>(h);
}

int AttachedRuntime::connect(Addr remote, int& sock) noexcept {
    sock = -1;
    Command c = make(Op::connect);
    c.ip = remote.ip;
    c.port = remote.port;
    Completion r{};
    const int64_t res = call(c, &r);
    if (res == -EINPROGRESS) sock = r.sock;
    return static_cast<int>(res);
}

ssize_t AttachedRuntime::send(int sock, const void* data, size_t len) noexcept {
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(len, attach::kMaxIo));
    if (n > 0) std::memcpy(room_ptr(0), data, n);
    Command c = make(Op::send, sock);
    c.room = 0;
    c.len = n;
    return call(c);
}

ssize_t AttachedRuntime::recv(int sock, void* out, size_t len) noexcept {
    Command c = make(Op::recv, sock);
    c.room = 0;
    c.len = static_cast<uint32_t>(std::min<size_t>(len, attach::kMaxIo));
    const int64_t n = call(c);
    if (n > 0) std::memcpy(out, room_ptr(0), static_cast<size_t>(std::min<int64_t>(n, c.len)));
    return n;
}

int AttachedRuntime::recv_zc(int sock, std::span<IoVec> iov, int& token) noexcept {
    token = -1;
    if (iov.empty()) return -EINVAL;
    const int b = take_block();
    if (b < 0) return -ENOBUFS;
    Command c = make(Op::recv, sock);
    c.room = block_room(static_cast<uint32_t>(b));
    c.len = kBlockBytes;
    const int64_t n = call(c);
    if (n <= 0) {
        give_block(static_cast<uint32_t>(b));
        return static_cast<int>(n);
    }
    // One view of the block the daemon filled (contiguous rooms): valid until release().
    iov[0] = IoVec{room_ptr(c.room), static_cast<size_t>(std::min<int64_t>(n, kBlockBytes))};
    token = held_rx_.add(static_cast<uint32_t>(b));
    return 1;
}

int AttachedRuntime::release(int token) noexcept {
    uint32_t* b = held_rx_.get(token);
    if (b == nullptr) return -EBADF;
    give_block(*b);
    held_rx_.remove(token);
    return 0;
}

int AttachedRuntime::buf_alloc(Buf& buf) noexcept {
    buf = Buf{-1, nullptr, 0};
    const int b = take_block();
    if (b < 0) return -ENOBUFS;
    buf.id = held_tx_.add(static_cast<uint32_t>(b));
    buf.data = room_ptr(block_room(static_cast<uint32_t>(b)));
    buf.capacity = kBlockBytes;
    return 0;
}

int AttachedRuntime::buf_free(int buf) noexcept {
    uint32_t* b = held_tx_.get(buf);
    if (b == nullptr) return -EBADF;
    give_block(*b);
    held_tx_.remove(buf);
    return 0;
}

int AttachedRuntime::send_zc(int sock, int buf, size_t len) noexcept {
    uint32_t* b = held_tx_.get(buf);
    if (b == nullptr) return -EBADF;
    if (len == 0 || len > kBlockBytes) return -EINVAL;
    Command c = make(Op::send, sock);
    c.room = block_room(*b);
    c.len = static_cast<uint32_t>(len);
    c.arg = 1;  // all or nothing: on EAGAIN the app keeps its buffer
    const int64_t n = call(c);
    if (n == static_cast<int64_t>(len)) {
        buf_free(buf);  // the daemon copied it into its own buffers
        return static_cast<int>(n);
    }
    if (n > 0) {
        // The send queue's buffer slots ran out part way: the rest moves to the front and
        // the app keeps the buffer (a short count, as send's).
        uint8_t* p = room_ptr(c.room);
        std::memmove(p, p + n, len - static_cast<size_t>(n));
    }
    return static_cast<int>(n);
}

int AttachedRuntime::shutdown(int sock, int how) noexcept {
    Command c = make(Op::shutdown, sock);
    c.arg = static_cast<uint32_t>(how);
    return static_cast<int>(call(c));
}

int AttachedRuntime::close(int sock) noexcept {
    Command c = make(Op::close, sock);
    return static_cast<int>(call(c));
}

int AttachedRuntime::setopt(int sock, int opt, uint32_t value) noexcept {
    Command c = make(Op::setopt, sock);
    c.arg = static_cast<uint32_t>(opt);
    c.arg2 = value;
    return static_cast<int>(call(c));
}

int AttachedRuntime::set_congestion(int sock, const char* name) noexcept {
    if (name == nullptr) return -EINVAL;
    if (std::strlen(name) >= attach::kMaxCongestionName) return -ENOENT;
    Command c = make(Op::set_congestion, sock);
    std::memcpy(c.name, name, std::strlen(name));
    return static_cast<int>(call(c));
}

int AttachedRuntime::socket_error(int sock) noexcept {
    Command c = make(Op::socket_error, sock);
    return static_cast<int>(call(c));
}

int AttachedRuntime::local_addr(int sock, Addr& addr) noexcept {
    Command c = make(Op::local_addr, sock);
    Completion r{};
    const int64_t res = call(c, &r);
    if (res == 0) addr = Addr{r.ip, r.port};
    return static_cast<int>(res);
}

int AttachedRuntime::peer_addr(int sock, Addr& addr) noexcept {
    Command c = make(Op::peer_addr, sock);
    Completion r{};
    const int64_t res = call(c, &r);
    if (res == 0) addr = Addr{r.ip, r.port};
    return static_cast<int>(res);
}

// ---- UDP ----

int AttachedRuntime::udp_bind(uint16_t port) noexcept {
    if (port == 0) return -EINVAL;
    Command c = make(Op::udp_bind);
    c.port = port;
    return static_cast<int>(call(c));
}

ssize_t AttachedRuntime::sendto(int sock, const void* data, size_t len, Addr to) noexcept {
    if (len > attach::kMaxIo) return -EMSGSIZE;
    if (len > 0) std::memcpy(room_ptr(0), data, len);
    Command c = make(Op::sendto, sock);
    c.room = 0;
    c.len = static_cast<uint32_t>(len);
    c.ip = to.ip;
    c.port = to.port;
    return call(c);
}

ssize_t AttachedRuntime::recvfrom(int sock, void* out, size_t len, Addr* from) noexcept {
    Command c = make(Op::recvfrom, sock);
    c.room = 0;
    c.len = static_cast<uint32_t>(std::min<size_t>(len, attach::kMaxIo));
    Completion r{};
    const int64_t n = call(c, &r);
    if (n >= 0) {
        if (n > 0) std::memcpy(out, room_ptr(0), static_cast<size_t>(std::min<int64_t>(n, c.len)));
        if (from != nullptr) *from = Addr{r.ip, r.port};
    }
    return n;
}

int AttachedRuntime::sendto_zc(int sock, int buf, size_t len, Addr to) noexcept {
    uint32_t* b = held_tx_.get(buf);
    if (b == nullptr) return -EBADF;
    if (len == 0 || len > kBlockBytes) return -EINVAL;
    Command c = make(Op::sendto, sock);
    c.room = block_room(*b);
    c.len = static_cast<uint32_t>(len);
    c.ip = to.ip;
    c.port = to.port;
    const int64_t n = call(c);
    buf_free(buf);  // as in-process: the buffer is consumed whatever the result
    return static_cast<int>(n);
}

}  // namespace shunt::lib
