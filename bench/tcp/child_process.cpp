#include "bench/tcp/child_process.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility>

namespace shunt::bench {

Result<ChildProcess> ChildProcess::spawn(const std::function<int()>& fn) {
    std::fflush(nullptr);  // nothing buffered gets printed twice
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return make_error("fork: {}", std::strerror(errno));
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the benchmark
        if (::getppid() != parent) ::_exit(120);
        int code = fn();
        std::fflush(nullptr);
        ::_exit(code);
    }
    return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept : pid_(std::exchange(o.pid_, -1)) {}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

Result<int> ChildProcess::wait_for(std::chrono::milliseconds limit) {
    if (pid_ <= 0) return make_error("no child process");
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    for (;;) {
        pid_t w = ::waitpid(pid_, &status, WNOHANG);
        if (w == pid_) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
            pid_ = -1;
            return make_error("child process did not finish within {} ms", limit.count());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    if (WIFSIGNALED(status))
        return make_error("child process died from signal {}", WTERMSIG(status));
    return WEXITSTATUS(status);
}

}  // namespace shunt::bench
