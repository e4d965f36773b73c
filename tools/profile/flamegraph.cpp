#include "tools/profile/flamegraph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>

namespace shunt::profile {
namespace {

struct Node {
    uint64_t weight = 0;
    std::map<std::string, std::unique_ptr<Node>> children;  // sorted by name, as flamegraph.pl
};

std::string escape_xml(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                // Control bytes are not allowed in XML 1.0 at all.
                if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
        }
    }
    return out;
}

// A warm colour from the name (stable between runs); kernel and unknown frames are grey-ish.
std::string colour(std::string_view name) {
    const size_t h = std::hash<std::string_view>{}(name);
    if (!name.empty() && name.front() == '[') {
        return fmt::format("rgb({},{},{})", 170 + (h % 40), 170 + (h % 40), 170 + ((h >> 8) % 40));
    }
    return fmt::format("rgb({},{},{})", 205 + (h % 50), 80 + ((h >> 8) % 150), (h >> 16) % 55);
}

int depth_of(const Node& n) {
    int d = 0;
    for (const auto& [_, c] : n.children) d = std::max(d, depth_of(*c));
    return d + 1;
}

}  // namespace

std::string render_flamegraph(const FoldedStacks& stacks, const FlameOptions& o) {
    Node root;
    for (const auto& [stack, weight] : stacks) {
        root.weight += weight;
        Node* n = &root;
        size_t pos = 0;
        while (pos <= stack.size()) {
            size_t end = stack.find(';', pos);
            if (end == std::string::npos) end = stack.size();
            auto& child = n->children[stack.substr(pos, end - pos)];
            if (!child) child = std::make_unique<Node>();
            child->weight += weight;
            n = child.get();
            pos = end + 1;
        }
    }
    const int depth = depth_of(root);  // includes the "all" box
    const int pad_top = 50;
    const int pad_bottom = 20;
    const int height = pad_top + depth * o.frame_height + pad_bottom;
    const double scale =
        root.weight == 0 ? 0.0 : (o.width - 20.0) / static_cast<double>(root.weight);
    std::string svg = fmt::format(
        "<?xml version=\"1.0\" standalone=\"no\"?>\n"
        "<svg version=\"1.1\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
        "xmlns=\"http://www.w3.org/2000/svg\">\n"
        "<style>text {{ font-family: monospace; font-size: 12px; fill: #000; }} "
        "rect:hover {{ stroke: #000; }}</style>\n"
        "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#f8f8f0\"/>\n"
        "<text x=\"{2}\" y=\"20\" text-anchor=\"middle\" style=\"font-size:16px\">{3}</text>\n"
        "<text x=\"{2}\" y=\"38\" text-anchor=\"middle\">{4}</text>\n",
        o.width, height, o.width / 2, escape_xml(o.title), escape_xml(o.subtitle));
    // Depth-first: x is the left edge in weight units; the root sits at the bottom.
    std::function<void(const std::string&, const Node&, uint64_t, int)> draw =
        [&](const std::string& name, const Node& n, uint64_t x, int level) {
            const double w = static_cast<double>(n.weight) * scale;
            if (w < o.min_width) return;
            const double px = 10.0 + static_cast<double>(x) * scale;
            const int py = height - pad_bottom - (level + 1) * o.frame_height;
            const double pct = root.weight == 0 ? 0.0
                                                : 100.0 * static_cast<double>(n.weight) /
                                                      static_cast<double>(root.weight);
            const std::string label = escape_xml(name);
            svg += fmt::format(
                "<g><title>{} ({:.2f}%, weight {})</title>"
                "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" "
                "fill=\"{}\" rx=\"2\"/>",
                label, pct, n.weight, px, py, w, o.frame_height - 1, colour(name));
            // As much of the name as fits at ~7 px per character.
            const auto fits = static_cast<size_t>(std::max(0.0, (w - 6.0) / 7.0));
            if (fits >= 3) {
                std::string text = name.size() <= fits ? name : name.substr(0, fits - 2) + "..";
                svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>", px + 3,
                                   py + o.frame_height - 4, escape_xml(text));
            }
            svg += "</g>\n";
            uint64_t cx = x;
            for (const auto& [child_name, child] : n.children) {
                draw(child_name, *child, cx, level + 1);
                cx += child->weight;
            }
        };
    draw("all", root, 0, 0);
    svg += "</svg>\n";
    return svg;
}

}  // namespace shunt::profile
