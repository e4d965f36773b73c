// Feeding a byte string to a sans-IO consumer in every way it could arrive: in pieces of
// each size 1..N, and split at every one or two points.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::app::testing {

// The split patterns for input of length n: each is the list of piece lengths.
inline std::vector<std::vector<size_t>> split_patterns(size_t n, bool pairs_of_points) {
    std::vector<std::vector<size_t>> out;
    for (size_t k = 1; k <= n; ++k) {  // equal pieces of k bytes, the last one shorter
        std::vector<size_t> p;
        for (size_t at = 0; at < n; at += k) p.push_back(std::min(k, n - at));
        out.push_back(std::move(p));
    }
    for (size_t a = 1; a < n; ++a) out.push_back({a, n - a});  // one split point
    if (pairs_of_points) {
        for (size_t a = 1; a < n; ++a) {
            for (size_t b = a + 1; b < n; ++b) out.push_back({a, b - a, n - b});
        }
    }
    return out;
}

// Calls feed(piece) for each piece of `input` cut by `pattern`.
inline void feed_split(std::string_view input, const std::vector<size_t>& pattern,
                       const std::function<void(std::string_view)>& feed) {
    size_t at = 0;
    for (size_t len : pattern) {
        feed(input.substr(at, len));
        at += len;
    }
}

}  // namespace shunt::app::testing
