// Small helpers for sysfs and procfs files: one value per file, errors with the path in them.
// The readers are pci/'s (the floor below that reads sysfs too); writing is host control and
// lives here.
#pragma once

#include "base/result.hpp"
#include "pci/sysfs_file.hpp"

#include <string>

namespace shunt::ctl {

using pci::link_basename;
using pci::list_dir;
using pci::path_exists;
using pci::read_hex;
using pci::read_int;
using pci::read_text;

// Writes VALUE in one write(2): sysfs attributes take exactly one write per open.
Status write_text(const std::string& path, const std::string& value);

}  // namespace shunt::ctl
