// Internal to ioctl_ctl: what kernel_stack_off and kernel_stack_on share.
#pragma once

#include "base/result.hpp"
#include "ioctl_ctl/kernel_stack.hpp"
#include "ioctl_ctl/route.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace shunt::ctl::detail {

// The change names, as the undo log and the after_step hook spell them.
inline constexpr std::string_view kSaved = "saved";
inline constexpr std::string_view kAddressesFlushed = "addresses-flushed";
inline constexpr std::string_view kRoutesFlushed = "routes-flushed";
inline constexpr std::string_view kIpv6Off = "ipv6-off";
inline constexpr std::string_view kLinkDown = "link-down";
inline constexpr std::string_view kUnbound = "unbound";
inline constexpr std::string_view kOffComplete = "off-complete";

// Routes through IFINDEX that the undo log keeps: not those learnt from router
// advertisements or redirects, which the kernel learns again by itself.
Result<std::vector<RouteRecord>> routes_through(int ifindex);

// Runs one step of a transaction: logs NAME as begun (atomically, before the change) unless
// the log has it already, makes the change, then calls the after_step hook.
template <typename Change>
Status run_step(UndoLog& log, const std::string& path, const KernelStackOptions& options,
                std::string_view name, std::vector<std::string>& done, Change change) {
    if (!log.has_change(name)) {
        log.changes.emplace_back(name);
        if (auto s = write_undo_log(path, log); !s) return s;
    }
    if (auto s = change(); !s) return s;
    done.emplace_back(name);
    if (options.after_step) options.after_step(name);
    return {};
}

}  // namespace shunt::ctl::detail
