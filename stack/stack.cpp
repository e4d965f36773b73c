#include "stack/stack.hpp"
#include "base/probes.hpp"

#include "stack/wire/ipv4.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include <algorithm>

namespace shunt {

Result<tcp::TcpConfig> Stack::random_secret(tcp::TcpConfig config) noexcept {
    // getrandom(2) blocks until the CSPRNG is seeded and, for up to 256 bytes, returns them
    // all unless a signal interrupts it (EINTR), which is retried. Anything else (ENOSYS on a
    // pre-3.17 kernel, EFAULT, a seccomp filter) is an error: a zero or partial secret would
    // make ISNs and SYN cookies predictable (RFC 6528 section 3), so the caller must stop.
    size_t got = 0;
    for (int attempts = 0; got < config.secret.size(); ++attempts) {
        const ssize_t n = ::getrandom(config.secret.data() + got, config.secret.size() - got, 0);
        if (n > 0) {
            got += static_cast<size_t>(n);
            continue;
        }
        const int err = n < 0 ? errno : EIO;
        // Bounded: a signal storm must not keep us here for ever.
        if (err == EINTR && attempts < 1000) continue;
        return make_error("getrandom failed ({}): no secret for TCP ISNs and SYN cookies",
                          std::strerror(err));
    }
    return config;
}

Stack::Stack(Nic& nic, uint16_t queue, InterfaceConfig iface, tcp::TcpConfig tcp)
    : iface_(nic, queue, iface), tcp_(iface_, tcp) {
    iface_.set_protocol_handler(wire::ip_proto::tcp, &tcp_);
}

Stack::~Stack() {
    iface_.set_protocol_handler(wire::ip_proto::tcp, nullptr);
}

void Stack::add_app(StackApp& app) {
    apps_.push_back(&app);
}

void Stack::remove_app(StackApp& app) noexcept {
    std::erase(apps_, &app);
}

size_t Stack::poll(Instant now) noexcept {
    probe::poll_begin(iface_.queue());
    now_ = now;
    size_t work = iface_.poll_ingress(now);
    iface_.poll_timers();
    for (StackApp* app : apps_) {
        const size_t n = app->run(now);
        if (n > 0) probe::app_event(reinterpret_cast<uintptr_t>(app), n);
        work += n;
    }
    work += iface_.poll_egress();
    probe::poll_end(iface_.queue(), work);
    return work;
}

bool Stack::shutdown_step(Instant now) noexcept {
    const size_t left = tcp_.abort_connections();
    poll(now);
    return left == 0 && !tcp_.egress_pending() && iface_.tx_waiting() == 0;
}

std::optional<Instant> Stack::next_deadline() const noexcept {
    return iface_.next_deadline();
}

}  // namespace shunt
