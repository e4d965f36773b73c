// Small helpers for sysfs and procfs files: one value per file, errors with the path in them.
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shunt::ctl {

// The file's content without the trailing newline.
Result<std::string> read_text(const std::string& path);
// Writes VALUE in one write(2): sysfs attributes take exactly one write per open.
Status write_text(const std::string& path, const std::string& value);
Result<int64_t> read_int(const std::string& path);
// A hex sysfs value such as "0x8086".
Result<uint32_t> read_hex(const std::string& path);
// The last component of a symlink's target ("…/drivers/ixgbe" -> "ixgbe"); nullopt if absent.
std::optional<std::string> link_basename(const std::string& path);
// Entry names in a directory, sorted; empty if it does not exist.
std::vector<std::string> list_dir(const std::string& path);
bool path_exists(const std::string& path);

}  // namespace shunt::ctl
