// Waking a thread or process through an eventfd(2): signal adds one, drain reads the count
// back to zero. Both ignore the result: a full counter is already "signalled", and an empty
// one (EAGAIN on a non-blocking fd) is already drained.
#pragma once

#include <unistd.h>

#include <cstdint>

namespace shunt {

inline void event_fd_signal(int fd) noexcept {
    const uint64_t one = 1;
    (void)!::write(fd, &one, sizeof one);
}

inline void event_fd_drain(int fd) noexcept {
    uint64_t count = 0;
    (void)!::read(fd, &count, sizeof count);
}

}  // namespace shunt
