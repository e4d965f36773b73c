#include "tools/profile/folded.hpp"

#include <charconv>

namespace shunt::profile {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

bool parse_u64(std::string_view s, uint64_t& out) {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

struct Header {
    std::string comm;
    uint64_t period = 0;
    std::string event;
};

// "COMM PID/TID TIME: PERIOD EVENT:" (COMM may hold spaces, so it is read from the right).
bool parse_header(std::string_view line, Header& h) {
    line = trim(line);
    if (line.empty() || line.back() != ':') return false;
    line.remove_suffix(1);
    size_t sp = line.rfind(' ');
    if (sp == std::string_view::npos) return false;
    h.event = std::string(line.substr(sp + 1));
    line = trim(line.substr(0, sp));
    sp = line.rfind(' ');
    if (sp == std::string_view::npos || !parse_u64(line.substr(sp + 1), h.period)) return false;
    line = trim(line.substr(0, sp));
    // TIME:
    if (line.empty() || line.back() != ':') return false;
    sp = line.rfind(' ');
    if (sp == std::string_view::npos) return false;
    line = trim(line.substr(0, sp));
    // PID/TID
    sp = line.rfind(' ');
    if (sp == std::string_view::npos) return false;
    if (line.substr(sp + 1).find('/') == std::string_view::npos) return false;
    h.comm = std::string(trim(line.substr(0, sp)));
    return !h.comm.empty();
}

// "\tADDR SYMBOL (DSO)" -> the frame's name: the symbol, or "[DSO]" when perf had none.
std::string frame_name(std::string_view line) {
    line = trim(line);
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return "[unknown]";
    std::string_view rest = trim(line.substr(sp + 1));
    std::string_view dso;
    if (!rest.empty() && rest.back() == ')') {
        const size_t open = rest.rfind(" (");
        if (open != std::string_view::npos) {
            dso = rest.substr(open + 2, rest.size() - open - 3);
            rest = trim(rest.substr(0, open));
        }
    }
    if (rest.empty() || rest == "[unknown]") {
        if (dso.empty() || dso == "[unknown]") return "[unknown]";
        const size_t slash = dso.rfind('/');
        return "[" + std::string(slash == std::string_view::npos ? dso : dso.substr(slash + 1)) +
               "]";
    }
    // "+0x1c" offsets, when perf printed them.
    if (const size_t plus = rest.rfind("+0x"); plus != std::string_view::npos && plus > 0) {
        rest = rest.substr(0, plus);
    }
    std::string name = short_function_name(rest);
    for (char& c : name) {
        if (c == ';') c = ':';  // the folded format's separator
    }
    return name;
}

}  // namespace

std::string short_function_name(std::string_view name) {
    name = trim(name);
    for (std::string_view q : {std::string_view(" const"), std::string_view(" volatile"),
                               std::string_view(" &"), std::string_view(" &&")}) {
        if (name.size() > q.size() && name.substr(name.size() - q.size()) == q) {
            name.remove_suffix(q.size());
        }
    }
    if (name.empty() || name.back() != ')') return std::string(name);
    // The parameter list is the balanced (...) at the end.
    int depth = 0;
    for (size_t i = name.size(); i-- > 0;) {
        if (name[i] == ')') ++depth;
        if (name[i] == '(' && --depth == 0) {
            if (i == 0) return std::string(name);
            return std::string(name.substr(0, i));
        }
    }
    return std::string(name);
}

Result<FoldedStacks> fold_perf_script(std::string_view text, std::string_view comm,
                                      ScriptSummary* summary) {
    FoldedStacks out;
    ScriptSummary sum;
    std::vector<std::string> frames;  // leaf first, as perf prints them
    Header h;
    bool in_sample = false;
    bool keep = false;
    auto finish = [&] {
        if (in_sample && keep && !frames.empty()) {
            std::string stack;
            for (size_t i = frames.size(); i-- > 0;) {
                if (frames[i] == "[unknown]" && i + 1 == frames.size()) continue;  // root 0
                if (!stack.empty()) stack += ';';
                stack += frames[i];
            }
            if (stack.empty()) stack = "[unknown]";
            out[stack] += h.period;
            ++sum.samples;
            sum.weight += h.period;
            if (sum.event.empty()) sum.event = h.event;
        }
        frames.clear();
        in_sample = false;
    };
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (trim(line).empty()) {
            finish();
            continue;
        }
        const bool indented = line.front() == ' ' || line.front() == '\t';
        if (!indented || !in_sample) {
            // A header (perf script does not indent them).
            finish();
            if (!parse_header(line, h)) {
                if (!indented) ++sum.malformed;
                continue;
            }
            in_sample = true;
            keep = comm.empty() || h.comm == comm;
            continue;
        }
        if (keep) frames.push_back(frame_name(line));
    }
    finish();
    if (summary != nullptr) *summary = sum;
    return out;
}

std::string folded_text(const FoldedStacks& stacks) {
    std::string out;
    for (const auto& [stack, weight] : stacks) {
        out += stack;
        out += ' ';
        out += std::to_string(weight);
        out += '\n';
    }
    return out;
}

}  // namespace shunt::profile
