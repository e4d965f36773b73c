// A flame graph of folded stacks as one self-contained SVG: each box a function, its width its
// share of the samples, its callers below it (Brendan Gregg's layout). Debian ships no
// flame-graph renderer (no flamegraph.pl, no inferno), so this is our own, small one.
#pragma once

#include "tools/profile/folded.hpp"

#include <string>

namespace shunt::profile {

struct FlameOptions {
    std::string title = "shunt profile";
    std::string subtitle;  // e.g. the event and duration
    int width = 1200;      // pixels
    int frame_height = 16;
    double min_width = 0.1;  // boxes narrower than this (pixels) are left out, with their callees
};

std::string render_flamegraph(const FoldedStacks& stacks, const FlameOptions& options);

}  // namespace shunt::profile
