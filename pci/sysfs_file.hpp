// Reading sysfs and procfs attribute files: one value per file, errors with the path in them.
// Read-only on purpose (writing is host control: ioctl_ctl/sysfs.hpp's write_text).
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shunt::pci {

// The file's content without the trailing newline (and NUL, which some attributes end in).
Result<std::string> read_text(const std::string& path);
Result<int64_t> read_int(const std::string& path);
// A hex value such as "0x8086" (the 0x is optional).
Result<uint32_t> read_hex(const std::string& path);
// The last component of a symlink's target ("…/drivers/ixgbe" -> "ixgbe"); nullopt if absent.
std::optional<std::string> link_basename(const std::string& path);
// Entry names in a directory, sorted; empty if it does not exist.
std::vector<std::string> list_dir(const std::string& path);
bool path_exists(const std::string& path);

}  // namespace shunt::pci
