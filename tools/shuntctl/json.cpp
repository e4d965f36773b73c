#include "tools/shuntctl/json.hpp"

#include <fmt/format.h>

namespace shunt::cli {
namespace {

void escape(std::string& out, const std::string& s) {
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += fmt::format("\\u{:04x}", c);
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

void indent(std::string& out, int depth) {
    out += '\n';
    out.append(static_cast<size_t>(depth) * 2, ' ');
}

}  // namespace

Json& Json::set(std::string key, Json value) {
    std::get<Object>(v_).emplace_back(std::move(key), std::move(value));
    return *this;
}

Json& Json::push(Json value) {
    std::get<Array>(v_).push_back(std::move(value));
    return *this;
}

std::string Json::dump() const {
    std::string out;
    dump_to(out, 0);
    return out;
}

void Json::dump_to(std::string& out, int depth) const {
    if (std::holds_alternative<std::nullptr_t>(v_)) {
        out += "null";
    } else if (const bool* b = std::get_if<bool>(&v_)) {
        out += *b ? "true" : "false";
    } else if (const int64_t* i = std::get_if<int64_t>(&v_)) {
        out += fmt::format("{}", *i);
    } else if (const uint64_t* u = std::get_if<uint64_t>(&v_)) {
        out += fmt::format("{}", *u);
    } else if (const std::string* s = std::get_if<std::string>(&v_)) {
        escape(out, *s);
    } else if (const Array* a = std::get_if<Array>(&v_)) {
        if (a->empty()) {
            out += "[]";
            return;
        }
        out += '[';
        for (size_t k = 0; k < a->size(); ++k) {
            if (k != 0) out += ',';
            indent(out, depth + 1);
            (*a)[k].dump_to(out, depth + 1);
        }
        indent(out, depth);
        out += ']';
    } else {
        const Object& o = std::get<Object>(v_);
        if (o.empty()) {
            out += "{}";
            return;
        }
        out += '{';
        for (size_t k = 0; k < o.size(); ++k) {
            if (k != 0) out += ',';
            indent(out, depth + 1);
            escape(out, o[k].first);
            out += ": ";
            o[k].second.dump_to(out, depth + 1);
        }
        indent(out, depth);
        out += '}';
    }
}

}  // namespace shunt::cli
