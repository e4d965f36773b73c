// What the mains that run a Stack share around its poll loop: sleeping until a deadline with
// microsecond precision, and the bounded shutdown that puts the RSTs of open connections on
// the wire before the process (and with it the NIC) goes away.
#pragma once

#include "base/time.hpp"

#include <time.h>

#include <cstddef>

namespace shunt {
class Stack;
}

namespace shunt::tools {

// The wait from `now` until `wake` for ppoll/epoll_pwait2 (0 when wake has passed).
timespec timespec_until(Instant now, Instant wake) noexcept;

// Aborts every connection and polls until egress has handed all their RSTs to the NIC, at
// most `max_polls` polls and `limit` of wall time (a NIC that takes nothing must not keep the
// process from exiting). Returns whether everything went out.
bool shutdown_stack(Stack& stack, size_t max_polls = 1000,
                    Duration limit = Duration(200'000)) noexcept;

}  // namespace shunt::tools
