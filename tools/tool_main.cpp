#include "tools/tool_main.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>

namespace shunt::tools {

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) {
    g_stop.store(true);
}
}  // namespace

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() {
    return g_stop.load(std::memory_order_relaxed);
}

int fail(const char* program, int code, const std::string& message) {
    fmt::print(stderr, "{}: {}\n", program, message);
    return code;
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, const char* program) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return fail(program, 2, e.what());
    }
    return std::nullopt;
}

}  // namespace shunt::tools
