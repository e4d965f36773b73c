// The state directory's files: atomic writes, durable removal, the lock.
#include "base/unique_fd.hpp"
#include "ioctl_ctl/undo_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

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

Status write_all(int fd, const std::string& content, const std::string& path) {
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
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error("creating {}: {}", dir, ec.message());
    return {};
}

Status write_file_atomic(const std::string& path, const std::string& content) {
    const std::string dir = parent_dir(path);
    if (auto s = make_dirs(dir); !s) return s;
    const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) return make_error("{}: {}", tmp, std::strerror(errno));
    if (auto s = write_all(fd.get(), content, tmp); !s) {
        ::unlink(tmp.c_str());
        return s;
    }
    if (::fsync(fd.get()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return make_error("fsync {}: {}", tmp, std::strerror(err));
    }
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return make_error("renaming {} to {}: {}", tmp, path, std::strerror(err));
    }
    return fsync_dir(dir);
}

Status remove_file_durable(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return make_error("removing {}: {}", path, std::strerror(errno));
    }
    return fsync_dir(parent_dir(path));
}

Result<StateLock> StateLock::acquire(const std::string& state) {
    if (auto s = make_dirs(state); !s) return s.error();
    const std::string path = state + "/lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
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
