#include "tools/control/protocol.hpp"

#include <algorithm>

namespace shunt::control {

std::string_view error_code_name(ErrorCode c) noexcept {
    switch (c) {
        case ErrorCode::malformed:
            return "malformed";
        case ErrorCode::bad_request:
            return "bad_request";
        case ErrorCode::unsupported_version:
            return "unsupported_version";
        case ErrorCode::line_too_long:
            return "line_too_long";
        case ErrorCode::unknown_command:
            return "unknown_command";
        case ErrorCode::bad_args:
            return "bad_args";
        case ErrorCode::busy:
            return "busy";
        case ErrorCode::not_running:
            return "not_running";
        case ErrorCode::not_implemented:
            return "not_implemented";
        case ErrorCode::failed:
            return "failed";
    }
    return "failed";
}

namespace {

// Client text may be anything: a reply quoting it must still be valid JSON (U+FFFD for bad
// UTF-8 instead of an exception).
std::string dump_line(const Json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

bool valid_id(const Json& id) {
    return id.is_null() || id.is_number_integer() || id.is_number_unsigned() ||
           (id.is_string() && id.get_ref<const std::string&>().size() <= 256);
}

std::string fmt_range(const char* name, int64_t min, int64_t max) {
    return std::string(name) + ": expected an integer in [" + std::to_string(min) + ", " +
           std::to_string(max) + "]";
}

}  // namespace

std::variant<Request, ProtocolError> parse_request(std::string_view line) {
    // No exceptions: a parse error is a discarded value.
    Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        return ProtocolError{ErrorCode::malformed, "the line is not JSON", nullptr};
    }
    if (!j.is_object()) {
        return ProtocolError{ErrorCode::bad_request, "a request is a JSON object", nullptr};
    }
    Request r;
    if (auto it = j.find("id"); it != j.end()) {
        if (!valid_id(*it)) {
            return ProtocolError{ErrorCode::bad_request,
                                 "\"id\" must be an integer or a string of at most 256 bytes",
                                 nullptr};
        }
        r.id = *it;
    }
    auto v = j.find("v");
    if (v == j.end()) return ProtocolError{ErrorCode::bad_request, "\"v\" is missing", r.id};
    if (!v->is_number_integer() || v->get<int64_t>() != kProtocolVersion) {
        return ProtocolError{ErrorCode::unsupported_version,
                             "this daemon speaks protocol version 1 (\"v\":1)", r.id};
    }
    auto cmd = j.find("cmd");
    if (cmd == j.end() || !cmd->is_string() || cmd->get_ref<const std::string&>().empty()) {
        return ProtocolError{ErrorCode::bad_request, "\"cmd\" must be a non-empty string", r.id};
    }
    r.cmd = cmd->get<std::string>();
    if (auto a = j.find("args"); a != j.end() && !a->is_null()) {
        if (!a->is_object()) {
            return ProtocolError{ErrorCode::bad_request, "\"args\" must be an object", r.id};
        }
        r.args = std::move(*a);
    }
    return r;
}

std::string reply_ok(const Json& id, Json result) {
    Json j;
    j["v"] = kProtocolVersion;
    j["id"] = id;
    j["ok"] = true;
    j["result"] = std::move(result);
    return dump_line(j);
}

std::string reply_error(const Json& id, ErrorCode code, std::string_view message) {
    Json j;
    j["v"] = kProtocolVersion;
    j["id"] = id;
    j["ok"] = false;
    j["error"] = {{"code", error_code_name(code)}, {"message", message}};
    return dump_line(j);
}

std::variant<std::optional<int64_t>, ArgError> int_arg(const Json& args, const char* name,
                                                       int64_t min, int64_t max) {
    auto it = args.find(name);
    if (it == args.end() || it->is_null()) return std::optional<int64_t>{};
    if (it->is_number_unsigned()) {
        const uint64_t u = it->get<uint64_t>();
        if (u > static_cast<uint64_t>(max)) {
            return ArgError{fmt_range(name, min, max)};
        }
        return std::optional<int64_t>{static_cast<int64_t>(u)};
    }
    if (!it->is_number_integer()) return ArgError{std::string(name) + ": expected an integer"};
    const int64_t v = it->get<int64_t>();
    if (v < min || v > max) return ArgError{fmt_range(name, min, max)};
    return std::optional<int64_t>{v};
}

std::variant<std::optional<std::string>, ArgError> string_arg(const Json& args, const char* name,
                                                              size_t max_len) {
    auto it = args.find(name);
    if (it == args.end() || it->is_null()) return std::optional<std::string>{};
    if (!it->is_string()) return ArgError{std::string(name) + ": expected a string"};
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() > max_len) {
        return ArgError{std::string(name) + ": longer than " + std::to_string(max_len) + " bytes"};
    }
    return std::optional<std::string>{s};
}

void LineBuffer::feed(std::string_view bytes) {
    if (overflow_) return;
    // Compact before growing: returned lines are not kept.
    if (start_ > 0 && start_ == buf_.size()) {
        buf_.clear();
        start_ = 0;
    } else if (start_ > max_line_) {
        buf_.erase(0, start_);
        start_ = 0;
    }
    buf_.append(bytes);
}

std::variant<std::nullopt_t, std::string, LineBuffer::Overflow> LineBuffer::next() {
    if (overflow_) return Overflow{};
    const size_t from = start_ + scanned_;
    const size_t nl = buf_.find('\n', from);
    if (nl == std::string::npos) {
        scanned_ = buf_.size() - start_;
        if (scanned_ > max_line_) {
            overflow_ = true;
            return Overflow{};
        }
        return std::nullopt;
    }
    size_t len = nl - start_;
    if (len > max_line_) {
        overflow_ = true;
        return Overflow{};
    }
    std::string line = buf_.substr(start_, len);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    start_ = nl + 1;
    scanned_ = 0;
    return line;
}

std::string to_hex(const uint8_t* data, size_t len) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s(len * 2, '\0');
    for (size_t i = 0; i < len; ++i) {
        s[2 * i] = kDigits[data[i] >> 4];
        s[2 * i + 1] = kDigits[data[i] & 0xf];
    }
    return s;
}

bool from_hex(std::string_view hex, std::string& out) {
    if (hex.size() % 2 != 0) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    out.resize(hex.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        const int hi = nibble(hex[2 * i]);
        const int lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<char>(hi << 4 | lo);
    }
    return true;
}

}  // namespace shunt::control
