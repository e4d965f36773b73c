// Takes the kernel's network stack off an interface and puts it back exactly: the
// transactional core of `shuntctl kernel-stack`. Every change is recorded in the undo log
// (undo_log.hpp) before it is made, so `kernel_stack_on` restores the host from any point,
// including after a crash or kill -9 in the middle of `kernel_stack_off` or of itself.
#pragma once

#include "base/result.hpp"
#include "ioctl_ctl/undo_log.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::ctl {

struct KernelStackOptions {
    std::string state_dir;   // undo logs live here (state_dir() resolves the default)
    bool keep_link = false;  // leave the link up (addresses and IPv6 still go)
    bool unbind = false;     // then hand the PCI device to vfio-pci
    bool force = false;      // skip the safety refusals (default route, SSH session)
    // Called after each step with its name ("saved", "addresses-flushed", ...): progress
    // reporting, and the test hook that kills shuntctl between steps.
    std::function<void(std::string_view step)> after_step;
};

// Why taking IFNAME off the kernel stack would cut the caller off (it carries a default
// route, or an established SSH session found in the socket table: its local address, or
// the route back to its client) or, with UNBIND, why vfio could not take the
// device (its IOMMU group is not viable). Empty when there is no reason. kernel_stack_off
// checks the same unless options.force, for a state it has not saved yet.
Result<std::vector<std::string>> kernel_stack_off_refusals(const std::string& ifname, bool unbind);
// True when STATE holds an undo log for the interface IFNAME of this namespace, this very
// instance (it is off, or an earlier run was cut short); a stale log of another interface
// that had the name does not count.
bool kernel_stack_saved(const std::string& state, const std::string& ifname);

// Whose interface an undo log describes, as seen from the caller's network namespace.
enum class LogOwner {
    live,             // this namespace, and the interface (or its PCI device) still exists
    other_namespace,  // a namespace that still exists, but not this one: run shuntctl there
    stale,            // the namespace or the interface is gone: nothing to restore it onto
};
struct LogCheck {
    LogOwner owner = LogOwner::live;
    std::string reason;  // why stale, for people
};
// What the check needs from the host, so that it can be tested without one.
struct HostView {
    uint64_t netns = 0;         // this namespace's inode
    uint64_t netns_cookie = 0;  // and cookie (0: unknown)
    std::string boot_id;        // empty: unknown
    std::function<bool(uint64_t inode, uint64_t cookie)> netns_exists;
    std::function<std::optional<std::string>(int ifindex)> ifname_of;  // in this namespace
    std::function<bool(const std::string& pci)> pci_exists;
    static Result<HostView> current();
};
// The key check: a log belongs to an interface instance by (boot, network namespace inode
// and cookie, ifindex), or by its PCI device once `off --unbind` took the interface away.
LogCheck check_log_owner(const UndoLog& log, const HostView& host);

struct OffResult {
    bool already_off = false;  // an earlier run finished: nothing was changed
    bool resumed = false;      // an earlier run was interrupted: its saved state was kept
    std::string log_path;
    std::vector<std::string> steps;  // the changes made by this run
};
Result<OffResult> kernel_stack_off(const std::string& ifname, const KernelStackOptions& options);

struct OnResult {
    bool nothing_to_restore = false;
    std::string ifname;  // the interface restored (under its saved name when it could be renamed)
    std::string renamed_from;      // the name the driver gave it when it came back, if different
    bool driver_restored = false;  // the NIC went back from vfio-pci to its driver
    std::string log_path;
    std::vector<std::string> warnings;  // restored, but with something worth saying
    std::vector<std::string> stale;     // "PATH: reason" of stale logs for DEV, not used
};
// DEV is the interface name or, after --unbind, its PCI address. Stale logs for DEV are not
// restored from: they are listed in OnResult::stale.
Result<OnResult> kernel_stack_on(const std::string& dev, const KernelStackOptions& options);

// Removes the stale undo logs of DEV (every stale log when DEV is empty). A live log, or one
// of another namespace, is removed only with FORCE: without it they are refusals (the
// returned error says so). Returns the paths removed.
struct DiscardResult {
    std::vector<std::string> removed;
    std::vector<std::string> refused;  // "PATH: why" for logs kept (not stale, no --force)
};
Result<DiscardResult> kernel_stack_discard(const std::string& state, const std::string& dev,
                                           bool force);

struct KernelStackEntry {
    std::string log_path;
    UndoLog log;
    bool complete = false;       // kernel_stack_off finished
    bool this_namespace = true;  // written in the caller's network namespace
    LogCheck check;              // live, another namespace's, or stale (and why)
};
// Every interface with a kernel-stack undo log; unreadable logs go to ERRORS.
std::vector<KernelStackEntry> kernel_stack_status(const std::string& state,
                                                  std::vector<std::string>* errors);

}  // namespace shunt::ctl
