// shuntctl kernel-stack off|on|status: take the kernel's stack off an interface (and give the
// NIC to vfio-pci) and put it back exactly, through the undo log.
#include "ioctl_ctl/kernel_stack.hpp"
#include "tools/shuntctl/common.hpp"

#include <fmt/format.h>

namespace shunt::cli {
namespace {

struct OffArgs {
    std::string ifname;
    bool unbind = false;
    bool keep_link = false;
    bool force = false;
};

struct OnArgs {
    std::string dev;
    bool all = false;
};

ctl::KernelStackOptions options(const Context& ctx) {
    ctl::KernelStackOptions o;
    o.state_dir = ctx.state_dir;
    o.after_step = crash_hook;
    return o;
}

std::string describe(const std::string& step) {
    if (step == "saved") return "state saved";
    if (step == "addresses-flushed") return "addresses flushed";
    if (step == "routes-flushed") return "routes flushed";
    if (step == "ipv6-off") return "IPv6 off";
    if (step == "link-down") return "link down";
    if (step == "unbound") return "bound to vfio-pci";
    return step;
}

int run_off(const Context& ctx, const OffArgs& a) {
    const std::string state = ctl::state_dir(ctx.state_dir);
    ctl::KernelStackOptions o = options(ctx);
    o.keep_link = a.keep_link;
    o.unbind = a.unbind;
    o.force = a.force;
    if (!a.force && !ctl::kernel_stack_saved(state, a.ifname)) {
        auto refusals = ctl::kernel_stack_off_refusals(a.ifname, a.unbind);
        if (!refusals) return fail(kFailure, refusals.error().message);
        if (!refusals->empty()) {
            return fail(kRefused, fmt::format("refusing to take {} off the kernel stack: {} "
                                              "(--force overrides)",
                                              a.ifname, fmt::join(refusals.value(), "; ")));
        }
        o.force = true;  // checked just now: the library need not check again
    }
    auto res = ctl::kernel_stack_off(a.ifname, o);
    if (!res) return fail(kFailure, res.error().message);
    if (res->already_off) {
        fmt::print("{}: kernel stack already off (undo log {})\n", a.ifname, res->log_path);
        return kOk;
    }
    std::vector<std::string> done;
    for (const auto& s : res->steps) done.push_back(describe(s));
    fmt::print(
        "{}: kernel stack off{}: {}; restore with: shuntctl kernel-stack on {} (undo log "
        "{})\n",
        a.ifname, res->resumed ? " (finished an interrupted run)" : "", fmt::join(done, ", "),
        a.ifname, res->log_path);
    return kOk;
}

int restore_one(const Context& ctx, const std::string& dev) {
    auto res = ctl::kernel_stack_on(dev, options(ctx));
    if (!res) return fail(kFailure, res.error().message);
    for (const auto& st : res->stale) {
        fmt::print(stderr,
                   "shuntctl: warning: stale undo log {} (not used; remove it with: shuntctl "
                   "kernel-stack discard {})\n",
                   st, dev);
    }
    if (res->nothing_to_restore) {
        fmt::print("{}: nothing to restore (no undo log for it in {}/kernel-stack)\n", dev,
                   ctl::state_dir(ctx.state_dir));
        return kOk;
    }
    for (const auto& w : res->warnings) fmt::print(stderr, "shuntctl: warning: {}\n", w);
    fmt::print("{}: kernel stack restored (addresses, routes, MTU, link, IPv6 setting{}){}\n",
               res->ifname, res->driver_restored ? ", driver" : "",
               res->renamed_from.empty()
                   ? ""
                   : fmt::format("; the driver named it {}, renamed back", res->renamed_from));
    return kOk;
}

int run_on(const Context& ctx, const OnArgs& a) {
    if (!a.all) {
        if (a.dev.empty()) return fail(kUsage, "kernel-stack on needs IFACE|DEV, or --all");
        return restore_one(ctx, a.dev);
    }
    std::vector<std::string> errors;
    const auto entries = ctl::kernel_stack_status(ctl::state_dir(ctx.state_dir), &errors);
    for (const auto& e : errors) fmt::print(stderr, "shuntctl: {}\n", e);
    int rc = errors.empty() ? kOk : kFailure;
    size_t restored = 0;
    for (const auto& e : entries) {
        if (e.check.owner != ctl::LogOwner::live) continue;
        if (restore_one(ctx, e.log.ifname) != kOk) rc = kFailure;
        ++restored;
    }
    if (restored == 0 && errors.empty()) fmt::print("nothing to restore\n");
    return rc;
}

std::string state_word(const ctl::KernelStackEntry& e) {
    if (e.check.owner == ctl::LogOwner::stale) return "stale";
    return e.complete ? "off" : "interrupted";
}

struct DiscardArgs {
    std::string dev;
    bool stale = false;
    bool force = false;
};

int run_discard(const Context& ctx, const DiscardArgs& a) {
    if (a.dev.empty() && !a.stale) {
        return fail(kUsage, "kernel-stack discard needs IFACE|DEV, or --stale");
    }
    if (!a.dev.empty() && a.stale) {
        return fail(kUsage, "kernel-stack discard: give IFACE|DEV or --stale, not both");
    }
    auto res = ctl::kernel_stack_discard(ctl::state_dir(ctx.state_dir), a.dev, a.force);
    if (!res) return fail(kFailure, res.error().message);
    for (const auto& p : res->removed) fmt::print("discarded {}\n", p);
    if (!res->refused.empty()) {
        return fail(kRefused, fmt::format("not discarding {} (--force discards it anyway)",
                                          fmt::join(res->refused, "; ")));
    }
    if (res->removed.empty()) {
        fmt::print("{}: no stale undo log to discard\n", a.dev.empty() ? "kernel-stack" : a.dev);
    }
    return kOk;
}

int run_status(const Context& ctx, bool json) {
    std::vector<std::string> errors;
    const std::string state = ctl::state_dir(ctx.state_dir);
    const auto entries = ctl::kernel_stack_status(state, &errors);
    if (json) {
        Json arr = Json::array();
        for (const auto& e : entries) {
            Json changes = Json::array();
            for (const auto& c : e.log.changes) changes.push_back(c);
            arr.push_back(
                Json{{"interface", e.log.ifname},
                     {"pci", e.log.pci.empty() ? Json(nullptr) : Json(e.log.pci)},
                     {"driver", e.log.driver.empty() ? Json(nullptr) : Json(e.log.driver)},
                     {"state", state_word(e)},
                     {"this_namespace", e.this_namespace},
                     {"stale_reason",
                      e.check.owner == ctl::LogOwner::stale ? Json(e.check.reason) : Json(nullptr)},
                     {"saved_at", e.log.created},
                     {"addresses", e.log.addresses.size()},
                     {"routes", e.log.routes.size()},
                     {"changes", std::move(changes)},
                     {"undo_log", e.log_path}});
        }
        Json errs = Json::array();
        for (const auto& e : errors) errs.push_back(e);
        print_json(Json{
            {"state_dir", state}, {"interfaces", std::move(arr)}, {"errors", std::move(errs)}});
        return errors.empty() ? kOk : kFailure;
    }
    for (const auto& e : errors) fmt::print(stderr, "shuntctl: {}\n", e);
    if (entries.empty()) fmt::print("no interface has its kernel stack off (state {})\n", state);
    for (const auto& e : entries) {
        if (e.check.owner == ctl::LogOwner::stale) {
            fmt::print(
                "{}: STALE undo log {} ({}; saved {}): discard it with: shuntctl "
                "kernel-stack discard {}\n",
                e.log.ifname, e.log_path, e.check.reason, e.log.created, e.log.ifname);
            continue;
        }
        fmt::print("{}{}: {} since {} ({} addresses, {} routes saved; {}){}\n", e.log.ifname,
                   e.log.pci.empty() ? "" : " (" + e.log.pci + ")",
                   e.complete ? "off" : "interrupted (run kernel-stack on or off again)",
                   e.log.created, e.log.addresses.size(), e.log.routes.size(),
                   fmt::join(e.log.changes, ", "),
                   e.this_namespace ? "" : " [another network namespace]");
    }
    return errors.empty() ? kOk : kFailure;
}

}  // namespace

void add_kernel_stack(CLI::App& app, Context& ctx) {
    auto* ks = app.add_subcommand(
        "kernel-stack", "Take the kernel's network stack off an interface, or put it back");
    ks->require_subcommand(1);

    auto off = std::make_shared<OffArgs>();
    auto* off_cmd = ks->add_subcommand(
        "off",
        "Save the interface's addresses, routes, MTU, flags and IPv6 setting to the undo "
        "log, then flush addresses and routes, turn IPv6 off and take the link down");
    off_cmd->add_option("IFACE", off->ifname, "Interface name")->required();
    off_cmd->add_flag("--unbind", off->unbind, "Then hand the PCI device to vfio-pci");
    off_cmd->add_flag("--keep-link", off->keep_link, "Leave the link up");
    off_cmd->add_flag("--force", off->force,
                      "Even if it carries the default route or this SSH session");
    off_cmd->callback([&ctx, off] { ctx.rc = run_off(ctx, *off); });

    auto on = std::make_shared<OnArgs>();
    auto* on_cmd = ks->add_subcommand(
        "on", "Restore everything kernel-stack off saved (also after a crash mid-change)");
    on_cmd->add_option("DEV", on->dev, "Interface name, or its PCI address after --unbind");
    on_cmd->add_flag("--all", on->all, "Restore every interface of this namespace with a log");
    on_cmd->callback([&ctx, on] { ctx.rc = run_on(ctx, *on); });

    auto discard = std::make_shared<DiscardArgs>();
    auto* discard_cmd = ks->add_subcommand(
        "discard",
        "Remove stale undo logs: their network namespace, interface or PCI device is gone "
        "(kernel-stack status and doctor list them); nothing on the host changes");
    discard_cmd->add_option("DEV", discard->dev, "The interface (or PCI address) they name");
    discard_cmd->add_flag("--stale", discard->stale, "Every stale undo log");
    discard_cmd->add_flag("--force", discard->force,
                          "Also a log that is not stale (the interface stays as it is now)");
    discard_cmd->callback([&ctx, discard] { ctx.rc = run_discard(ctx, *discard); });

    auto json = std::make_shared<bool>(false);
    auto* st = ks->add_subcommand("status", "List the interfaces whose kernel stack is off");
    st->add_flag("--json", *json, "Print JSON");
    st->callback([&ctx, json] { ctx.rc = run_status(ctx, *json); });
}

}  // namespace shunt::cli
