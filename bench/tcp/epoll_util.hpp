// Small RAII helpers for the epoll-based socket workloads.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cstdint>
#include <span>
#include <vector>

namespace shunt::bench {

class Epoll {
  public:
    Epoll() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {}
    bool valid() const { return fd_.valid(); }
    bool add(int fd, uint32_t events) { return ctl(EPOLL_CTL_ADD, fd, events); }
    bool modify(int fd, uint32_t events) { return ctl(EPOLL_CTL_MOD, fd, events); }
    // Returns the number of events, 0 on timeout or EINTR.
    size_t wait(std::span<epoll_event> events, int timeout_ms) {
        int n = ::epoll_wait(fd_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
        return n > 0 ? static_cast<size_t>(n) : 0;
    }

  private:
    bool ctl(int op, int fd, uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        return ::epoll_ctl(fd_.get(), op, fd, &ev) == 0;
    }
    UniqueFd fd_;
};

// Owns the connection fds of one side by number (a closed fd leaves epoll by itself); per-fd
// state lives in a vector indexed the same way.
template <typename State>
class ConnTable {
  public:
    ConnTable() = default;
    ConnTable(const ConnTable&) = delete;
    ConnTable& operator=(const ConnTable&) = delete;
    ~ConnTable() {
        for (size_t fd = 0; fd < open_.size(); ++fd) {
            if (open_[fd]) ::close(static_cast<int>(fd));
        }
    }
    State& adopt(int fd) {
        auto i = static_cast<size_t>(fd);
        if (i >= open_.size()) {
            open_.resize(i + 1, false);
            state_.resize(i + 1);
        }
        open_[i] = true;
        state_[i] = State{};
        ++count_;
        return state_[i];
    }
    bool is_open(int fd) const {
        auto i = static_cast<size_t>(fd);
        return i < open_.size() && open_[i];
    }
    State& at(int fd) { return state_[static_cast<size_t>(fd)]; }
    void close(int fd) {
        if (!is_open(fd)) return;
        open_[static_cast<size_t>(fd)] = false;
        --count_;
        ::close(fd);
    }
    size_t count() const { return count_; }

  private:
    std::vector<bool> open_;
    std::vector<State> state_;
    size_t count_ = 0;
};

}  // namespace shunt::bench
