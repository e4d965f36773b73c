// shuntctl hugepages / doctor: what the host offers shunt, and what to do about what's missing.
#include "ioctl_ctl/host_checks.hpp"
#include "ioctl_ctl/hugepages.hpp"
#include "ioctl_ctl/kernel_stack.hpp"
#include "tools/shuntctl/common.hpp"
#include "tools/shuntctl/service_checks.hpp"

#include <fmt/format.h>

namespace shunt::cli {
namespace {

struct HugeArgs {
    int64_t reserve = -1;
    std::string size = "2M";
    bool json = false;
};

int run_hugepages(const HugeArgs& a) {
    uint64_t size_kb = 0;
    if (a.size == "2M") size_kb = 2048;
    if (a.size == "1G") size_kb = 1048576;
    if (size_kb == 0) return fail(kUsage, fmt::format("--size '{}': expected 2M or 1G", a.size));
    if (a.reserve >= 0) {
        const auto want = static_cast<uint64_t>(a.reserve);
        auto got = ctl::reserve_hugepages(size_kb, want);
        if (!got) return fail(kFailure, got.error().message);
        if (got.value() < want) {
            return fail(kFailure, fmt::format("the kernel reserved only {} of {} {} hugepages "
                                              "(memory is fragmented: reserve them at boot with "
                                              "hugepages={} on the kernel command line)",
                                              got.value(), want, a.size, want));
        }
    }
    auto pools = ctl::hugepage_pools();
    if (!pools) return fail(kFailure, pools.error().message);
    if (a.json) {
        Json arr = Json::array();
        for (const auto& p : pools.value()) {
            arr.push_back(Json{{"size_kb", p.size_kb},
                               {"total", p.total},
                               {"free", p.free},
                               {"reserved", p.reserved},
                               {"surplus", p.surplus}});
        }
        print_json(Json{{"pools", std::move(arr)}});
        return kOk;
    }
    for (const auto& p : pools.value()) {
        fmt::print("{} kB hugepages: {} total, {} free, {} reserved, {} surplus\n", p.size_kb,
                   p.total, p.free, p.reserved, p.surplus);
    }
    return kOk;
}

// Undo logs nothing can be restored from (their namespace or interface is gone).
ctl::HostCheck check_undo_logs(const std::string& state) {
    ctl::HostCheck c{"undo-logs", true, "", ""};
    std::vector<std::string> errors;
    std::vector<std::string> stale;
    size_t total = 0;
    for (const auto& e : ctl::kernel_stack_status(state, &errors)) {
        ++total;
        if (e.check.owner == ctl::LogOwner::stale) {
            stale.push_back(fmt::format("{} ({})", e.log_path, e.check.reason));
        }
    }
    if (!errors.empty()) {
        c.ok = false;
        c.detail = fmt::format("unreadable undo logs in {}: {}", state, fmt::join(errors, "; "));
        c.fix = "restore the interfaces by hand, then move the files away";
    } else if (!stale.empty()) {
        c.ok = false;
        c.detail = fmt::format("stale undo logs: {}", fmt::join(stale, "; "));
        c.fix = "shuntctl kernel-stack discard --stale";
    } else {
        c.detail = fmt::format("{} kernel-stack undo logs in {}, none stale", total, state);
    }
    return c;
}

int run_doctor(const Context& ctx, bool json, const ServicePaths& service) {
    auto checks = ctl::host_checks();
    checks.push_back(check_undo_logs(ctl::state_dir(ctx.state_dir)));
    for (auto& c : service_checks(service)) checks.push_back(std::move(c));
    bool all_ok = true;
    Json arr = Json::array();
    for (const auto& c : checks) {
        all_ok = all_ok && c.ok;
        arr.push_back(Json{{"check", c.name},
                           {"ok", c.ok},
                           {"detail", c.detail},
                           {"fix", c.ok ? Json(nullptr) : Json(c.fix)}});
    }
    if (json) {
        print_json(Json{{"ok", all_ok}, {"checks", std::move(arr)}});
    } else {
        for (const auto& c : checks) {
            fmt::print("{:4}  {}: {}\n", c.ok ? "ok" : "FAIL", c.name, c.detail);
            if (!c.ok) fmt::print("      fix: {}\n", c.fix);
        }
        fmt::print("{}\n",
                   all_ok ? "all checks passed" : "some checks failed: see the fixes above");
    }
    return all_ok ? kOk : kFailure;
}

}  // namespace

void add_hugepages(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<HugeArgs>();
    auto* sub = app.add_subcommand("hugepages", "Show the hugepage pools, or reserve pages");
    sub->add_option("--reserve", a->reserve, "Set the pool to N pages (nr_hugepages)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--size", a->size, "Page size: 2M (default) or 1G");
    sub->add_flag("--json", a->json, "Print JSON");
    sub->callback([&ctx, a] { ctx.rc = run_hugepages(*a); });
}

void add_doctor(CLI::App& app, Context& ctx) {
    auto json = std::make_shared<bool>(false);
    auto service = std::make_shared<ServicePaths>(default_service_paths());
    auto* sub = app.add_subcommand(
        "doctor",
        "Check IOMMU, vfio modules, /dev/vfio, hugepages, memlock, undo logs and the "
        "shuntd@.service setup (unit, user, /etc/shunt/*.conf, VFIO node owners); each "
        "failing check says the command that fixes it (exit 1 if any fails)");
    sub->add_flag("--json", *json, "Print JSON");
    sub->add_option("--config-dir", service->config_dir,
                    "where shuntd@NAME.service reads NAME.conf (default /etc/shunt)");
    sub->callback([&ctx, json, service] { ctx.rc = run_doctor(ctx, *json, *service); });
}

}  // namespace shunt::cli
