#include "ioctl_ctl/ipv6_conf.hpp"

#include "ioctl_ctl/sysfs.hpp"

namespace shunt::ctl {
namespace {

// The sysctl's file; procfs resolves it in the caller's network namespace.
std::string conf_path(const std::string& ifname) {
    return "/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6";
}

}  // namespace

Result<bool> ipv6_disabled(const std::string& ifname) {
    auto v = read_int(conf_path(ifname));
    if (!v) return make_error("interface {}: IPv6 setting: {}", ifname, v.error().message);
    return v.value() != 0;
}

Status set_ipv6_disabled(const std::string& ifname, bool disabled) {
    if (auto s = write_text(conf_path(ifname), disabled ? "1" : "0"); !s) {
        return make_error("interface {}: turning IPv6 {}: {}", ifname, disabled ? "off" : "on",
                          s.error().message);
    }
    return {};
}

}  // namespace shunt::ctl
