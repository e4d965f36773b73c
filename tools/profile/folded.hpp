// Stacks sampled by `perf record -g`, read from `perf script`'s text and folded: one line per
// distinct stack, root first, frames joined by ';', with the samples' total weight (the format
// Brendan Gregg's flame graphs and every tool after them read).
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::profile {

// Folded stacks: "root;child;leaf" -> weight (the sum of the samples' periods: nanoseconds for
// cpu-clock, events for hardware counters).
using FoldedStacks = std::map<std::string, uint64_t>;

struct ScriptSummary {
    uint64_t samples = 0;    // samples read
    uint64_t weight = 0;     // the sum of their periods
    std::string event;       // the event named in the samples ("cpu-clock", "cycles", ...)
    uint64_t malformed = 0;  // header lines that did not parse (skipped, with their stack)
};

// Reads `perf script -F comm,pid,tid,time,period,event,ip,sym,dso` output. Samples whose comm
// is not COMM (when COMM is not empty) are left out. Kernel frames are kept (a poll loop that
// sleeps in the kernel shows as such).
Result<FoldedStacks> fold_perf_script(std::string_view text, std::string_view comm,
                                      ScriptSummary* summary);

// A demangled C++ name without its parameter list and cv-qualifier, so a flame graph's boxes
// say "shunt::Stack::poll" rather than "shunt::Stack::poll(shunt::Instant)".
std::string short_function_name(std::string_view name);

// Folded stacks as text: "STACK WEIGHT\n" per line.
std::string folded_text(const FoldedStacks& stacks);

}  // namespace shunt::profile
