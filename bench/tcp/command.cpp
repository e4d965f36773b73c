#include "bench/tcp/command.hpp"

#include "base/unique_fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

extern char** environ;

namespace shunt::bench {

namespace {
constexpr auto kCommandTimeout = std::chrono::seconds(20);

std::string joined(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
    return s;
}
}  // namespace

Status run_command(const std::vector<std::string>& argv) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return make_error("pipe: {}", std::strerror(errno));
    UniqueFd rd(p[0]), wr(p[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    wr.reset();
    if (rc != 0) return make_error("cannot run '{}': {}", joined(argv), std::strerror(rc));

    std::string err;
    const auto deadline = std::chrono::steady_clock::now() + kCommandTimeout;
    int status = 0;
    for (;;) {
        pollfd pfd{rd.get(), POLLIN, 0};
        if (::poll(&pfd, 1, 50) > 0) {
            char buf[512];
            ssize_t n = ::read(rd.get(), buf, sizeof buf);
            if (n > 0) err.append(buf, static_cast<size_t>(n));
        }
        pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return make_error("'{}' did not finish within {} s", joined(argv),
                              kCommandTimeout.count());
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return make_error("'{}' failed: {}", joined(argv), err.empty() ? "no message" : err);
}

}  // namespace shunt::bench
