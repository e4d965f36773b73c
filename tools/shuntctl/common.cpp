#include "tools/shuntctl/common.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace shunt::cli {

int fail(int code, std::string_view message) {
    fmt::print(stderr, "shuntctl: {}\n", message);
    return code;
}

void print_json(const Json& j) {
    fmt::print("{}\n", json_text(j));
}

void crash_hook(std::string_view step) {
    const char* target = std::getenv("SHUNT_CTL_CRASH_AFTER");
    if (target != nullptr && step == target) {
        std::fflush(nullptr);
        std::raise(SIGKILL);
    }
}

}  // namespace shunt::cli
