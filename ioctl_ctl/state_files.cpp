// The state directory's files: atomic writes, durable removal, the lock.
#include "base/unique_fd.hpp"
#include "ioctl_ctl/sysfs.hpp"
#include "ioctl_ctl/undo_log.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>

namespace shunt::ctl {
namespace {

std::string parent_dir(const std::string& path) {
    auto p = std::filesystem::path(path).parent_path().string();
    return p.empty() ? "." : p;
}

Status fsync_dir(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return make_error("{}: {}", dir, std::strerror(errno));
    if (::fsync(fd.get()) != 0) return make_error("fsync {}: {}", dir, std::strerror(errno));
    return {};
}

Status write_all(int fd, std::string_view content, const std::string& path) {
    size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error("writing {}: {}", path, std::strerror(errno));
        }
        done += static_cast<size_t>(n);
    }
    return {};
}

}  // namespace

Status make_dirs(const std::string& dir) {
    // Component by component with an explicit mode: create_directories would take the umask's.
    std::string prefix;
    for (const auto& part : std::filesystem::path(dir)) {
        prefix = prefix.empty() ? part.string() : (std::filesystem::path(prefix) / part).string();
        if (part == "/" || part.empty()) continue;
        if (::mkdir(prefix.c_str(), 0755) == 0) {
            if (::chmod(prefix.c_str(), 0755) != 0) {
                return make_error("creating {}: chmod: {}", prefix, std::strerror(errno));
            }
            continue;
        }
        if (errno == EEXIST) {
            struct stat st {};
            if (::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
            return make_error("creating {}: {} exists and is not a directory", dir, prefix);
        }
        return make_error("creating {}: {}", prefix, std::strerror(errno));
    }
    return {};
}

Result<std::string> random_temp_name(const std::string& path) {
    uint64_t r = 0;
    size_t got = 0;
    auto* bytes = reinterpret_cast<unsigned char*>(&r);
    for (int attempts = 0; got < sizeof r; ++attempts) {
        const ssize_t n = ::getrandom(bytes + got, sizeof r - got, 0);
        if (n > 0) {
            got += static_cast<size_t>(n);
            continue;
        }
        const int err = n < 0 ? errno : EIO;
        if (err == EINTR && attempts < 1000) continue;
        return make_error("getrandom failed ({}): no unpredictable temp name for {}",
                          std::strerror(err), path);
    }
    return fmt::format("{}.tmp.{:016x}", path, r);
}

Status check_state_dir(const std::string& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return make_error("{}: {}", dir, std::strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        return make_error(
            "state directory {} is a symbolic link: refusing to keep undo logs there (use the "
            "real path, --state-dir)",
            dir);
    }
    if (!S_ISDIR(st.st_mode)) return make_error("state directory {} is not a directory", dir);
    if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
        return make_error(
            "state directory {} is owned by uid {}, not root or this user (uid {}): another "
            "user could change the undo logs (chown {} {})",
            dir, st.st_uid, ::geteuid(), ::geteuid(), dir);
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        return make_error(
            "state directory {} is writable by group or others (mode {:04o}): another user "
            "could change the undo logs (chmod go-w {})",
            dir, st.st_mode & 07777, dir);
    }
    return {};
}

Status write_file_atomic(const std::string& path, std::string_view content,
                         const AtomicWrite& how) {
    const std::string dir = parent_dir(path);
    if (how.make_dirs) {
        if (auto s = make_dirs(dir); !s) return s;
    }
    if (how.check_dir) {
        if (auto s = check_state_dir(dir); !s) return s;
    }
    // A random name with O_EXCL|O_NOFOLLOW: a predictable one (PATH.tmp.PID) could be
    // pre-created, or made a symlink, by anyone who can write to the directory.
    std::string tmp;
    UniqueFd fd;
    for (int attempt = 0; attempt < 8 && !fd.valid(); ++attempt) {
        auto name = random_temp_name(path);
        if (!name) return name.error();
        tmp = std::move(name).value();
        fd = UniqueFd(
            ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, how.mode));
        if (!fd.valid() && errno != EEXIST) {
            return make_error("{}: {}", tmp, std::strerror(errno));
        }
    }
    if (!fd.valid()) return make_error("{}: could not create a temp file next to it", path);
    auto fail = [&](std::string message) -> Status {
        ::unlink(tmp.c_str());
        return Error{std::move(message)};
    };
    // open(2)'s mode went through the umask: set it exactly.
    if (::fchmod(fd.get(), how.mode) != 0) {
        return fail(fmt::format("chmod {}: {}", tmp, std::strerror(errno)));
    }
    if (auto s = write_all(fd.get(), content, tmp); !s) return fail(s.error().message);
    if (how.durable && ::fsync(fd.get()) != 0) {
        return fail(fmt::format("fsync {}: {}", tmp, std::strerror(errno)));
    }
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        return fail(fmt::format("renaming {} to {}: {}", tmp, path, std::strerror(errno)));
    }
    return how.durable ? fsync_dir(dir) : Status{};
}

