// Readiness translation between shunt's socket events (SHUNT_EV_*, shunt/shunt.h) and the
// poll(2)/epoll(7) bits a program asks for. Pure functions, so the unit tier checks them.
#pragma once

#include <shunt/shunt.h>

#include <poll.h>
#include <sys/epoll.h>

#include <cstdint>

namespace shunt::posix {

// What a socket is doing, as far as readiness goes (the layer's state machine).
enum class SockState : uint8_t {
    fresh,       // socket() done, not connected or listening: poll says POLLOUT|POLLHUP (Linux)
    listening,   // ACCEPT is POLLIN
    connecting,  // active open in flight: nothing until WRITABLE (connected) or ERROR
    connected,
    closed,  // the connection ended; what remains is read from the layer's buffer
};

// The shunt events that answer a poll request (POLLIN: data or a connection; POLLOUT: room).
constexpr uint32_t shunt_interest_of(uint32_t poll_events) noexcept {
    uint32_t ev = 0;
    if ((poll_events & (POLLIN | POLLRDNORM | POLLPRI | POLLRDHUP)) != 0) {
        ev |= SHUNT_EV_READABLE | SHUNT_EV_ACCEPT;
    }
    if ((poll_events & (POLLOUT | POLLWRNORM)) != 0) ev |= SHUNT_EV_WRITABLE;
    return ev;
}

// The poll bits of a socket (before masking with what was asked; POLLERR and POLLHUP are
// reported whatever the request, as poll(2) and epoll_wait(2) do).
//   shunt_ev: the events the stack reported for the socket just now (0 if none);
//   buffered: bytes or EOF the layer holds for it; error_pending: SO_ERROR is not 0.
constexpr uint32_t poll_bits(SockState state, uint32_t shunt_ev, bool buffered, bool error_pending,
                             bool wr_shut) noexcept {
    uint32_t bits = 0;
    switch (state) {
        case SockState::fresh:
            // Linux: an unconnected TCP socket polls POLLOUT|POLLHUP (tcp_poll).
            bits = POLLOUT | POLLWRNORM | POLLHUP;
            break;
        case SockState::listening:
            if ((shunt_ev & SHUNT_EV_ACCEPT) != 0) bits |= POLLIN | POLLRDNORM;
            break;
        case SockState::connecting:
        case SockState::connected:
            if ((shunt_ev & SHUNT_EV_READABLE) != 0 || buffered) bits |= POLLIN | POLLRDNORM;
            if ((shunt_ev & SHUNT_EV_WRITABLE) != 0 && !wr_shut) bits |= POLLOUT | POLLWRNORM;
            if ((shunt_ev & SHUNT_EV_CLOSED) != 0) bits |= POLLHUP | POLLIN | POLLRDHUP;
            if ((shunt_ev & SHUNT_EV_ERROR) != 0) bits |= POLLERR;
            break;
        case SockState::closed:
            // Linux after the connection ended: readable (EOF), writable (the write fails at
            // once), hung up; POLLERR while SO_ERROR is set.
            bits = POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM | POLLHUP;
            break;
    }
    if (error_pending) bits |= POLLERR;
    return bits;
}

// poll's bits and epoll's are the same values on Linux (EPOLLIN == POLLIN, ...).
static_assert(EPOLLIN == POLLIN && EPOLLOUT == POLLOUT && EPOLLERR == POLLERR &&
              EPOLLHUP == POLLHUP && EPOLLRDHUP == POLLRDHUP && EPOLLPRI == POLLPRI);

// What poll/epoll report for a request: the asked bits, plus POLLERR/POLLHUP always.
constexpr uint32_t reported(uint32_t bits, uint32_t asked) noexcept {
    return bits & (asked | POLLERR | POLLHUP);
}

}  // namespace shunt::posix
