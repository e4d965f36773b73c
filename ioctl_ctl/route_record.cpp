// RouteRecord's line in the undo log: text out, text in (with every field checked).
#include "ioctl_ctl/netlink.hpp"
#include "ioctl_ctl/record_text.hpp"
#include "ioctl_ctl/route.hpp"

#include <linux/rtnetlink.h>

namespace shunt::ctl {
namespace {

std::string nexthops_text(const std::vector<NextHopRecord>& nhs) {
    std::string out;
    for (const auto& n : nhs) {
        if (!out.empty()) out += ';';
        out += fmt::format("{},{},{},{:#x}", n.ifindex, n.gateway.empty() ? "-" : n.gateway,
                           n.weight, n.flags);
    }
    return out;
}

Result<uint64_t> parse_number(std::string_view s, uint64_t max, std::string_view what) {
    const auto v = parse_record_integer<uint64_t>(s);
    if (!v || *v > max) {
        return make_error("{} '{}' is not a number up to {}", what, s, max);
    }
    return *v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    if (s.empty()) return parts;
    size_t pos = 0;
    for (;;) {
        const size_t next = s.find(sep, pos);
        parts.push_back(s.substr(pos, next == std::string_view::npos ? next : next - pos));
        if (next == std::string_view::npos) break;
        pos = next + 1;
    }
    return parts;
}

Result<NextHopRecord> parse_nexthop(std::string_view text) {
    const auto parts = split(text, ',');
    if (parts.size() != 4)
        return make_error("nexthop '{}': expected IFINDEX,GW,WEIGHT,FLAGS", text);
    NextHopRecord n;
    auto idx = parse_number(parts[0], INT32_MAX, "nexthop ifindex");
    auto weight = parse_number(parts[2], 255, "nexthop weight");
    auto flags = parse_number(parts[3], UINT32_MAX, "nexthop flags");
    for (const auto* v : {&idx, &weight, &flags}) {
        if (!*v) return v->error();
    }
    n.ifindex = static_cast<int>(idx.value());
    n.weight = static_cast<uint8_t>(weight.value());
    n.flags = static_cast<uint32_t>(flags.value());
    if (parts[1] != "-") n.gateway = std::string(parts[1]);
    return n;
}

Result<std::vector<std::pair<int, uint32_t>>> parse_metrics(std::string_view text) {
    std::vector<std::pair<int, uint32_t>> out;
    for (auto item : split(text, ',')) {
        const size_t colon = item.find(':');
        if (colon == std::string_view::npos)
            return make_error("metric '{}': expected ID:VALUE", item);
        auto id = parse_number(item.substr(0, colon), RTAX_MAX, "metric id");
        auto v = parse_number(item.substr(colon + 1), UINT32_MAX, "metric value");
        if (!id) return id.error();
        if (!v) return v.error();
        out.emplace_back(static_cast<int>(id.value()), static_cast<uint32_t>(v.value()));
    }
    return out;
}

}  // namespace

std::string RouteRecord::to_text() const {
    FieldWriter w;
    w.add("family", family == AF_INET ? "inet" : "inet6").add("table", table).add("type", type);
    w.add("protocol", protocol).add("scope", scope).add("tos", tos).add("priority", priority);
    w.add_hex("flags", flags).add("dst", fmt::format("{}/{}", dst, dst_len));
    if (!src.empty()) w.add("src", fmt::format("{}/{}", src, src_len));
    if (!pref_src.empty()) w.add("prefsrc", pref_src);
    if (iif != 0) w.add("iif", iif);
    if (!metrics.empty()) {
        std::string m;
        for (const auto& [id, v] : metrics)
            m += fmt::format("{}{}:{}", m.empty() ? "" : ",", id, v);
        w.add("metrics", m);
    }
    if (!nexthops.empty()) w.add("nh", nexthops_text(nexthops));
    return w.str();
}

namespace {

Status parse_prefix(const std::string& text, int family, std::string& addr, int& len) {
    const size_t slash = text.find('/');
    if (slash == std::string::npos) return make_error("'{}' is not ADDRESS/LEN", text);
    addr = text.substr(0, slash);
    auto l = parse_number(std::string_view(text).substr(slash + 1), family == AF_INET ? 32 : 128,
                          "prefix length");
    if (!l) return l.error();
    len = static_cast<int>(l.value());
    if (auto ok = nl::parse_addr(family, addr, len); !ok) return ok.error();
    return {};
}

}  // namespace

Result<RouteRecord> RouteRecord::parse(std::string_view text) {
    auto f = Fields::parse(text);
    if (!f) return f.error();
    RouteRecord r;
    const std::string fam = f->text("family");
    if (fam != "inet" && fam != "inet6") {
        return make_error("route family '{}': expected inet or inet6", fam);
    }
    r.family = fam == "inet" ? AF_INET : AF_INET6;
    auto table = f->required_integer("table", 0, UINT32_MAX);
    auto type = f->required_integer("type", 0, 255);
    auto proto = f->integer("protocol", 0, 255, 0);
    auto scope = f->integer("scope", 0, 255, 0);
    auto tos = f->integer("tos", 0, 255, 0);
    auto prio = f->integer("priority", 0, UINT32_MAX, 0);
    auto flags = f->integer("flags", 0, UINT32_MAX, 0);
    auto iif = f->integer("iif", 0, INT32_MAX, 0);
    for (const auto* v : {&table, &type, &proto, &scope, &tos, &prio, &flags, &iif}) {
        if (!*v) return v->error();
    }
    r.table = static_cast<uint32_t>(table.value());
    r.type = static_cast<uint8_t>(type.value());
    r.protocol = static_cast<uint8_t>(proto.value());
    r.scope = static_cast<uint8_t>(scope.value());
    r.tos = static_cast<uint8_t>(tos.value());
    r.priority = static_cast<uint32_t>(prio.value());
    r.flags = static_cast<uint32_t>(flags.value());
    r.iif = static_cast<int>(iif.value());
    auto dst = f->required("dst");
    if (!dst) return dst.error();
    if (auto s = parse_prefix(dst.value(), r.family, r.dst, r.dst_len); !s) return s.error();
    if (f->has("src")) {
        if (auto s = parse_prefix(f->text("src"), r.family, r.src, r.src_len); !s) return s.error();
    }
    r.pref_src = f->text("prefsrc");
    if (auto m = parse_metrics(f->text("metrics")); m) {
        r.metrics = std::move(m).value();
    } else {
        return m.error();
    }
    const std::string nh_text = f->text("nh");  // split() returns views into it
    for (auto item : split(nh_text, ';')) {
        auto nh = parse_nexthop(item);
        if (!nh) return nh.error();
        r.nexthops.push_back(std::move(nh).value());
    }
    return r;
}

}  // namespace shunt::ctl
