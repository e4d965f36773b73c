#include "tools/config_file.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace shunt::tools {

namespace {

std::string_view trim(std::string_view s) {
    const auto not_space = [](char c) { return c != ' ' && c != '\t' && c != '\r'; };
    while (!s.empty() && !not_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && !not_space(s.back())) s.remove_suffix(1);
    return s;
}

bool valid_key(std::string_view k) {
    if (k.empty() || k.front() == '-') return false;
    return std::all_of(k.begin(), k.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

}  // namespace

std::string ConfigError::message() const {
    if (line == 0) return fmt::format("{}: {}", file, what);
    return fmt::format("{}:{}: {}", file, line, what);
}

ConfigParse parse_config(std::string_view text, const std::string& file) {
    ConfigParse out;
    auto error = [&](size_t line, std::string what) {
        out.error = ConfigError{file, line, std::move(what)};
        out.entries.clear();
        return out;
    };
    size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const size_t eol = text.find('\n');
        std::string_view raw = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (raw.find('\0') != std::string_view::npos) return error(line_no, "NUL byte in line");
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            return error(line_no, "sections are not supported: one file configures one daemon");
        }
        const size_t eq = line.find('=');
        if (eq == std::string_view::npos) return error(line_no, "expected KEY = VALUE");
        const std::string_view key = trim(line.substr(0, eq));
        std::string_view value = trim(line.substr(eq + 1));
        if (!valid_key(key)) {
            return error(line_no, fmt::format("bad key '{}': expected a long option name "
                                              "without '--' (lower case, digits, '-')",
                                              key));
        }
        if (!value.empty() && value.front() == '"') {
            if (value.size() < 2 || value.back() != '"') {
                return error(line_no, fmt::format("'{}': unterminated quoted value", key));
            }
            value = value.substr(1, value.size() - 2);
            if (value.find('"') != std::string_view::npos) {
                return error(line_no, fmt::format("'{}': a quoted value may not hold '\"'", key));
            }
        } else if (value.empty()) {
            return error(line_no, fmt::format("'{}': empty value (write \"\" for an empty "
                                              "string)",
                                              key));
        }
        for (const auto& e : out.entries) {
            if (e.key == key) {
                return error(line_no,
                             fmt::format("duplicate key '{}' (first on line {})", key, e.line));
            }
        }
        out.entries.push_back({std::string(key), std::string(value), line_no});
    }
    return out;
}

std::vector<std::string> config_keys(const CLI::App& app, const std::vector<std::string>& exclude) {
    std::vector<std::string> keys;
    for (const CLI::Option* opt : app.get_options()) {
        if (opt == app.get_help_ptr() || opt == app.get_help_all_ptr()) continue;
        for (const std::string& name : opt->get_lnames()) {
            if (std::find(exclude.begin(), exclude.end(), name) == exclude.end()) {
                keys.push_back(name);
            }
        }
    }
    return keys;
}

std::optional<ConfigError> ConfigFile::load(CLI::App& app, const std::string& file,
                                            const std::vector<std::string>& exclude) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return ConfigError{file, 0, fmt::format("cannot read: {}", std::strerror(errno))};
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return ConfigError{file, 0, "read error"};
    return apply(app, file, text.str(), exclude);
}

std::optional<ConfigError> ConfigFile::apply(CLI::App& app, const std::string& file,
                                             std::string_view text,
                                             const std::vector<std::string>& exclude) {
    file_ = file;
    applied_.clear();
    ConfigParse parsed = parse_config(text, file);
    if (parsed.error) return parsed.error;
    const std::vector<std::string> keys = config_keys(app, exclude);
    for (const ConfigEntry& e : parsed.entries) {
        if (std::find(keys.begin(), keys.end(), e.key) == keys.end()) {
            return ConfigError{file, e.line,
                               fmt::format("unknown key '{}' (keys are the long options of "
                                           "--help without '--')",
                                           e.key)};
        }
        CLI::Option* opt = app.get_option_no_throw("--" + e.key);
        if (opt == nullptr) return ConfigError{file, e.line, "internal: option vanished"};
        if (opt->count() > 0) continue;  // the command line wins
        try {
            opt->add_result(e.value);
            opt->run_callback();  // the option's validators and conversion, as on the CLI
        } catch (const CLI::Error& err) {
            opt->clear();
            return ConfigError{
                file, e.line,
                fmt::format("bad value '{}' for '{}': {}", e.value, e.key, err.what())};
        }
        applied_.push_back(e);
    }
    return std::nullopt;
}

std::optional<std::string> ConfigFile::source_of(std::string_view key) const {
    for (const auto& e : applied_) {
        if (e.key == key) return fmt::format("{}:{}", file_, e.line);
    }
    return std::nullopt;
}

std::string ConfigFile::locate(const std::string& message) const {
    if (message.rfind("--", 0) != 0) return message;
    const size_t end = message.find_first_of(" :'", 2);
    const std::string key = message.substr(2, end == std::string::npos ? end : end - 2);
    if (auto where = source_of(key)) return fmt::format("{}: {}", *where, message);
    return message;
}

}  // namespace shunt::tools
