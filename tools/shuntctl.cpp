// shuntctl: host control for shunt. Shows NICs and host readiness, binds NICs to vfio-pci,
// takes the kernel's stack off an interface and puts it back exactly (through an undo log,
// so a crash mid-change is recoverable), and sets channels, RSS and steering rules.
#include "tools/shuntctl/common.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace {

constexpr const char* kFooter = R"(Exit codes:
  0  success (also: nothing to do, e.g. kernel-stack on without a saved state)
  1  failure: the message says what failed and why; doctor: a check failed
  2  usage error
  3  refused for safety (default route, SSH session, active interface, IOMMU group);
     --force overrides

Examples:
  shuntctl status                          NICs, drivers, IOMMU groups; *Active* = has routes
  shuntctl doctor                          is this host ready for VFIO? (with fixes)
  shuntctl kernel-stack off eth1           save + flush addresses/routes, IPv6 off, link down
  shuntctl kernel-stack off eth1 --unbind  ... and give the NIC to vfio-pci
  shuntctl kernel-stack on eth1            restore exactly what off saved
  shuntctl kernel-stack status --json      which interfaces are off (and stale logs)
  shuntctl kernel-stack discard --stale    remove undo logs whose namespace/interface is gone
  shuntctl bind 0000:03:00.0               to vfio-pci (its driver is remembered)
  shuntctl unbind 0000:03:00.0             back to the driver it had
  shuntctl channels eth1 --combined 4
  shuntctl rss eth1 --equal 4
  shuntctl steer eth1 add flow-type udp4 dst-port 4789 action 2 loc 0
  shuntctl hugepages --reserve 512
  shuntctl stats --watch                   a running shuntd's rates, redrawn every second
  shuntctl capture --count 10 --filter icmp -w ping.pcap

State (undo logs): --state-dir, else $SHUNT_STATE_DIR, else /run/shunt.
See docs/host-control.md for what each command changes and how it is undone.)";

}  // namespace

int main(int argc, char** argv) {
    using namespace shunt::cli;
    CLI::App app{"shuntctl: host control for shunt (NICs, vfio-pci, kernel stack on/off, ethtool)",
                 "shuntctl"};
    app.footer(kFooter);
    app.require_subcommand(1);
    app.fallthrough();
    Context ctx;
    app.add_option("--state-dir", ctx.state_dir,
                   "Where undo logs live (default: $SHUNT_STATE_DIR or /run/shunt)");
    add_status(app, ctx);
    add_show(app, ctx);
    add_doctor(app, ctx);
    add_profile(app, ctx);
    add_hugepages(app, ctx);
    add_kernel_stack(app, ctx);
    add_bind(app, ctx);
    add_sriov(app, ctx);
    add_channels(app, ctx);
    add_rss(app, ctx);
    add_steer(app, ctx);
    add_stats(app, ctx);
    add_capture(app, ctx);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return fail(kUsage, fmt::format("{} (see shuntctl --help)", e.what()));
    }
    return ctx.rc;
}