Status remove_file_durable(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return make_error("removing {}: {}", path, std::strerror(errno));
    }
    return fsync_dir(parent_dir(path));
}

Result<StateLock> StateLock::acquire(const std::string& state) {
    if (auto s = make_dirs(state); !s) return s.error();
    if (auto s = check_state_dir(state); !s) return s.error();
    const std::string path = state + "/lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return make_error("{}: {}", path, std::strerror(errno));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) return make_error("locking {}: {}", path, std::strerror(errno));
        // Another shuntctl is changing the host: wait for it rather than interleave.
        if (::flock(fd.get(), LOCK_EX) != 0) {
            return make_error("locking {}: {}", path, std::strerror(errno));
        }
    }
    return StateLock(std::move(fd));
}

Result<uint64_t> current_netns() {
    struct stat st {};
    if (::stat("/proc/self/ns/net", &st) != 0) {
        return make_error("/proc/self/ns/net: {}", std::strerror(errno));
    }
    return static_cast<uint64_t>(st.st_ino);
}

}  // namespace shunt::ctl

namespace shunt::ctl {

uint64_t current_netns_cookie() {
#ifndef SO_NETNS_COOKIE
    constexpr int SO_NETNS_COOKIE = 71;  // linux/asm-generic/socket.h, Linux 5.14
#endif
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return 0;
    uint64_t cookie = 0;
    socklen_t len = sizeof cookie;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0) return 0;
    return cookie;
}

std::string current_boot_id() {
    auto id = read_text("/proc/sys/kernel/random/boot_id");
    return id ? id.value() : std::string();
}

namespace {

// SO_NETNS_COOKIE of the namespace at PATH (a /proc/PID/ns/net or a bind mount of one),
// read by a child that enters it (setns needs CAP_SYS_ADMIN; without it: nullopt).
std::optional<uint64_t> netns_cookie_of(const std::string& path) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
    UniqueFd rd(fds[0]), wr(fds[1]);
    const pid_t child = ::fork();
    if (child < 0) return std::nullopt;
    if (child == 0) {
        uint64_t cookie = 0;
        const int ns = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (ns >= 0 && ::setns(ns, CLONE_NEWNET) == 0) cookie = current_netns_cookie();
        const ssize_t n = ::write(wr.get(), &cookie, sizeof cookie);
        ::_exit(n == sizeof cookie ? 0 : 1);
    }
    wr.reset();
    uint64_t cookie = 0;
    ssize_t n = 0;
    do {
        n = ::read(rd.get(), &cookie, sizeof cookie);
    } while (n < 0 && errno == EINTR);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (n != sizeof cookie || cookie == 0) return std::nullopt;
    return cookie;
}

}  // namespace

bool netns_exists(uint64_t inode, uint64_t cookie) {
    // Namespace inodes are reused once a namespace is gone; the cookie is not. A candidate
    // with the inode is the namespace only if its cookie matches (when the log has one).
    auto matches = [&](const std::string& path) {
        if (cookie == 0) return true;
        const auto c = netns_cookie_of(path);
        return !c || *c == cookie;  // cannot tell: assume it is (never call a live log stale)
    };
    if (auto self = current_netns(); self && self.value() == inode) {
        return cookie == 0 || current_netns_cookie() == 0 || current_netns_cookie() == cookie;
    }
    // Bind mounts (ip netns add): mountinfo's root field reads "net:[INODE]", the mount point
    // is the fifth field.
    if (auto mi = read_text("/proc/self/mountinfo", size_t{64} << 20)) {
        std::istringstream lines(mi.value());
        std::string line;
        const std::string tag = fmt::format("net:[{}]", inode);
        while (std::getline(lines, line)) {
            std::istringstream f(line);
            std::string id, parent, dev, root, mount_point;
            if (!(f >> id >> parent >> dev >> root >> mount_point) || root != tag) continue;
            if (matches(mount_point)) return true;
        }
    }
    for (const auto& pid : list_dir("/proc")) {
        if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
        struct stat st {};
        const std::string ns = "/proc/" + pid + "/ns/net";
        if (::stat(ns.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_ino) == inode &&
            matches(ns)) {
            return true;
        }
    }
    return false;
}

}  // namespace shunt::ctl
