// The daemon's side of the attached deployment (docs/libshunt.md): a StackApp that serves
// applications attached over a Unix control socket. Each app gets its own region (rings and
// rooms, lib/attach/region.hpp), its own handle table over the daemon's Stack (an
// InProcessRuntime borrowing it), and is served a bounded number of commands per poll so that
// no app can hold the others (or the daemon) up. Nothing an app writes is trusted: ring
// indices and (room, len) pairs are bounded before use, bad commands are answered with an
// error and counted by reason, an impossible ring index detaches the app.
//
// Crash isolation: an app's control socket stays open while it lives; EOF (exit, SIGKILL)
// resets its connections (RST), closes its listeners and UDP ports, and unmaps its region.
// The ports can be bound again at once.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "base/unique_fd.hpp"
#include "lib/attach/protocol.hpp"
#include "stack/stack.hpp"

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace shunt::lib {
class InProcessRuntime;
}

namespace shunt::attach {

struct ServerConfig {
    std::string socket_path;              // created (a stale one replaced), mode 0660
    std::string socket_group;             // empty: `shunt` if it exists (base/unix_listener.hpp)
    uint32_t commands_per_poll = 64;      // per app per poll: fairness between apps
    uint32_t max_apps = 64;               // past it, an app's hello gets -EMFILE
    uint32_t max_sockets_per_app = 4096;  // each app's handle table
    Duration control_period = Duration(500);  // how often the control socket is looked at
};

// What an operator sees of one app (for `shuntctl apps` / `shuntctl connections`).
struct AppInfo {
    uint64_t id = 0;
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    uint32_t sockets = 0;
    uint32_t rooms =
        0;  // rooms of its region (all the app's; the daemon holds none between commands)
    uint64_t commands = 0;
    uint64_t errors = 0;  // commands answered with an error
    std::array<uint64_t, static_cast<size_t>(BadCommand::count)> bad{};
    struct Socket {
        int handle = 0;
        std::string kind;
        std::string state;
        uint32_t local_ip = 0, remote_ip = 0;
        uint16_t local_port = 0, remote_port = 0;
        uint64_t recv_queued = 0, send_queued = 0;
        uint32_t pending = 0;
    };
    std::vector<Socket> socket_list;
};

class Server final : public StackApp {
  public:
    // Binds the socket and registers with the stack (which it must not outlive).
    static Result<std::unique_ptr<Server>> start(Stack& stack, const ServerConfig& config);
    ~Server() override;
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    size_t run(Instant now) noexcept override;

    // One fd for the daemon's sleep: readable when an app connects, hangs up or rings its
    // doorbell. The daemon calls prepare_sleep() first: false means work arrived (do not sleep).
    int wait_fd() const noexcept { return epoll_.get(); }
    bool prepare_sleep() noexcept;

    std::vector<AppInfo> apps();
    size_t app_count() const noexcept { return sessions_.size(); }
    // Totals over every app that has come and gone.
    uint64_t attached_total() const noexcept { return attached_total_; }
    uint64_t detached_total() const noexcept { return detached_total_; }
    const std::array<uint64_t, static_cast<size_t>(BadCommand::count)>& bad_total() const noexcept {
        return bad_total_;
    }

    struct Session;

  private:
    Server(Stack& stack, const ServerConfig& config);
    Status bind_socket();
    void control(Instant now) noexcept;
    void accept_apps() noexcept;
    void handshake(Session& s) noexcept;
    void detach(uint64_t id, const char* why) noexcept;
    size_t serve(Session& s) noexcept;
    void execute(Session& s, const Command& c, Completion& out) noexcept;
    void check_armed(Session& s) noexcept;
    void signal(Session& s, bool always) noexcept;
    void count_bad(Session& s, BadCommand why) noexcept;

    Stack& stack_;
    ServerConfig config_;
    UniqueFd listen_;
    UniqueFd epoll_;
    std::map<uint64_t, std::unique_ptr<Session>> sessions_;
    uint64_t next_id_ = 1;
    Instant next_control_{};
    uint64_t attached_total_ = 0;
    uint64_t detached_total_ = 0;
    std::array<uint64_t, static_cast<size_t>(BadCommand::count)> bad_total_{};
    std::vector<uint64_t> to_detach_;
};

}  // namespace shunt::attach
