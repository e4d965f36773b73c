// A small JSON value for shuntctl's --json output: objects keep insertion order, so the
// output is stable for scripts and tests. Writing only; shuntctl never reads JSON.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace shunt::cli {

class Json {
  public:
    using Array = std::vector<Json>;
    using Object = std::vector<std::pair<std::string, Json>>;

    Json() : v_(nullptr) {}
    Json(std::nullptr_t) : v_(nullptr) {}
    Json(bool b) : v_(b) {}
    // Any integer (bool takes the overload above: a non-template exact match wins).
    template <std::integral T>
    Json(T n) : v_(number(n)) {}
    Json(std::string s) : v_(std::move(s)) {}
    Json(const char* s) : v_(std::string(s)) {}
    Json(Array a) : v_(std::move(a)) {}
    Json(Object o) : v_(std::move(o)) {}

    static Json object() { return Json(Object{}); }
    static Json array() { return Json(Array{}); }
    // Adds KEY to an object (the value must be one).
    Json& set(std::string key, Json value);
    // Appends to an array (the value must be one).
    Json& push(Json value);

    std::string dump() const;  // two-space indented, one trailing newline not included

  private:
    using Value = std::variant<std::nullptr_t, bool, int64_t, uint64_t, std::string, Array, Object>;
    template <std::integral T>
    static Value number(T n) {
        if constexpr (std::is_signed_v<T>) {
            return static_cast<int64_t>(n);
        } else {
            return static_cast<uint64_t>(n);
        }
    }
    void dump_to(std::string& out, int depth) const;
    Value v_;
};

}  // namespace shunt::cli
