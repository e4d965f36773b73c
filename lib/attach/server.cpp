#include "lib/attach/server.hpp"

#include "base/event_fd.hpp"
#include "base/log.hpp"
#include "base/unix_listener.hpp"
#include "lib/attach/region.hpp"
#include "lib/attach/ring.hpp"
#include "lib/inprocess.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace shunt::attach {

struct Server::Session {
    uint64_t id = 0;
    UniqueFd conn;
    ucred cred{};
    bool ready = false;  // the handshake is done
    std::unique_ptr<Region> region;
    UniqueFd doorbell;  // app -> daemon: written after a command when we said we sleep
    UniqueFd wake;      // daemon -> app: written after a completion when it said it sleeps
    RingConsumer<Command> cmds;
    RingProducer<Completion> cpls;
    std::unique_ptr<lib::InProcessRuntime> rt;  // the app's handles over our Stack
    bool armed = false;
    uint32_t arm_seq = 0;
    Instant next_arm_check{};
    uint64_t commands = 0;
    uint64_t errors = 0;
    std::array<uint64_t, static_cast<size_t>(BadCommand::count)> bad{};
    std::vector<Event> events;  // scratch for Op::events
};

namespace {

constexpr uint64_t kDoorbellBit = 1;
// An armed app's sockets are scanned for events at most this often while the daemon is busy
// (the scan is O(sockets)); a daemon that slept checks at once when it wakes.
constexpr Duration kArmCheckPeriod = Duration(50);
constexpr uint32_t kMaxEventsPerCommand = kMaxIo / sizeof(Event);

uint64_t key(uint64_t id, bool doorbell) {
    return id << 1 | (doorbell ? kDoorbellBit : 0);
}

}  // namespace

Server::Server(Stack& stack, const ServerConfig& config) : stack_(stack), config_(config) {}

Result<std::unique_ptr<Server>> Server::start(Stack& stack, const ServerConfig& config) {
    if (config.socket_path.empty()) return make_error("no app socket path");
    if (config.commands_per_poll == 0) return make_error("commands_per_poll 0");
    std::unique_ptr<Server> s(new Server(stack, config));
    s->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!s->epoll_.valid()) return make_error("epoll_create1: {}", std::strerror(errno));
    if (auto ok = s->bind_socket(); !ok) return ok.error();
    stack.add_app(*s);
    return s;
}

Status Server::bind_socket() {
    UnixListenOptions lo;
    lo.path = config_.socket_path;
    lo.what = "app socket";
    lo.type = SOCK_SEQPACKET;
    lo.group = config_.socket_group;
    lo.backlog = 64;
    auto fd = listen_unix(lo);
    if (!fd) return fd.error();
    UniqueFd listening = std::move(fd).value();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listening.get(), &ev) < 0) {
        ::unlink(config_.socket_path.c_str());
        return make_error("app socket: epoll_ctl: {}", std::strerror(errno));
    }
    listen_ = std::move(listening);
    return {};
}

Server::~Server() {
    stack_.remove_app(*this);
    std::vector<uint64_t> ids;
    for (auto& [id, s] : sessions_) ids.push_back(id);
    for (uint64_t id : ids) detach(id, "the daemon stops");
    if (listen_.valid()) ::unlink(config_.socket_path.c_str());
}

size_t Server::run(Instant now) noexcept {
    if (now >= next_control_) {
        control(now);
        next_control_ = now + config_.control_period;
    }
    size_t work = 0;
    for (auto& [id, s] : sessions_) {
        if (!s->ready) continue;
        s->cmds.woke();
        work += serve(*s);
        if (s->armed && now >= s->next_arm_check) {
            check_armed(*s);
            s->next_arm_check = now + kArmCheckPeriod;
        }
    }
    for (uint64_t id : to_detach_) detach(id, "a corrupt ring index");
    to_detach_.clear();
    return work;
}

bool Server::prepare_sleep() noexcept {
    control(Instant::now());  // drains doorbells, so the sleep does not end at once
    for (auto& [id, s] : sessions_) {
        if (!s->ready) continue;
        if (s->armed) check_armed(*s);
        if (!s->cmds.prepare_sleep()) return false;  // a command came: serve it first
    }
    return true;
}

