// shuntctl channels / rss / steer: the ethtool ioctls, with ethtool's own words for rules.
#include "ioctl_ctl/ethtool.hpp"
#include "ioctl_ctl/steer_rule.hpp"
#include "tools/shuntctl/common.hpp"

#include <fmt/format.h>

namespace shunt::cli {
namespace {

struct ChannelArgs {
    std::string ifname;
    int64_t rx = -1, tx = -1, other = -1, combined = -1;
    bool json = false;
};

std::optional<uint32_t> given(int64_t v) {
    return v >= 0 ? std::optional<uint32_t>(static_cast<uint32_t>(v)) : std::nullopt;
}

std::string channels_text(const ctl::Channels& c) {
    return fmt::format("rx {}/{} tx {}/{} other {}/{} combined {}/{}", c.rx, c.max_rx, c.tx,
                       c.max_tx, c.other, c.max_other, c.combined, c.max_combined);
}

int run_channels(const ChannelArgs& a) {
    const ctl::ChannelRequest req{given(a.rx), given(a.tx), given(a.other), given(a.combined)};
    const bool change = req.rx || req.tx || req.other || req.combined;
    auto before = ctl::get_channels(a.ifname);
    if (!before) return fail(kFailure, before.error().message);
    if (change) {
        if (auto s = ctl::set_channels(a.ifname, req); !s) return fail(kFailure, s.error().message);
    }
    auto now = change ? ctl::get_channels(a.ifname) : before;
    if (!now) return fail(kFailure, now.error().message);
    const ctl::Channels& c = now.value();
    if (a.json) {
        print_json(Json{{"interface", a.ifname},
                        {"rx", c.rx},
                        {"tx", c.tx},
                        {"other", c.other},
                        {"combined", c.combined},
                        {"max_rx", c.max_rx},
                        {"max_tx", c.max_tx},
                        {"max_other", c.max_other},
                        {"max_combined", c.max_combined}});
    } else if (change) {
        fmt::print("{} channels (current/maximum): {} (was: {})\n", a.ifname, channels_text(c),
                   channels_text(before.value()));
    } else {
        fmt::print("{} channels (current/maximum): {}\n", a.ifname, channels_text(c));
    }
    return kOk;
}

struct RssArgs {
    std::string ifname;
    int64_t equal = -1;
    bool reset = false;
    std::vector<std::string> hash;
    bool json = false;
};

int apply_rss(const RssArgs& a) {
    if (a.equal >= 0) {
        if (auto s = ctl::set_rss_equal(a.ifname, static_cast<uint32_t>(a.equal)); !s) {
            return fail(kFailure, s.error().message);
        }
    }
    if (a.reset) {
        if (auto s = ctl::set_rss_indirection(a.ifname, {}); !s) {
            return fail(kFailure, s.error().message);
        }
    }
    for (const auto& h : a.hash) {
        const size_t eq = h.find('=');
        const auto flow = ctl::flow_type_from_name(h.substr(0, eq));
        if (eq == std::string::npos || !flow) {
            return fail(kUsage,
                        fmt::format("--hash '{}': expected FLOW=LETTERS, e.g. tcp4=sdfn", h));
        }
        auto fields = ctl::parse_rxh_letters(h.substr(eq + 1));
        if (!fields) return fail(kUsage, fmt::format("--hash '{}': {}", h, fields.error().message));
        if (auto s = ctl::set_rx_flow_hash(a.ifname, *flow, fields.value()); !s) {
            return fail(kFailure, s.error().message);
        }
    }
    return kOk;
}

int run_rss(const RssArgs& a) {
    if (int rc = apply_rss(a); rc != kOk) return rc;
    auto rings = ctl::rx_ring_count(a.ifname);
    if (!rings) return fail(kFailure, rings.error().message);
    auto table = ctl::rss_indirection(a.ifname);
    if (!table) return fail(kFailure, table.error().message);
    Json hashes = Json::object();
    std::string hash_text;
    for (const char* flow : {"tcp4", "udp4", "tcp6", "udp6"}) {
        // Hash fields are optional for a driver: the ones it reports are shown.
        auto h = ctl::rx_flow_hash(a.ifname, *ctl::flow_type_from_name(flow));
        if (!h) continue;
        hashes[flow] = ctl::rxh_letters(h.value());
        hash_text += fmt::format(" {}={}", flow, ctl::rxh_letters(h.value()));
    }
    if (a.json) {
        Json t = Json::array();
        for (uint32_t v : table.value()) t.push_back(v);
        print_json(Json{{"interface", a.ifname},
                        {"rx_rings", rings.value()},
                        {"indirection", std::move(t)},
                        {"hash_fields", std::move(hashes)}});
        return kOk;
    }
    fmt::print("{}: {} RX rings; RSS indirection table ({} entries):\n", a.ifname, rings.value(),
               table->size());
    for (size_t i = 0; i < table->size(); i += 8) {
        const auto end =
            table->begin() + static_cast<std::ptrdiff_t>(std::min(i + 8, table->size()));
        fmt::print("  {:5}: {}\n", i,
                   fmt::join(table->begin() + static_cast<std::ptrdiff_t>(i), end, " "));
    }
    if (!hash_text.empty()) fmt::print("hash fields:{}\n", hash_text);
    return kOk;
}

struct SteerArgs {
    std::string ifname;
    std::string action;
    std::vector<std::string> words;
    bool json = false;
};

int steer_list(const SteerArgs& a) {
    auto rules = ctl::list_steer_rules(a.ifname);
    if (!rules) return fail(kFailure, rules.error().message);
    if (a.json) {
        Json arr = Json::array();
        for (const auto& r : rules.value()) {
            arr.push_back(Json{{"location", r.location},
                               {"rule", r.rule ? Json(ctl::to_string(*r.rule)) : Json(nullptr)},
                               {"unsupported", r.rule ? Json(nullptr) : Json(r.unsupported)}});
        }
        print_json(Json{{"interface", a.ifname}, {"rules", std::move(arr)}});
        return kOk;
    }
    if (rules->empty()) fmt::print("{}: no steering rules\n", a.ifname);
    for (const auto& r : rules.value()) {
        fmt::print("loc {}: {}\n", r.location,
                   r.rule ? ctl::to_string(*r.rule) : "(not shown: " + r.unsupported + ")");
    }
    return kOk;
}

int run_steer(const SteerArgs& a) {
    if (a.action == "list") {
        if (!a.words.empty()) return fail(kUsage, "steer IFACE list takes no more words");
        return steer_list(a);
    }
    if (a.action == "add") {
        auto rule = ctl::parse_steer_rule(a.words);
        if (!rule) return fail(kUsage, "steer add: " + rule.error().message);
        auto loc = ctl::insert_steer_rule(a.ifname, rule.value());
        if (!loc) return fail(kFailure, loc.error().message);
        fmt::print("{}: rule at loc {}: {}\n", a.ifname, loc.value(), ctl::to_string(*rule));
        return kOk;
    }
    if (a.action == "del") {
        uint32_t loc = 0;
        if (a.words.size() != 1 || !CLI::detail::lexical_cast(a.words[0], loc)) {
            return fail(kUsage, "steer IFACE del LOC: LOC is the rule's location number");
        }
        if (auto s = ctl::delete_steer_rule(a.ifname, loc); !s) {
            return fail(kFailure, s.error().message);
        }
        fmt::print("{}: rule at loc {} deleted\n", a.ifname, loc);
        return kOk;
    }
    return fail(kUsage, fmt::format("steer: '{}' is not add, del or list", a.action));
}

}  // namespace

void add_channels(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<ChannelArgs>();
    auto* sub = app.add_subcommand("channels",
                                   "Show or set RX/TX channels (ETHTOOL_GCHANNELS/"
                                   "SCHANNELS)");
    sub->add_option("IFACE", a->ifname, "Interface name")->required();
    sub->add_option("--combined", a->combined, "Combined RX+TX channels")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--rx", a->rx, "RX-only channels")->check(CLI::NonNegativeNumber);
    sub->add_option("--tx", a->tx, "TX-only channels")->check(CLI::NonNegativeNumber);
    sub->add_option("--other", a->other, "Other channels")->check(CLI::NonNegativeNumber);
    sub->add_flag("--json", a->json, "Print JSON");
    sub->callback([&ctx, a] { ctx.rc = run_channels(*a); });
}

void add_rss(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<RssArgs>();
    auto* sub = app.add_subcommand("rss",
                                   "Show or set RSS: RX rings, indirection table, hash "
                                   "fields (ETHTOOL_GRXRINGS/GRXFHINDIR/GRXFH)");
    sub->add_option("IFACE", a->ifname, "Interface name")->required();
    sub->add_option("--equal", a->equal, "Spread the indirection table over the first N rings")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--default", a->reset, "Restore the driver's default indirection table");
    sub->add_option("--hash", a->hash, "Hash fields per flow type, ethtool's letters: tcp4=sdfn");
    sub->add_flag("--json", a->json, "Print JSON");
    sub->callback([&ctx, a] { ctx.rc = run_rss(*a); });
}

void add_steer(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<SteerArgs>();
    auto* sub = app.add_subcommand(
        "steer",
        "n-tuple steering rules in ethtool's words: steer IFACE add flow-type tcp4|udp4 "
        "[src-ip A] [dst-ip B] [src-port P] [dst-port Q] action N|drop [loc L]; steer "
        "IFACE del LOC; steer IFACE list");
    sub->add_option("IFACE", a->ifname, "Interface name")->required();
    sub->add_option("ACTION", a->action, "add, del or list")->required();
    sub->add_option("WORDS", a->words, "The rule's words (add) or its location (del)");
    sub->add_flag("--json", a->json, "Print JSON (list)");
    sub->callback([&ctx, a] { ctx.rc = run_steer(*a); });
}

}  // namespace shunt::cli
