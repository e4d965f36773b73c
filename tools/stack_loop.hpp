// What the mains that run a Stack share around its poll loop: sleeping until a deadline with
// microsecond precision, and the bounded shutdown that puts the RSTs of open connections on
// the wire before the process (and with it the NIC) goes away.
#pragma once

#include "base/time.hpp"
#include "driver/nic.hpp"

#include <time.h>

#include <cstddef>
#include <string>

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

// Asks a NIC about its device at most once per `period` (for a PCI NIC a status-register read
// and an eventfd read: too dear for every poll). Every tool's main loop keeps one per NIC: a
// device that is gone, or that the kernel asks back (an unbind or unplug waiting), ends the
// loop; the tool then destroys the NIC, which releases the device, and exits 1 with message().
// Header-only so the tools without a Stack use it too.
class NicWatch {
  public:
    explicit NicWatch(Nic& nic, Duration period = Duration(100'000)) : nic_(nic), period_(period) {}
    // False once the device must be given up.
    bool ok(Instant now) {
        if (health_ != NicHealth::ok || now < next_) return health_ == NicHealth::ok;
        next_ = now + period_;
        health_ = nic_.health();
        return health_ == NicHealth::ok;
    }
    NicHealth health() const { return health_; }
    std::string message() const { return nic_.health_message(); }

  private:
    Nic& nic_;
    Duration period_;
    Instant next_{};
    NicHealth health_ = NicHealth::ok;
};

}  // namespace shunt::tools
