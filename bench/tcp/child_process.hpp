// A forked child running a function, killed and reaped by the destructor if still around,
// so no early return leaves a process behind.
#pragma once

#include "base/result.hpp"

#include <sys/types.h>

#include <chrono>
#include <functional>

namespace shunt::bench {

class ChildProcess {
  public:
    // Forks; the child runs fn and _exit()s with its return value (never returns here).
    static Result<ChildProcess> spawn(const std::function<int()>& fn);
    ChildProcess(ChildProcess&& o) noexcept;
    ChildProcess& operator=(ChildProcess&&) = delete;
    ChildProcess(const ChildProcess&) = delete;
    ~ChildProcess();

    // Exit code once it exited; an error if it did not within limit (it is then killed) or
    // died from a signal.
    Result<int> wait_for(std::chrono::milliseconds limit);
    pid_t pid() const { return pid_; }

  private:
    explicit ChildProcess(pid_t pid) : pid_(pid) {}
    pid_t pid_ = -1;
};

}  // namespace shunt::bench
