// shuntctl status: the NIC table (like dpdk-devbind --status) and the namespace's other
// interfaces; shuntctl show IFACE: one interface's facts.
#include "ioctl_ctl/active.hpp"
#include "ioctl_ctl/facts.hpp"
#include "ioctl_ctl/kernel_stack.hpp"
#include "ioctl_ctl/pci.hpp"
#include "tools/shuntctl/common.hpp"

#include <fmt/format.h>

#include <net/if.h>

#include <algorithm>
#include <set>

namespace shunt::cli {
namespace {

struct StatusOptions {
    bool json = false;
};

bool any_active(const ctl::PciDevice& d, const std::set<int>& active) {
    for (const auto& name : d.interfaces) {
        const unsigned idx = ::if_nametoindex(name.c_str());
        if (idx != 0 && active.count(static_cast<int>(idx)) != 0) return true;
    }
    return false;
}

// vfio/ can open it: bound to vfio-pci, in a group the kernel will hand over (pci/'s rule, the
// one vfio/ checks before opening the group).
bool usable(const ctl::PciDevice& d) {
    return d.driver == "vfio-pci" && pci::PciSysfs().check_group(d.address).viable();
}

Json pci_json(const ctl::PciDevice& d, bool active) {
    Json members = Json::array();
    for (const auto& m : d.iommu_group_members) members.push_back(m.to_string());
    Json ifaces = Json::array();
    for (const auto& i : d.interfaces) ifaces.push_back(i);
    Json sriov = nullptr;
    if (d.sriov) {
        sriov = Json{{"numvfs", d.sriov->numvfs}, {"totalvfs", d.sriov->totalvfs}};
    }
    return Json{
        {"address", d.address.to_string()},
        {"vendor_id", fmt::format("{:04x}", d.vendor_id)},
        {"device_id", fmt::format("{:04x}", d.device_id)},
        {"vendor", d.vendor_name},
        {"device", d.device_name},
        {"class", fmt::format("{:06x}", d.class_code)},
        {"driver", d.driver.empty() ? Json(nullptr) : Json(d.driver)},
        {"driver_override", d.driver_override.empty() ? Json(nullptr) : Json(d.driver_override)},
        {"interfaces", std::move(ifaces)},
        {"active", active},
        {"usable", usable(d)},
        {"numa_node", d.numa_node},
        {"iommu_group", d.iommu_group ? Json(*d.iommu_group) : Json(nullptr)},
        {"iommu_group_members", std::move(members)},
        {"sriov", std::move(sriov)}};
}

std::string pci_line(const ctl::PciDevice& d, bool active) {
    std::string line = fmt::format("{} '{} {:04x}'", d.address.to_string(),
                                   d.device_name.empty() ? "Device" : d.device_name, d.device_id);
    if (!d.interfaces.empty()) line += fmt::format(" if={}", fmt::join(d.interfaces, ","));
    if (!d.driver.empty()) line += " drv=" + d.driver;
    if (d.driver != "vfio-pci") line += " unused=vfio-pci";
    line += fmt::format(" numa={} iommu_group={}", d.numa_node,
                        d.iommu_group ? std::to_string(*d.iommu_group) : "-");
    if (d.sriov) line += fmt::format(" vfs={}/{}", d.sriov->numvfs, d.sriov->totalvfs);
    if (d.driver == "vfio-pci" && !usable(d)) line += " *IOMMU-group-not-viable*";
    if (active) line += " *Active*";
    return line;
}

void print_section(const std::string& title, const std::vector<std::string>& lines) {
    fmt::print("{}\n{}\n", title, std::string(title.size(), '='));
    if (lines.empty()) fmt::print("<none>\n");
    for (const auto& l : lines) fmt::print("{}\n", l);
    fmt::print("\n");
}

Json iface_json(const ctl::InterfaceFacts& f, bool active, bool off) {
    return Json{{"name", f.info.name},
                {"index", f.info.index},
                {"driver", f.driver},
                {"kind", f.kind},
                {"bus_info", f.bus_info},
                {"pci", f.pci ? Json(f.pci->to_string()) : Json(nullptr)},
                {"mac", f.info.mac.to_string()},
                {"mtu", f.info.mtu},
                {"up", f.info.up()},
                {"operstate", f.operstate},
                {"carrier", f.carrier},
                {"active", active},
                {"kernel_stack_off", off}};
}

int run_status(const Context& ctx, const StatusOptions& o) {
    auto devices = ctl::list_network_devices();
    if (!devices) return fail(kFailure, devices.error().message);
    auto active = ctl::active_ifindexes();
    if (!active) return fail(kFailure, active.error().message);
    const std::string state = ctl::state_dir(ctx.state_dir);
    // The undo logs, once: which interfaces are off (a live log for that very interface),
    // and the stale ones, reported with the command that discards them.
    const auto logs = ctl::kernel_stack_status(state, nullptr);
    Json stale = Json::array();
    std::vector<std::string> stale_lines;
    for (const auto& e : logs) {
        if (e.check.owner != ctl::LogOwner::stale) continue;
        stale.push_back(Json{
            {"interface", e.log.ifname}, {"undo_log", e.log_path}, {"reason", e.check.reason}});
        stale_lines.push_back(fmt::format("{}: {} ({}); shuntctl kernel-stack discard {}",
                                          e.log.ifname, e.log_path, e.check.reason, e.log.ifname));
    }
    Json pci = Json::array();
    std::vector<std::string> vfio, kernel, none, virt;
    for (const auto& d : devices.value()) {
        const bool act = any_active(d, active.value());
        pci.push_back(pci_json(d, act));
        auto& section = d.driver == "vfio-pci" ? vfio : d.driver.empty() ? none : kernel;
        section.push_back(pci_line(d, act));
    }
    Json ifaces = Json::array();
    for (const auto& name : ctl::interface_names()) {
        auto f = ctl::interface_facts(name);
        if (!f || (f->info.flags & IFF_LOOPBACK)) continue;
        const bool act = active->count(f->info.index) != 0;
        const bool off = std::any_of(logs.begin(), logs.end(), [&](const auto& e) {
            return e.check.owner == ctl::LogOwner::live && e.log.ifindex == f->info.index &&
                   !e.log.has_change("unbound");
        });
        ifaces.push_back(iface_json(f.value(), act, off));
        if (f->pci) continue;
        virt.push_back(fmt::format("{} drv={} mac={} mtu={} state={}{}{}", name,
                                   f->driver.empty() ? "-" : f->driver, f->info.mac.to_string(),
                                   f->info.mtu, f->operstate, off ? " kernel-stack=off" : "",
                                   act ? " *Active*" : ""));
    }
    if (o.json) {
        print_json(Json{{"pci_devices", std::move(pci)},
                        {"interfaces", std::move(ifaces)},
                        {"stale_undo_logs", std::move(stale)}});
        return kOk;
    }
    print_section("Network devices bound to vfio-pci (usable by shunt)", vfio);
    print_section("Network devices using kernel drivers", kernel);
    print_section("Network devices without a driver", none);
    print_section("Interfaces without a PCI device (this network namespace)", virt);
    if (!stale_lines.empty()) {
        print_section("Stale undo logs (their namespace or interface is gone; nothing to restore)",
                      stale_lines);
    }
    return kOk;
}

int run_show(const std::string& ifname, bool json) {
    auto f = ctl::interface_facts(ifname);
    if (!f) return fail(kFailure, f.error().message);
    auto active = ctl::active_ifindexes();
    const bool act = active && active->count(f->info.index) != 0;
    if (json) {
        print_json(iface_json(f.value(), act, false));
        return kOk;
    }
    fmt::print("{}: index {} mtu {} mac {} state {}{}\n", ifname, f->info.index, f->info.mtu,
               f->info.mac.to_string(), f->operstate, f->info.up() ? " (up)" : " (down)");
    fmt::print("  driver {}{}{}\n", f->driver.empty() ? "-" : f->driver,
               f->bus_info.empty() ? "" : " bus " + f->bus_info,
               f->kind.empty() ? "" : " kind " + f->kind);
    fmt::print("  carrier {}{}\n", f->carrier ? "yes" : "no",
               act ? ", active (carries routes)" : "");
    return kOk;
}

}  // namespace

void add_status(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand(
        "status",
        "List PCI network devices (driver, interface, IOMMU group, NUMA node) and the "
        "interfaces of this network namespace; *Active* marks interfaces carrying "
        "routes");
    auto opts = std::make_shared<StatusOptions>();
    sub->add_flag("--json", opts->json, "Print JSON");
    sub->callback([&ctx, opts] { ctx.rc = run_status(ctx, *opts); });
}

void add_show(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand("show",
                                   "One interface's facts: index, flags, MAC, MTU, "
                                   "driver and bus address, link state");
    auto ifname = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    sub->add_option("IFACE", *ifname, "Interface name")->required();
    sub->add_flag("--json", *json, "Print JSON");
    sub->callback([&ctx, ifname, json] { ctx.rc = run_show(*ifname, *json); });
}

}  // namespace shunt::cli
