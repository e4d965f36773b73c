#include "tools/control/server.hpp"

#include "base/log.hpp"
#include "base/unix_listener.hpp"

#include <grp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace shunt::control {

namespace {

constexpr uint64_t kListenTag = 0;  // epoll data for the listening socket; clients are 1..
constexpr size_t kAcceptsPerPoll = 4;
constexpr size_t kReadPerPoll = 64 * 1024;

std::string errno_text() {
    return std::strerror(errno);
}

}  // namespace

std::string default_socket_path(const std::string& nic_spec) {
    std::string name = nic_spec;
    for (char& ch : name) {
        if (ch == ':' || ch == '/') ch = '-';
    }
    return "/run/shunt/" + name + ".sock";
}

ControlServer::ControlServer(ServerOptions options, ControlHandler& handler)
    : options_(std::move(options)), handler_(handler) {}

ControlServer::~ControlServer() {
    for (auto& c : clients_) handler_.client_gone(c->id);
    if (listen_.valid()) ::unlink(options_.path.c_str());
}

Result<std::unique_ptr<ControlServer>> ControlServer::open(const ServerOptions& options,
                                                           ControlHandler& handler) {
    UnixListenOptions lo;
    lo.path = options.path;
    lo.what = "control socket";
    lo.group = options.group;
    auto fd = listen_unix(lo);
    if (!fd) return fd.error();
    std::unique_ptr<ControlServer> server(new ControlServer(options, handler));
    server->listen_ = std::move(fd).value();
    server->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!server->epoll_.valid()) return make_error("epoll_create1: {}", errno_text());
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenTag;
    if (::epoll_ctl(server->epoll_.get(), EPOLL_CTL_ADD, server->listen_.get(), &ev) != 0) {
        return make_error("epoll_ctl: {}", errno_text());
    }
    return server;
}

void ControlServer::accept_some() {
    for (size_t i = 0; i < kAcceptsPerPoll; ++i) {
        UniqueFd fd(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd.valid()) return;  // EAGAIN, or the peer went away already
        if (clients_.size() >= options_.max_clients) {
            ++counters_.refused;
            const std::string line =
                reply_error(nullptr, ErrorCode::busy, "too many control clients");
            [[maybe_unused]] ssize_t n = ::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL);
            log::warn("control: refused a client: {} already connected", clients_.size());
            continue;
        }
        ucred cred{};
        socklen_t len = sizeof(cred);
        if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) cred = ucred{};
        auto c = std::make_unique<Client>();
        c->id = next_id_++;
        c->fd = std::move(fd);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = c->id;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c->fd.get(), &ev) != 0) continue;
        ++counters_.accepted;
        log::info("control: client {} connected (pid {} uid {} gid {})", c->id, cred.pid, cred.uid,
                  cred.gid);
        clients_.push_back(std::move(c));
    }
}

bool ControlServer::serve(Client& c, bool readable) {
    size_t budget = options_.requests_per_poll;
    auto take_lines = [&]() -> bool {
        while (budget > 0 && !c.closing) {
            auto next = c.in.next();
            if (std::holds_alternative<std::nullopt_t>(next)) return true;
            if (std::holds_alternative<LineBuffer::Overflow>(next)) {
                ++counters_.oversize_lines;
                c.out += reply_error(nullptr, ErrorCode::line_too_long,
                                     "request line longer than 65536 bytes; closing");
                c.closing = true;
                return true;
            }
            --budget;
            const std::string& line = std::get<std::string>(next);
            if (line.empty()) continue;
            auto parsed = parse_request(line);
            if (auto* e = std::get_if<ProtocolError>(&parsed)) {
                ++counters_.bad_lines;
                c.out += reply_error(e->id, e->code, e->message + "; closing");
                c.closing = true;
                return true;
            }
            ++counters_.requests;
            c.out += handler_.handle(std::get<Request>(parsed), c.id);
        }
        return true;
    };
    take_lines();
    if (readable && budget > 0 && !c.closing) {
        std::array<char, 16 * 1024> buf;
        size_t got = 0;
        while (got < kReadPerPoll) {
            const ssize_t n = ::read(c.fd.get(), buf.data(), buf.size());
            if (n == 0) return false;  // the client closed: unread replies go nowhere
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                return false;
            }
            c.in.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
            got += static_cast<size_t>(n);
            take_lines();
            if (budget == 0 || c.closing) break;
        }
    }
    if (budget == 0) backlog_ = true;
    if (c.out.size() - c.out_sent > options_.max_pending_output) {
        ++counters_.slow_clients;
        log::warn("control: client {} does not read its replies; dropped", c.id);
        return false;
    }
    return flush(c);
}

bool ControlServer::flush(Client& c) {
    while (c.out_sent < c.out.size()) {
        const ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_sent, c.out.size() - c.out_sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            return false;
        }
        c.out_sent += static_cast<size_t>(n);
    }
    if (c.out_sent == c.out.size()) {
        c.out.clear();
        c.out_sent = 0;
        if (c.closing) return false;
    }
    update_interest(c);
    return true;
}

void ControlServer::update_interest(Client& c) {
    const bool want = !c.out.empty();
    if (want == c.want_out) return;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.u64 = c.id;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
    c.want_out = want;
}

void ControlServer::drop(size_t index) {
    const uint64_t id = clients_[index]->id;
    handler_.client_gone(id);
    ++counters_.closed;
    log::info("control: client {} gone", id);
    clients_.erase(clients_.begin() + static_cast<ptrdiff_t>(index));  // closes its fd
}

bool ControlServer::poll() {
    std::array<epoll_event, 16> events;
    const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 0);
    const bool had_backlog = backlog_;
    backlog_ = false;
    std::vector<uint64_t> readable;
    for (size_t i = 0; i < static_cast<size_t>(std::max(n, 0)); ++i) {
        if (events[i].data.u64 == kListenTag) {
            accept_some();
        } else {
            readable.push_back(events[i].data.u64);
        }
    }
    // Every client with events, and (after a poll that hit a budget) every client, once.
    for (size_t i = 0; i < clients_.size();) {
        Client& c = *clients_[i];
        const bool ready = std::find(readable.begin(), readable.end(), c.id) != readable.end();
        if ((ready || had_backlog) && !serve(c, ready)) {
            drop(i);
            continue;
        }
        ++i;
    }
    return backlog_;
}

Json ControlServer::counters_json() const {
    const ServerCounters& c = counters_;
    return Json{{"clients", clients_.size()},     {"accepted", c.accepted},
                {"refused", c.refused},           {"requests", c.requests},
                {"bad_lines", c.bad_lines},       {"oversize_lines", c.oversize_lines},
                {"slow_clients", c.slow_clients}, {"closed", c.closed}};
}

}  // namespace shunt::control
