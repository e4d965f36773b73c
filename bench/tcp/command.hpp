// Runs a host command (ip, sysctl) without a shell, bounded in time, keeping its stderr for
// the error message.
#pragma once

#include "base/result.hpp"

#include <string>
#include <vector>

namespace shunt::bench {

Status run_command(const std::vector<std::string>& argv);

}  // namespace shunt::bench
