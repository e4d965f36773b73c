#include "tools/shuntctl/service_checks.hpp"

#include "tools/subprocess.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace shunt::cli {
namespace fs = std::filesystem;

namespace {

constexpr const char* kUnit = "shuntd@.service";

std::vector<std::string> split_colons(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        const size_t end = std::min(s.find(':', start), s.size());
        if (end > start) out.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::vector<fs::path> config_files(const std::string& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".conf") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Runs `SHUNTD --config FILE --check-config` and returns its exit code and its first line.
std::pair<int, std::string> check_config(const std::string& shuntd, const fs::path& file) {
    auto r = tools::run_command({shuntd, "--config", file.string(), "--check-config"},
                                std::chrono::seconds(10), 64 * 1024);
    if (!r) return {-1, r.error().message};
    std::string text = r.value().err.empty() ? r.value().out : r.value().err;
    std::string first = text.substr(0, text.find('\n'));
    return {r.value().exit_code, first};
}

ctl::HostCheck unit_check(const ServicePaths& paths) {
    ctl::HostCheck c{"service-unit", false, "", ""};
    for (const auto& d : paths.unit_dirs) {
        const fs::path p = fs::path(d) / kUnit;
        std::error_code ec;
        if (fs::exists(p, ec)) {
            c.ok = true;
            c.detail = fmt::format("{} installed", p.string());
            return c;
        }
    }
    c.detail = fmt::format("{} is not in {}", kUnit, fmt::join(paths.unit_dirs, ", "));
    c.fix =
        "cmake --install build/release --prefix /usr (or copy packaging/systemd's unit to "
        "/etc/systemd/system), then systemctl daemon-reload";
    return c;
}

ctl::HostCheck user_check(const ServicePaths& paths) {
    ctl::HostCheck c{"service-user", false, "", ""};
    if (getpwnam(paths.user.c_str()) != nullptr && getgrnam(paths.user.c_str()) != nullptr) {
        c.ok = true;
        c.detail = fmt::format("user and group '{}' exist", paths.user);
    } else {
        c.detail = fmt::format("no user or group '{}' (the unit's User=/Group=)", paths.user);
        c.fix =
            "systemd-sysusers (with the installed sysusers.d/shunt.conf), or: "
            "useradd --system --user-group --no-create-home --shell /usr/sbin/nologin " +
            paths.user;
    }
    return c;
}

ctl::HostCheck configs_check(const ServicePaths& paths, const std::vector<fs::path>& files) {
    ctl::HostCheck c{"service-configs", true, "", ""};
    std::vector<std::string> bad;
    for (const auto& f : files) {
        auto [rc, line] = check_config(paths.shuntd, f);
        if (rc != 0)
            bad.push_back(line.empty() ? fmt::format("{}: exit {}", f.string(), rc) : line);
    }
    if (bad.empty()) {
        c.detail = fmt::format("{} config file(s) in {} pass shuntd --check-config", files.size(),
                               paths.config_dir);
    } else {
        c.ok = false;
        c.detail = fmt::format("{}", fmt::join(bad, "; "));
        c.fix = "correct the line named (docs/service.md lists the keys: shuntd --help)";
    }
    return c;
}

// The VFIO group nodes must be usable by the unit's group, or the daemon needs root.
ctl::HostCheck vfio_owner_check(const ServicePaths& paths) {
    ctl::HostCheck c{"service-vfio-group", true, "", ""};
    const group* g = getgrnam(paths.user.c_str());
    std::vector<std::string> wrong;
    size_t nodes = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(paths.vfio_dir, ec)) {
        if (e.path().filename() == "vfio") continue;  // the container node, open to all
        ++nodes;
        struct stat st {};
        if (stat(e.path().c_str(), &st) != 0) continue;
        const bool ok = g != nullptr && st.st_gid == g->gr_gid && (st.st_mode & S_IRGRP) != 0 &&
                        (st.st_mode & S_IWGRP) != 0;
        if (!ok) wrong.push_back(e.path().string());
    }
    if (nodes == 0) {
        c.detail =
            fmt::format("no VFIO group nodes in {} (none bound, or tap: only)", paths.vfio_dir);
    } else if (wrong.empty()) {
        c.detail = fmt::format("{} VFIO group node(s) owned by group '{}'", nodes, paths.user);
    } else {
        c.ok = false;
        c.detail =
            fmt::format("not read/writable by group '{}': {}", paths.user, fmt::join(wrong, ", "));
        c.fix =
            "install packaging/udev/90-shunt-vfio.rules and run: udevadm trigger "
            "--subsystem-match=vfio";
    }
    return c;
}

}  // namespace

ServicePaths default_service_paths() {
    ServicePaths p;
    if (const char* env = getenv("SYSTEMD_UNIT_PATH"); env != nullptr && *env != '\0') {
        p.unit_dirs = split_colons(env);
    } else {
        p.unit_dirs = {"/etc/systemd/system", "/run/systemd/system",
                       "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
                       "/lib/systemd/system"};
    }
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    const fs::path beside = self.parent_path() / "shuntd";
    p.shuntd = !ec && fs::exists(beside, ec) ? beside.string() : std::string("shuntd");
    return p;
}

std::vector<ctl::HostCheck> service_checks(const ServicePaths& paths) {
    const auto files = config_files(paths.config_dir);
    if (files.empty()) {
        return {ctl::HostCheck{
            "service", true,
            fmt::format("no {}/*.conf: shuntd does not run as a service here", paths.config_dir),
            ""}};
    }
    return {unit_check(paths), user_check(paths), configs_check(paths, files),
            vfio_owner_check(paths)};
}

}  // namespace shunt::cli
