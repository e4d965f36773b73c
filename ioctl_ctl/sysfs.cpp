#include "ioctl_ctl/sysfs.hpp"

#include "base/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shunt::ctl {

Status write_text(const std::string& path, const std::string& value) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return make_error("{}: {}", path, std::strerror(errno));
    const ssize_t n = ::write(fd.get(), value.data(), value.size());
    if (n < 0) return make_error("writing '{}' to {}: {}", value, path, std::strerror(errno));
    if (static_cast<size_t>(n) != value.size()) {
        return make_error("writing '{}' to {}: short write", value, path);
    }
    return {};
}

}  // namespace shunt::ctl