void Server::control(Instant) noexcept {
    std::array<epoll_event, 32> evs{};
    const int n = ::epoll_wait(epoll_.get(), evs.data(), static_cast<int>(evs.size()), 0);
    for (int i = 0; i < n; ++i) {
        const uint64_t k = evs[static_cast<size_t>(i)].data.u64;
        if (k == 0) {
            accept_apps();
            continue;
        }
        auto it = sessions_.find(k >> 1);
        if (it == sessions_.end()) continue;
        Session& s = *it->second;
        if ((k & kDoorbellBit) != 0) {
            event_fd_drain(s.doorbell.get());
            continue;
        }
        if (!s.ready) {
            handshake(s);
            continue;
        }
        // After the handshake the app sends nothing more: readable means EOF (it exited or
        // was killed) or a protocol error; either way it goes.
        char byte = 0;
        const ssize_t got = ::recv(s.conn.get(), &byte, 1, MSG_DONTWAIT);
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        detach(s.id, got > 0 ? "a message after the handshake" : "its control socket closed");
    }
}

void Server::accept_apps() noexcept {
    for (int i = 0; i < 16; ++i) {
        UniqueFd c(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!c.valid()) return;
        // Connections that never finish a handshake must not pile up (fds, memory): past
        // twice max_apps a new one is closed at once (the client sees EOF).
        if (sessions_.size() >= 2 * size_t{config_.max_apps}) continue;
        auto s = std::make_unique<Session>();
        s->id = next_id_++;
        socklen_t len = sizeof s->cred;
        if (::getsockopt(c.get(), SOL_SOCKET, SO_PEERCRED, &s->cred, &len) < 0) continue;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = key(s->id, false);
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.get(), &ev) < 0) continue;
        s->conn = std::move(c);
        sessions_.emplace(s->id, std::move(s));
    }
}

void Server::handshake(Session& s) noexcept {
    Hello hello{};
    const ssize_t got = ::recv(s.conn.get(), &hello, sizeof hello, MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    Welcome w{kMagic, kVersion, 0, 0};
    if (got != static_cast<ssize_t>(sizeof hello) || hello.magic != kMagic ||
        hello.version != kVersion) {
        w.status = -EPROTO;
    } else if (sessions_.size() > config_.max_apps) {
        w.status = -EMFILE;
    }
    std::unique_ptr<Region> region;
    if (w.status == 0) {
        auto r = Region::create(Layout{});
        s.doorbell.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        s.wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        lib::InProcessConfig rc;
        rc.tcp.defaults = stack_.tcp().config().defaults;
        rc.max_sockets = config_.max_sockets_per_app;
        auto rt = lib::InProcessRuntime::borrow(stack_, rc);
        if (!r || !rt || !s.doorbell.valid() || !s.wake.valid()) {
            log::warn("attach: app pid {}: {}", s.cred.pid,
                      !r    ? r.error().message
                      : !rt ? rt.error().message
                            : "eventfd failed");
            w.status = -ENOMEM;
        } else {
            region = std::move(r).value();
            s.rt = std::move(rt).value();
            w.region_bytes = region->layout().region_bytes;
        }
    }
    msghdr msg{};
    iovec iov{&w, sizeof w};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))]{};
    if (w.status == 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
        const int fds[3] = {region->fd(), s.doorbell.get(), s.wake.get()};
        std::memcpy(CMSG_DATA(cm), fds, sizeof fds);
    }
    if (::sendmsg(s.conn.get(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) != sizeof w || w.status != 0) {
        detach(s.id, w.status != 0 ? "a rejected handshake" : "a failed handshake reply");
        return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = key(s.id, true);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, s.doorbell.get(), &ev) < 0) {
        detach(s.id, "epoll_ctl failed");
        return;
    }
    s.region = std::move(region);
    s.cmds = RingConsumer<Command>(s.region->command_control(), s.region->command_slots(),
                                   s.region->layout().command_capacity);
    s.cpls = RingProducer<Completion>(s.region->completion_control(), s.region->completion_slots(),
                                      s.region->layout().completion_capacity);
    s.ready = true;
    ++attached_total_;
    log::info("attach: app {} attached (pid {}, uid {}, gid {})", s.id, s.cred.pid, s.cred.uid,
              s.cred.gid);
}

