#include "stack/stack.hpp"

#include "stack/wire/ipv4.hpp"

#include <sys/random.h>

#include <algorithm>

namespace shunt {

tcp::TcpConfig Stack::random_secret(tcp::TcpConfig config) noexcept {
    size_t got = 0;
    while (got < config.secret.size()) {
        const ssize_t n = ::getrandom(config.secret.data() + got, config.secret.size() - got, 0);
        if (n <= 0) break;  // only EINTR is possible for 16 bytes
        got += static_cast<size_t>(n);
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
    now_ = now;
    size_t work = iface_.poll_ingress(now);
    iface_.poll_timers();
    for (StackApp* app : apps_) work += app->run(now);
    return work + iface_.poll_egress();
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
