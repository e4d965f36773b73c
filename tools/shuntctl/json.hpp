// shuntctl's --json output: nlohmann-json (the project's one JSON library) with ordered
// objects, so keys come out in the order a command sets them and the output is stable for
// scripts and tests.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace shunt::cli {

using Json = nlohmann::ordered_json;

// Two-space indented, no trailing newline. Text that is not UTF-8 (an interface name, a
// driver's string) comes out with U+FFFD in place of the bad bytes instead of throwing.
inline std::string json_text(const Json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace shunt::cli
