#include "ioctl_ctl/record_text.hpp"

namespace shunt::ctl {

FieldWriter& FieldWriter::add(std::string_view key, std::string_view value) {
    if (!out_.empty()) out_ += ' ';
    out_ += key;
    out_ += '=';
    out_ += value;
    return *this;
}

FieldWriter& FieldWriter::add(std::string_view key, int64_t value) {
    return add(key, std::string_view(fmt::format("{}", value)));
}

FieldWriter& FieldWriter::add_hex(std::string_view key, uint64_t value) {
    return add(key, std::string_view(fmt::format("{:#x}", value)));
}

Result<Fields> Fields::parse(std::string_view line) {
    Fields f;
    size_t pos = 0;
    while (pos < line.size()) {
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
        if (pos >= line.size()) break;
        size_t end = pos;
        while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
        const std::string_view token = line.substr(pos, end - pos);
        const size_t eq = token.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            return make_error("field '{}' is not key=value", token);
        }
        std::string key(token.substr(0, eq));
        if (f.has(key)) return make_error("field '{}' appears twice", key);
        f.fields_.emplace_back(std::move(key), std::string(token.substr(eq + 1)));
        pos = end;
    }
    return f;
}

bool Fields::has(std::string_view key) const {
    for (const auto& [k, v] : fields_) {
        if (k == key) return true;
    }
    return false;
}

std::string Fields::text(std::string_view key) const {
    for (const auto& [k, v] : fields_) {
        if (k == key) return v;
    }
    return {};
}

Result<std::string> Fields::required(std::string_view key) const {
    if (!has(key)) return make_error("field '{}' is missing", key);
    return text(key);
}

Result<int64_t> Fields::integer(std::string_view key, int64_t min, int64_t max,
                                int64_t default_value) const {
    if (!has(key)) return default_value;
    const std::string v = text(key);
    const auto parsed = parse_record_integer<int64_t>(v);
    if (!parsed) return make_error("field {}={} is not an integer", key, v);
    const int64_t out = *parsed;
    if (out < min || out > max) {
        return make_error("field {}={} is outside {}..{}", key, v, min, max);
    }
    return out;
}

Result<int64_t> Fields::required_integer(std::string_view key, int64_t min, int64_t max) const {
    if (!has(key)) return make_error("field '{}' is missing", key);
    return integer(key, min, max, 0);
}

}  // namespace shunt::ctl
