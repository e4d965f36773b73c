#include "ioctl_ctl/undo_log.hpp"

#include "ioctl_ctl/record_text.hpp"
#include "ioctl_ctl/sysfs.hpp"

#include <cstdlib>
#include <ctime>

namespace shunt::ctl {
namespace {

Result<uint64_t> parse_u64(std::string_view s, std::string_view what) {
    const auto v = parse_record_integer<uint64_t>(s);
    if (!v) return make_error("{} '{}' is not a number", what, s);
    return *v;
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Applies one "KEY VALUE" line to LOG.
Status apply_line(UndoLog& log, std::string_view key, std::string_view value) {
    auto number = [&](uint64_t max) -> Result<uint64_t> {
        auto v = parse_u64(value, key);
        if (!v) return v.error();
        if (v.value() > max) return make_error("{} {} is out of range", key, value);
        return v;
    };
    if (key == "kind") {
        if (value != "kernel-stack" && value != "bind")
            return make_error("unknown kind '{}'", value);
        log.kind = value;
    } else if (key == "created") {
        log.created = value;
    } else if (key == "boot-id") {
        log.boot_id = value;
    } else if (key == "netns" || key == "netns-cookie" || key == "ifindex" || key == "mtu" ||
               key == "flags" || key == "ipv6-disabled") {
        auto v = number(key == "netns" || key == "netns-cookie" ? UINT64_MAX : UINT32_MAX);
        if (!v) return v.error();
        if (key == "netns") log.netns = v.value();
        if (key == "netns-cookie") log.netns_cookie = v.value();
        if (key == "ifindex") log.ifindex = static_cast<int>(v.value());
        if (key == "mtu") log.mtu = static_cast<uint32_t>(v.value());
        if (key == "flags") log.flags = static_cast<uint32_t>(v.value());
        if (key == "ipv6-disabled") log.ipv6_disabled = v.value() != 0;
    } else if (key == "ifname") {
        log.ifname = value;
    } else if (key == "pci") {
        log.pci = value;
    } else if (key == "driver") {
        log.driver = value;
    } else if (key == "driver-override") {
        log.driver_override = value;
    } else if (key == "mac") {
        log.mac = MacAddr::parse(value);
        if (!log.mac) return make_error("mac '{}' is not aa:bb:cc:dd:ee:ff", value);
    } else if (key == "options") {
        auto f = Fields::parse(value);
        if (!f) return f.error();
        log.keep_link = f->text("keep-link") == "1";
        log.unbind = f->text("unbind") == "1";
    } else if (key == "addr") {
        auto a = AddressRecord::parse(value);
        if (!a) return a.error();
        log.addresses.push_back(std::move(a).value());
    } else if (key == "route") {
        auto r = RouteRecord::parse(value);
        if (!r) return r.error();
        log.routes.push_back(std::move(r).value());
    } else if (key == "change") {
        log.changes.emplace_back(value);
    } else {
        return make_error("unknown line '{}'", key);
    }
    return {};
}

}  // namespace

bool UndoLog::has_change(std::string_view name) const {
    for (const auto& c : changes) {
        if (c == name) return true;
    }
    return false;
}

std::string UndoLog::to_text() const {
    std::string out = fmt::format("shunt-undo {}\n", kVersion);
    out += "# Written by shuntctl before it changed the host; `shuntctl kernel-stack on` or\n";
    out += "# `shuntctl unbind` restores what it records. See docs/host-control.md.\n";
    out += fmt::format("kind {}\ncreated {}\n", kind, created);
    if (!boot_id.empty()) out += fmt::format("boot-id {}\n", boot_id);
    if (netns != 0) out += fmt::format("netns {}\n", netns);
    if (netns_cookie != 0) out += fmt::format("netns-cookie {}\n", netns_cookie);
    if (!ifname.empty()) out += fmt::format("ifname {}\nifindex {}\n", ifname, ifindex);
    if (!pci.empty()) out += fmt::format("pci {}\n", pci);
    if (!driver.empty()) out += fmt::format("driver {}\n", driver);
    if (!driver_override.empty()) out += fmt::format("driver-override {}\n", driver_override);
    if (mac) out += fmt::format("mac {}\n", mac->to_string());
    if (mtu) out += fmt::format("mtu {}\n", *mtu);
    if (flags) out += fmt::format("flags {:#x}\n", *flags);
    if (ipv6_disabled) out += fmt::format("ipv6-disabled {}\n", *ipv6_disabled ? 1 : 0);
    out += fmt::format("options keep-link={} unbind={}\n", keep_link ? 1 : 0, unbind ? 1 : 0);
    for (const auto& a : addresses) out += "addr " + a.to_text() + "\n";
    for (const auto& r : routes) out += "route " + r.to_text() + "\n";
    for (const auto& c : changes) out += "change " + c + "\n";
    out += "end\n";
    return out;
}

Result<UndoLog> UndoLog::parse(std::string_view text) {
    UndoLog log;
    bool header = false;
    bool ended = false;
    size_t line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        const std::string_view line = text.substr(pos, eol - pos);
        pos = eol + 1;
        ++line_no;
        if (line.empty() || line[0] == '#') continue;
        if (ended) return make_error("line {}: text after 'end'", line_no);
        const size_t sp = line.find(' ');
        const std::string_view key = line.substr(0, sp);
        const std::string_view value = sp == std::string_view::npos ? "" : line.substr(sp + 1);
        if (!header) {
            if (key != "shunt-undo") return make_error("not a shunt undo log (no shunt-undo line)");
            if (value != std::to_string(kVersion) && value != "1") {
                return make_error(
                    "undo log version {} is not a version (1 to {}) this shuntctl reads", value,
                    kVersion);
            }
            header = true;
            continue;
        }
        if (key == "end") {
            ended = true;
            continue;
        }
        if (auto s = apply_line(log, key, value); !s) {
            return make_error("line {}: {}", line_no, s.error().message);
        }
    }
    if (!header) return make_error("empty undo log");
    if (!ended) return make_error("the undo log is truncated (no 'end' line)");
    if (log.kind.empty()) return make_error("the undo log has no 'kind' line");
    return log;
}

std::string state_dir(const std::string& override_dir) {
    if (!override_dir.empty()) return override_dir;
    if (const char* env = std::getenv("SHUNT_STATE_DIR"); env != nullptr && *env != '\0') {
        return env;
    }
    return "/run/shunt";
}

std::string kernel_stack_log_path(const std::string& state, const std::string& ifname,
                                  uint64_t netns_key, int ifindex) {
    return fmt::format("{}/kernel-stack/{}.n{}.i{}.undo", state, ifname, netns_key, ifindex);
}

std::string bind_log_path(const std::string& state, const std::string& pci) {
    return state + "/bind/" + pci + ".undo";
}

Status write_undo_log(const std::string& path, const UndoLog& log) {
    UndoLog stamped = log;
    if (stamped.created.empty()) stamped.created = utc_now();
    if (stamped.boot_id.empty()) stamped.boot_id = current_boot_id();
    if (auto s = write_file_atomic(path, stamped.to_text()); !s) {
        return make_error("writing the undo log: {}", s.error().message);
    }
    return {};
}

Result<UndoLog> read_undo_log(const std::string& path) {
    // A host with a full routing table writes a large log (a line per route); the bound only
    // keeps a wrong path from being read without end.
    constexpr size_t kMaxUndoLog = size_t{1} << 30;
    auto text = read_text(path, kMaxUndoLog);
    if (!text) return text.error();
    auto log = UndoLog::parse(text.value() + "\n");
    if (!log) return make_error("{}: {}", path, log.error().message);
    return log;
}

std::vector<std::pair<std::string, UndoLog>> list_undo_logs(const std::string& state,
                                                            const std::string& kind,
                                                            std::vector<std::string>* errors) {
    std::vector<std::pair<std::string, UndoLog>> out;
    const std::string dir = state + "/" + kind;
    // A log is acted on as root (`on --all` restores from it): one in a directory others
    // can write to is not trusted.
    if (path_exists(dir)) {
        if (auto s = check_state_dir(dir); !s) {
            if (errors != nullptr) errors->push_back(s.error().message);
            return out;
        }
    }
    for (const auto& name : list_dir(dir)) {
        // Leftover NAME.undo.tmp.RANDOM files are writes that never completed: not logs.
        if (!name.ends_with(".undo")) continue;
        const std::string path = dir + "/" + name;
        auto log = read_undo_log(path);
        if (!log) {
            if (errors != nullptr) errors->push_back(log.error().message);
            continue;
        }
        out.emplace_back(path, std::move(log).value());
    }
    return out;
}

}  // namespace shunt::ctl
