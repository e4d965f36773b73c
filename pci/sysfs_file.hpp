// Reading sysfs and procfs attribute files: one value per file, errors with the path in them.
// Read-only on purpose (writing is host control: ioctl_ctl/sysfs.hpp's write_text).
#pragma once

#include "base/result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shunt::pci {

// A sysfs attribute is at most a page (Documentation/filesystems/sysfs.rst); the default
// bound leaves room for procfs files such as /proc/cmdline.
inline constexpr size_t kMaxTextFile = 64 * 1024;

// The file's content without the trailing newline (and NUL, which some attributes end in).
// A file longer than max_bytes (a wrong path, a FIFO that never ends) is an error, never read
// without end.
Result<std::string> read_text(const std::string& path, size_t max_bytes = kMaxTextFile);
Result<int64_t> read_int(const std::string& path);
// A hex value such as "0x8086" (the 0x is optional).
Result<uint32_t> read_hex(const std::string& path);
// The last component of a symlink's target ("…/drivers/ixgbe" -> "ixgbe"); nullopt if absent.
std::optional<std::string> link_basename(const std::string& path);
// Entry names in a directory, sorted; empty if it does not exist.
std::vector<std::string> list_dir(const std::string& path);
bool path_exists(const std::string& path);

}  // namespace shunt::pci
