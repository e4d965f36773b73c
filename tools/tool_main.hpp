// What every tool main shares: a stop flag that SIGINT/SIGTERM set (the main loop polls it and
// exits cleanly, so NICs are reset and files flushed) and the one-line error convention.
#pragma once

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace shunt::tools {

// Installs SIGINT and SIGTERM handlers (without SA_RESTART, so a blocking poll() returns EINTR)
// that set the flag stop_requested() reads.
void install_stop_handlers();
bool stop_requested();

// Prints "PROGRAM: MESSAGE" on stderr and returns code: 2 for a usage error, 1 for a failure
// to run (the exit codes every tool documents).
int fail(const char* program, int code, const std::string& message);

// Parses the command line: nullopt to go on, else the exit status to return (0 after --help
// printed the help, 2 after one line naming the usage error).
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, const char* program);

}  // namespace shunt::tools
