// A tool's config file (`shuntd --config /etc/shunt/NAME.conf`, docs/service.md): a strict INI
// without sections. Every key is the long name of one of the tool's command-line options
// without its "--", taken from the CLI11 App itself, so the keys cannot drift from the flags;
// a flag given on the command line wins over the file.
//
//   # comment (also ';'), blank lines ignored
//   nic = tap:shunt0
//   ip = 10.77.0.2/24
//   no-udp-echo = true          flags take true/false (also 1/0, yes/no, on/off)
//   stats-file = "/run/shunt/a.json"   double quotes are optional, nothing is escaped
//
// Bad input is one error naming FILE:LINE (unknown key, bad value, duplicate key, a line that is
// not KEY = VALUE, a [section]); the tool prints it on one line and exits 2.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace shunt::tools {

struct ConfigEntry {
    std::string key;
    std::string value;
    size_t line = 0;  // 1-based
};

struct ConfigError {
    std::string file;
    size_t line = 0;  // 0: the error is about the whole file (unreadable)
    std::string what;
    std::string message() const;  // "FILE:LINE: what" (or "FILE: what")
};

// The entries of TEXT in file order, or the first syntax error or duplicate key.
struct ConfigParse {
    std::vector<ConfigEntry> entries;
    std::optional<ConfigError> error;
};
ConfigParse parse_config(std::string_view text, const std::string& file);

// The options of APP a config file may set: their long names without "--", in the App's order.
// Leaves out --help and the options named in EXCLUDE (e.g. "config" itself).
std::vector<std::string> config_keys(const CLI::App& app, const std::vector<std::string>& exclude);

// Reads FILE and applies its entries to APP, after APP parsed the command line: each key must
// be one of config_keys(app, exclude); an option the command line gave keeps its value; the
// others get the file's value, converted and checked by the option's own validators.
class ConfigFile {
  public:
    std::optional<ConfigError> load(CLI::App& app, const std::string& file,
                                    const std::vector<std::string>& exclude);
    std::optional<ConfigError> apply(CLI::App& app, const std::string& file, std::string_view text,
                                     const std::vector<std::string>& exclude);
    // Where KEY's value came from: "FILE:LINE" when the file set it, else nullopt (the command
    // line or the default). Lets a later check of the value name the file's line.
    std::optional<std::string> source_of(std::string_view key) const;
    // MESSAGE prefixed with "FILE:LINE: " when it starts with "--KEY" and the file set KEY.
    std::string locate(const std::string& message) const;

  private:
    std::string file_;
    std::vector<ConfigEntry> applied_;
};

}  // namespace shunt::tools