void Server::detach(uint64_t id, const char* why) noexcept {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    Session& s = *it->second;
    // The doorbell fd lives on in the app (it has a copy): take it out of our epoll by hand,
    // closing our copy would not.
    if (s.doorbell.valid()) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s.doorbell.get(), nullptr);
    if (s.conn.valid()) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s.conn.get(), nullptr);
    size_t sockets = 0;
    if (s.rt != nullptr) {
        sockets = s.rt->open_sockets();
        s.rt->abort_all();  // RSTs leave in this poll's egress; the ports are free now
    }
    if (s.ready) {
        ++detached_total_;
        log::info("attach: app {} (pid {}) detached: {}; {} sockets closed", s.id, s.cred.pid, why,
                  sockets);
    }
    sessions_.erase(it);
}

void Server::count_bad(Session& s, BadCommand why) noexcept {
    ++s.bad[static_cast<size_t>(why)];
    ++bad_total_[static_cast<size_t>(why)];
}

void Server::signal(Session& s, bool always) noexcept {
    if (always || s.cpls.consumer_sleeping()) event_fd_signal(s.wake.get());
}

size_t Server::serve(Session& s) noexcept {
    size_t done = 0;
    bool posted = false;
    for (uint32_t k = 0; k < config_.commands_per_poll; ++k) {
        uint32_t free = 0;
        if (s.cpls.space(free) != RingStatus::ok) {
            count_bad(s, BadCommand::bad_ring);
            to_detach_.push_back(s.id);
            return done;
        }
        // Room for this command's completion and an arm's cancel: a full completion ring
        // stops reading this app's commands (it is not reading its completions).
        if (free < 2) break;
        Command c{};
        const RingStatus st = s.cmds.pop(c);
        if (st == RingStatus::empty) break;
        if (st != RingStatus::ok) {
            count_bad(s, BadCommand::bad_ring);
            to_detach_.push_back(s.id);
            return done;
        }
        Completion out{};
        out.seq = c.seq;
        out.op = c.op;
        execute(s, c, out);
        ++s.commands;
        ++done;
        if (c.op == static_cast<uint16_t>(Op::arm)) continue;  // answered when an event comes
        if (out.result < 0) ++s.errors;
        (void)s.cpls.push(out);  // space checked above
        posted = true;
    }
    if (posted) signal(s, false);
    return done;
}

void Server::check_armed(Session& s) noexcept {
    Event one[1];
    if (s.rt->collect_events(one) == 0) return;
    uint32_t free = 0;
    if (s.cpls.space(free) != RingStatus::ok || free == 0) return;
    Completion c{};
    c.seq = s.arm_seq;
    c.op = static_cast<uint16_t>(Op::arm);
    c.result = 1;
    (void)s.cpls.push(c);
    s.armed = false;
    log::debug("attach: app {}: arm {} fired", s.id, c.seq);
    signal(s, true);  // the app may sleep in its own epoll on this fd, flag or not
}

