#include "bench/tcp/command.hpp"

#include "tools/subprocess.hpp"

namespace shunt::bench {

Status run_command(const std::vector<std::string>& argv) {
    auto r = tools::run_command(argv, std::chrono::seconds(20), 64 * 1024);
    if (!r) return r.error();
    if (r.value().exit_code == 0) return {};
    std::string err = r.value().err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return make_error("'{}' failed: {}", tools::command_line(argv),
                      err.empty() ? "no message" : err);
}

}  // namespace shunt::bench
