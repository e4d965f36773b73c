// A listening Unix socket for the daemon's local clients (operators on the control socket,
// applications on the app socket): one way to create it, so both get the same rules.
//
// - The file is created with its final mode (0660) by bind itself under a narrowed umask, never
//   widened and then narrowed, so nobody outside the group gets a window to connect. umask is
//   process-wide: call this before other threads exist (the daemon's start-up).
// - Its group is the one named (an error if it does not exist), else `shunt` when the system has
//   it (the service unit's group, docs/service.md), else the daemon's own.
// - A socket file a dead daemon left behind is replaced; one a live daemon answers is not, and
//   nothing that is not a socket is ever removed.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

namespace shunt {

struct UnixListenOptions {
    std::string path;
    std::string what = "socket";  // "control socket", "app socket": the start of every error
    int type = SOCK_STREAM;       // SOCK_STREAM or SOCK_SEQPACKET
    std::string group;            // empty: `shunt` if it exists
    int backlog = 16;
};

namespace unix_listener_detail {

inline std::string errno_text() {
    return std::strerror(errno);
}

inline Result<std::optional<gid_t>> group_id(const std::string& what, const std::string& name) {
    const std::string want = name.empty() ? "shunt" : name;
    std::array<char, 4096> buf{};
    group g{};
    group* found = nullptr;
    if (::getgrnam_r(want.c_str(), &g, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
        if (name.empty()) return std::optional<gid_t>{};
        return make_error("{} group '{}' does not exist", what, name);
    }
    return std::optional<gid_t>{found->gr_gid};
}

}  // namespace unix_listener_detail

// A non-blocking, close-on-exec socket listening on o.path, mode 0660.
inline Result<UniqueFd> listen_unix(const UnixListenOptions& o) {
    using unix_listener_detail::errno_text;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (o.path.empty() || o.path.size() >= sizeof addr.sun_path) {
        return make_error("{} path '{}': expected 1-{} bytes", o.what, o.path,
                          sizeof addr.sun_path - 1);
    }
    std::memcpy(addr.sun_path, o.path.data(), o.path.size());
    auto gid = unix_listener_detail::group_id(o.what, o.group);
    if (!gid) return gid.error();
    // The directory: /run/shunt is made by the service unit (0750); by hand, 0755.
    if (const size_t slash = o.path.rfind('/'); slash != std::string::npos && slash > 0) {
        const std::string dir = o.path.substr(0, slash);
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
            return make_error("{} directory {}: {}", o.what, dir, errno_text());
        }
    }
    struct stat st {};
    if (::lstat(o.path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            return make_error("{} {}: exists and is not a socket (not removed)", o.what, o.path);
        }
        UniqueFd probe(::socket(AF_UNIX, o.type | SOCK_CLOEXEC, 0));
        if (!probe.valid()) return make_error("{}: socket: {}", o.what, errno_text());
        if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
            return make_error("{} {}: another daemon is serving it", o.what, o.path);
        }
        if (::unlink(o.path.c_str()) != 0 && errno != ENOENT) {
            return make_error("{} {}: removing the stale socket: {}", o.what, o.path, errno_text());
        }
    } else if (errno != ENOENT) {
        return make_error("{} {}: {}", o.what, o.path, errno_text());
    }
    UniqueFd fd(::socket(AF_UNIX, o.type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return make_error("{}: socket: {}", o.what, errno_text());
    const mode_t old = ::umask(0117);
    const int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const int bind_errno = errno;
    ::umask(old);
    if (rc != 0) return make_error("{} {}: bind: {}", o.what, o.path, std::strerror(bind_errno));
    // From here on the file is ours: a failure removes it.
    auto undo = [&](std::string message) {
        ::unlink(o.path.c_str());
        return Error{std::move(message)};
    };
    if (gid.value() && ::chown(o.path.c_str(), static_cast<uid_t>(-1), *gid.value()) != 0) {
        return undo(fmt::format("{} {}: chown to group {}: {}", o.what, o.path, *gid.value(),
                                errno_text()));
    }
    if (::chmod(o.path.c_str(), 0660) != 0) {
        return undo(fmt::format("{} {}: chmod: {}", o.what, o.path, errno_text()));
    }
    if (::listen(fd.get(), o.backlog) != 0) {
        return undo(fmt::format("{} {}: listen: {}", o.what, o.path, errno_text()));
    }
    return fd;
}

}  // namespace shunt