void Server::execute(Session& s, const Command& c, Completion& out) noexcept {
    lib::InProcessRuntime& rt = *s.rt;
    // The rooms a data command names, checked against the region (never the app's header).
    auto rooms = [&](uint8_t*& p) {
        p = s.region->rooms(c.room, c.len);
        if (p == nullptr) {
            count_bad(s, BadCommand::bad_room);
            out.result = -EFAULT;
        }
        return p != nullptr;
    };
    uint8_t* p = nullptr;
    Addr a{};
    switch (static_cast<Op>(c.op)) {
        case Op::events: {
            if (!rooms(p)) return;
            const size_t max = std::min<size_t>(c.len / sizeof(Event), kMaxEventsPerCommand);
            if (max == 0) {
                out.result = -EINVAL;
                return;
            }
            s.events.resize(max);
            const size_t n = rt.collect_events(std::span<Event>(s.events.data(), max));
            std::memcpy(p, s.events.data(), n * sizeof(Event));
            out.result = static_cast<int64_t>(n);
            if (s.armed) {  // the app is looking now: its arm is answered (cancelled)
                Completion cancel{};
                cancel.seq = s.arm_seq;
                cancel.op = static_cast<uint16_t>(Op::arm);
                (void)s.cpls.push(cancel);  // serve() kept a slot for it
                s.armed = false;
                log::debug("attach: app {}: arm {} cancelled, {} events", s.id, cancel.seq, n);
            }
            return;
        }
        case Op::arm:
            s.armed = true;
            s.arm_seq = c.seq;
            log::debug("attach: app {}: armed {}", s.id, c.seq);
            s.next_arm_check = Instant{};
            out.result = -EINPROGRESS;  // not posted now: check_armed() answers it
            return;
        case Op::interest:
            out.result = rt.interest(c.sock, c.arg);
            return;
        case Op::listen:
            out.result = rt.listen(c.port, static_cast<int>(std::min<uint32_t>(c.arg, 65535)));
            return;
        case Op::accept:
            out.result = rt.accept(c.sock, &a);
            out.ip = a.ip;
            out.port = a.port;
            return;
        case Op::connect: {
            int sock = -1;
            out.result = rt.connect(Addr{c.ip, c.port}, sock);
            out.sock = sock;
            return;
        }
        case Op::send:
            if (!rooms(p)) return;
            // arg 1: all or nothing (send_zc: the app keeps its buffer on EAGAIN).
            if (c.arg == 1) {
                const int64_t space = rt.send_space_of(c.sock);
                if (space >= 0 && space < static_cast<int64_t>(c.len)) {
                    out.result = -EAGAIN;
                    return;
                }
            }
            out.result = rt.send(c.sock, p, c.len);
            return;
        case Op::recv:
            if (!rooms(p)) return;
            out.result = rt.recv(c.sock, p, c.len);
            return;
        case Op::shutdown:
            out.result = rt.shutdown(c.sock, static_cast<int>(c.arg));
            return;
        case Op::close:
            out.result = rt.close(c.sock);
            return;
        case Op::setopt:
            out.result = rt.setopt(c.sock, static_cast<int>(c.arg), c.arg2);
            return;
        case Op::set_congestion: {
            char name[kMaxCongestionName + 1]{};
            std::memcpy(name, c.name, kMaxCongestionName);  // NUL-terminated here, whatever it sent
            out.result = rt.set_congestion(c.sock, name);
            return;
        }
        case Op::socket_error:
            out.result = rt.socket_error(c.sock);
            return;
        case Op::local_addr:
            out.result = rt.local_addr(c.sock, a);
            out.ip = a.ip;
            out.port = a.port;
            return;
        case Op::peer_addr:
            out.result = rt.peer_addr(c.sock, a);
            out.ip = a.ip;
            out.port = a.port;
            return;
        case Op::udp_bind:
            out.result = rt.udp_bind(c.port);
            return;
        case Op::sendto:
            if (!rooms(p)) return;
            out.result = rt.sendto(c.sock, p, c.len, Addr{c.ip, c.port});
            return;
        case Op::recvfrom:
            if (!rooms(p)) return;
            out.result = rt.recvfrom(c.sock, p, c.len, &a);
            out.ip = a.ip;
            out.port = a.port;
            return;
    }
    count_bad(s, BadCommand::unknown_op);
    out.result = -ENOSYS;
}

std::vector<AppInfo> Server::apps() {
    std::vector<AppInfo> out;
    for (auto& [id, s] : sessions_) {
        if (!s->ready) continue;
        AppInfo a;
        a.id = id;
        a.pid = s->cred.pid;
        a.uid = s->cred.uid;
        a.gid = s->cred.gid;
        a.sockets = static_cast<uint32_t>(s->rt->open_sockets());
        a.rooms = s->region->layout().room_count;
        a.commands = s->commands;
        a.errors = s->errors;
        a.bad = s->bad;
        for (const auto& i : s->rt->sockets_info()) {
            AppInfo::Socket k;
            k.handle = i.handle;
            k.kind = std::string(i.kind);
            k.state = std::string(i.state);
            k.local_ip = i.local.ip;
            k.local_port = i.local.port;
            k.remote_ip = i.remote.ip;
            k.remote_port = i.remote.port;
            k.recv_queued = i.recv_queued;
            k.send_queued = i.send_queued;
            k.pending = i.pending;
            a.socket_list.push_back(std::move(k));
        }
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace shunt::attach
