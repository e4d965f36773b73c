#include "tools/subprocess.hpp"

#include "base/unique_fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

extern char** environ;

namespace shunt::tools {

std::string command_line(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
    return s;
}

Result<CommandResult> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout, size_t max_output) {
    if (argv.empty()) return make_error("run_command: empty argv");
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return make_error("pipe: {}", std::strerror(errno));
    UniqueFd out_rd(out_pipe[0]), out_wr(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) return make_error("pipe: {}", std::strerror(errno));
    UniqueFd err_rd(err_pipe[0]), err_wr(err_pipe[1]);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_wr.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, err_wr.get(), 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    out_wr.reset();
    err_wr.reset();
    if (rc != 0) return make_error("cannot run '{}': {}", argv[0], std::strerror(rc));

    CommandResult r;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool out_open = true;
    bool err_open = true;
    auto drain = [&](UniqueFd& fd, std::string& into, bool& open) {
        char buf[65536];
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n <= 0) {
            if (n == 0 || (errno != EINTR && errno != EAGAIN)) open = false;
            return;
        }
        const size_t room = max_output > into.size() ? max_output - into.size() : 0;
        const size_t take = std::min(room, static_cast<size_t>(n));
        into.append(buf, take);
        if (take < static_cast<size_t>(n)) r.truncated = true;
    };
    while (out_open || err_open) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            return make_error("'{}' did not finish within {} s", command_line(argv),
                              timeout.count() / 1000);
        }
        pollfd fds[2] = {{out_open ? out_rd.get() : -1, POLLIN, 0},
                         {err_open ? err_rd.get() : -1, POLLIN, 0}};
        const int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 200)));
        if (n < 0 && errno != EINTR) break;
        if (fds[0].revents != 0) drain(out_rd, r.out, out_open);
        if (fds[1].revents != 0) drain(err_rd, r.err, err_open);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace shunt::tools
