// Levelled logging to stderr. Libraries log; they never exit.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <string_view>

namespace shunt::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

inline Level& threshold() {
    static Level level = Level::info;
    return level;
}

// When stderr is the journal (systemd.exec(5) JOURNAL_STREAM; tools/journal_stream.hpp), each
// line starts with its syslog priority "<N>" (sd-daemon(3)), which journald strips and keeps.
inline bool& priority_prefix() {
    static bool on = false;
    return on;
}

inline std::optional<Level> parse_level(std::string_view s) {
    if (s == "debug") return Level::debug;
    if (s == "info") return Level::info;
    if (s == "warn") return Level::warn;
    if (s == "error") return Level::error;
    return std::nullopt;
}

template <typename... Args>
void write(Level level, fmt::format_string<Args...> f, Args&&... args) {
    if (level < threshold()) return;
    static constexpr std::string_view names[] = {"debug", "info", "warn", "error"};
    static constexpr std::string_view priorities[] = {"<7>", "<6>", "<4>", "<3>"};
    fmt::print(stderr, "{}shunt[{}]: {}\n",
               priority_prefix() ? priorities[static_cast<int>(level)] : std::string_view{},
               names[static_cast<int>(level)], fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::debug, f, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::info, f, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::warn, f, std::forward<Args>(args)...);
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::error, f, std::forward<Args>(args)...);
}

}  // namespace shunt::log
