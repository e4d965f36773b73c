// The undo log's record syntax: space-separated key=value fields on one line. Values never
// contain spaces (interface names, labels and addresses cannot), so no quoting is needed and
// a person can read and diff a log.
#pragma once

#include "base/result.hpp"

#include <charconv>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shunt::ctl {

// The whole of TEXT as a number of the log's syntax: decimal, or hex after "0x" (how
// FieldWriter::add_hex writes flags). nullopt for anything else, "" and "0x" included.
template <std::integral T>
std::optional<T> parse_record_integer(std::string_view text) {
    int base = 10;
    if (text.starts_with("0x")) {
        text.remove_prefix(2);
        base = 16;
    }
    T v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

class FieldWriter {
  public:
    FieldWriter& add(std::string_view key, std::string_view value);
    FieldWriter& add(std::string_view key, int64_t value);
    FieldWriter& add_hex(std::string_view key, uint64_t value);
    const std::string& str() const { return out_; }

  private:
    std::string out_;
};

class Fields {
  public:
    // Fails on a token without '=', an empty key, a value with whitespace or a repeated key.
    static Result<Fields> parse(std::string_view line);

    bool has(std::string_view key) const;
    // The value, or an empty string if absent.
    std::string text(std::string_view key) const;
    Result<std::string> required(std::string_view key) const;
    // Decimal or 0x-hex, within [min, max]; DEFAULT_VALUE when absent.
    Result<int64_t> integer(std::string_view key, int64_t min, int64_t max,
                            int64_t default_value) const;
    Result<int64_t> required_integer(std::string_view key, int64_t min, int64_t max) const;
    const std::vector<std::pair<std::string, std::string>>& all() const { return fields_; }

  private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace shunt::ctl
