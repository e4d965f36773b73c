// The undo log: what a host change will undo, written to disk (temp file + fsync + rename +
// directory fsync) BEFORE the change, so a later `kernel-stack on`, `unbind` or recovery run
// restores the host even after a crash or kill -9 in the middle. Format: docs/host-control.md.
#pragma once

#include "base/mac_addr.hpp"
#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "ioctl_ctl/addr.hpp"
#include "ioctl_ctl/route.hpp"

#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::ctl {

struct UndoLog {
    // 2 added netns-cookie and boot-id; version 1 logs are still read.
    static constexpr int kVersion = 2;

    std::string kind;     // "kernel-stack" (an interface's saved state) or "bind" (a driver)
    std::string created;  // UTC time, for people
    uint64_t netns = 0;   // inode of the network namespace the interface lives in
    // SO_NETNS_COOKIE of that namespace: unlike the inode, never reused while the system
    // runs (0: unknown, a version 1 log or a kernel before 5.14).
    uint64_t netns_cookie = 0;
    std::string boot_id;  // /proc/sys/kernel/random/boot_id when written; empty: unknown
    std::string ifname;
    int ifindex = 0;
    std::string pci;              // PCI address; empty for virtual interfaces
    std::string driver;           // the driver bound before; empty for none
    std::string driver_override;  // the driver_override before; empty for none
    std::optional<MacAddr> mac;
    std::optional<uint32_t> mtu;
    std::optional<uint32_t> flags;      // IFF_* before the change
    std::optional<bool> ipv6_disabled;  // nullopt: the interface had no IPv6 settings
    bool keep_link = false;
    bool unbind = false;
    std::vector<AddressRecord> addresses;
    std::vector<RouteRecord> routes;
    // Changes begun, in order: each is logged before it is made.
    std::vector<std::string> changes;

    bool has_change(std::string_view name) const;
    std::string to_text() const;
    // Refuses anything it does not understand (a newer version, an unknown key, a missing
    // "end" line): restoring from a misread log would do damage.
    static Result<UndoLog> parse(std::string_view text);
};

// The state directory: OVERRIDE if given, else $SHUNT_STATE_DIR, else /run/shunt.
std::string state_dir(const std::string& override_dir = {});
// The log of one interface instance: STATE/kernel-stack/IFNAME.nNETNS.iIFINDEX.undo, NETNS
// the namespace's cookie (else its inode). Another interface of the same name, in another
// namespace or made after this one was deleted, gets another file.
std::string kernel_stack_log_path(const std::string& state, const std::string& ifname,
                                  uint64_t netns_key, int ifindex);
std::string bind_log_path(const std::string& state, const std::string& pci);

// Creates DIR and its parents (mode 0755, whatever the umask) if missing.
Status make_dirs(const std::string& dir);

// How write_file_atomic writes.
struct AtomicWrite {
    mode_t mode = 0600;     // the file's mode, set explicitly (the umask plays no part)
    bool durable = true;    // fsync the file and the directory (undo logs); not for stats
    bool check_dir = true;  // the directory must pass check_state_dir (undo logs)
    bool make_dirs = true;  // create the directory (and its parents) if missing
};
// Writes CONTENT to PATH so that PATH holds either the old or the new content, whatever
// happens: a new file under a random name next to it (random_temp_name, opened with
// O_CREAT|O_EXCL|O_NOFOLLOW, so a file or symlink planted there is never written through),
// its mode set, fsync, rename over PATH, fsync of the directory.
Status write_file_atomic(const std::string& path, std::string_view content,
                         const AtomicWrite& how = {});
// PATH.tmp.XXXXXXXXXXXXXXXX: 16 hex digits from getrandom(2) (EINTR retried; any other
// failure is an error, never a predictable name).
Result<std::string> random_temp_name(const std::string& path);
// The state directory (or one of its subdirectories) may hold logs that shuntctl acts on as
// root: it must be a real directory (not a symlink), owned by root or by the running user,
// and not writable by group or others. The error is one line that says how to fix it.
Status check_state_dir(const std::string& dir);
// Unlinks PATH and fsyncs its directory; a missing file is fine.
Status remove_file_durable(const std::string& path);

Status write_undo_log(const std::string& path, const UndoLog& log);
Result<UndoLog> read_undo_log(const std::string& path);
// Every log of KIND in STATE ("kernel-stack" or "bind"), with its path; unreadable logs are
// reported as errors in ERRORS rather than skipped silently.
std::vector<std::pair<std::string, UndoLog>> list_undo_logs(const std::string& state,
                                                            const std::string& kind,
                                                            std::vector<std::string>* errors);

// Serializes shuntctl runs that change the host: flock on STATE/lock, released on
// destruction (and by the kernel if the process dies).
class StateLock {
  public:
    static Result<StateLock> acquire(const std::string& state);

  private:
    explicit StateLock(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

// Inode of the caller's network namespace (/proc/self/ns/net).
Result<uint64_t> current_netns();
// SO_NETNS_COOKIE of the caller's network namespace; 0 when the kernel has none (< 5.14).
uint64_t current_netns_cookie();
// /proc/sys/kernel/random/boot_id; empty if unreadable.
std::string current_boot_id();
// True when the network namespace with inode INODE (and cookie COOKIE, 0 = unknown) still
// exists: some process is in it, or it is bind-mounted (ip netns add, under /run/netns).
bool netns_exists(uint64_t inode, uint64_t cookie);

}  // namespace shunt::ctl
