#include "pci/sysfs_file.hpp"

#include "base/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

namespace shunt::pci {

Result<std::string> read_text(const std::string& path, size_t max_bytes) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return make_error("{}: {}", path, std::strerror(errno));
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error("reading {}: {}", path, std::strerror(errno));
        }
        if (n == 0) break;
        if (out.size() + static_cast<size_t>(n) > max_bytes) {
            return make_error("{}: longer than {} bytes", path, max_bytes);
        }
        out.append(buf, static_cast<size_t>(n));
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\0')) out.pop_back();
    return out;
}

Result<int64_t> read_int(const std::string& path) {
    auto text = read_text(path);
    if (!text) return text.error();
    int64_t v = 0;
    const auto& s = text.value();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        return make_error("{}: expected an integer, found '{}'", path, s);
    }
    return v;
}

Result<uint32_t> read_hex(const std::string& path) {
    auto text = read_text(path);
    if (!text) return text.error();
    std::string_view s = text.value();
    if (s.starts_with("0x")) s.remove_prefix(2);
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) {
        return make_error("{}: expected a hex number, found '{}'", path, text.value());
    }
    return v;
}

std::optional<std::string> link_basename(const std::string& path) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(path, ec);
    if (ec) return std::nullopt;
    return target.filename().string();
}

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> names;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end;
         it.increment(ec)) {
        names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool path_exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

}  // namespace shunt::pci
