// Running another program from a tool: argv (no shell), its output captured, a timeout after
// which it is killed. The child is always reaped.
#pragma once

#include "base/result.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace shunt::tools {

struct CommandResult {
    int exit_code = -1;  // -1: killed by a signal
    std::string out;     // stdout, up to the limit
    std::string err;     // stderr, up to the limit
    bool truncated = false;
};

// Runs ARGV[0] (looked up in PATH) with stdin from /dev/null. Fails only when the program
// cannot be started or outlives TIMEOUT (it is then SIGKILLed); a non-zero exit is a result.
Result<CommandResult> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout,
                                  size_t max_output = size_t{1} << 30);

// "a b c" for messages.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace shunt::tools
