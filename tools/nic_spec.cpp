#include "tools/nic_spec.hpp"

#include "base/log.hpp"

#include "driver/tap/tap_nic.hpp"
#include "ioctl_ctl/link.hpp"
#include "pci/sysfs.hpp"

#include <CLI/CLI.hpp>

namespace shunt::tools {

namespace {

struct Spec {
    std::string kind;  // "tap" or "pci"
    std::string arg;   // the interface name or PCI address
};

Result<Spec> parse_spec(const std::string& spec) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos) {
        return make_error("--nic '{}': expected tap:NAME or pci:DDDD:BB:DD.F", spec);
    }
    Spec s{spec.substr(0, colon), spec.substr(colon + 1)};
    if (s.kind != "tap" && s.kind != "pci") {
        return make_error("--nic '{}': unknown NIC kind '{}' (expected tap or pci)", spec, s.kind);
    }
    if (s.kind == "pci") {
        const auto addr = pci::PciAddress::parse(s.arg);
        if (!addr) {
            return make_error(
                "--nic {}: '{}' is not a PCI address (expected DDDD:BB:DD.F, e.g. "
                "0000:03:00.0)",
                spec, s.arg);
        }
        if (!pci::PciSysfs().exists(*addr)) {
            return make_error("--nic {}: no PCI device {} (see lspci -D)", spec, s.arg);
        }
    }
    return s;
}

Result<std::unique_ptr<Nic>> open_tap(const std::string& name, const NicOptions& options) {
    TapConfig tc;
    tc.ifname = name;
    tc.mac = options.mac;
    tc.mtu = options.mtu;
    tc.queues = options.queues;
    auto tap = TapNic::open(tc);
    if (!tap) return tap.error();
    if (!(*tap)->steering().empty()) {
        log::info("tap {}: {} queues, steered by {}", name, tc.queues, (*tap)->steering());
    }
    // The kernel's side of the TAP must be up for it to hand us frames.
    if (auto up = ctl::set_link_up(name, true); !up) return up.error();
    return std::unique_ptr<Nic>(std::move(tap).value());
}

}  // namespace

Status check_nic_spec(const std::string& spec) {
    auto s = parse_spec(spec);
    if (!s) return s.error();
    return {};
}

Result<std::unique_ptr<Nic>> open_nic(const std::string& spec, const NicOptions& options) {
    auto s = parse_spec(spec);
    if (!s) return s.error();
    if (s->kind == "tap") return open_tap(s->arg, options);
    PciNicOptions pci = options.pci;
    pci.queues = options.queues;
    auto nic = open_pci_nic(s->arg, pci);
    if (!nic) return make_error("--nic {}: {}", spec, nic.error().message);
    return std::move(nic).value();
}

Result<NicSet> open_nics(const std::vector<std::string>& specs, const NicOptions& options) {
    std::vector<Spec> parsed;
    for (const auto& spec : specs) {
        auto s = parse_spec(spec);
        if (!s) return s.error();
        if (!parsed.empty() && s->kind != parsed.front().kind) {
            return make_error(
                "--nic {} and --nic {}: all ports must be pci: or all tap: (a pci: "
                "NIC cannot reach a TAP's buffers by DMA)",
                specs.front(), spec);
        }
        parsed.push_back(*s);
    }
    std::vector<std::unique_ptr<Nic>> nics;
    if (!parsed.empty() && parsed.front().kind == "pci") {
        std::vector<std::string> addresses;
        for (const auto& s : parsed) addresses.push_back(s.arg);
        auto opened = open_pci_nics(addresses, options.pci);
        if (!opened) return opened.error();
        return std::move(opened).value();
    }
    for (const auto& s : parsed) {
        auto nic = open_tap(s.arg, options);
        if (!nic) return nic.error();
        nics.push_back(std::move(nic).value());
    }
    return NicSet(std::move(nics));
}

void add_pci_flags(CLI::App& app, PciFlags& flags) {
    app.add_flag("--allow-noiommu", flags.allow_noiommu,
                 "pci: accept a no-IOMMU VFIO group (DMA is then unprotected)");
    app.add_flag("--interrupts", flags.interrupts,
                 "pci: sleep on the NIC's interrupt eventfd when idle instead of polling it");
    app.add_option("--irq", flags.irq, "pci: interrupt kind with --interrupts: best|msix|msi|intx")
        ->check(CLI::IsMember({"best", "msix", "msi", "intx"}));
}

void apply_pci_flags(const PciFlags& flags, PciNicOptions& pci) {
    pci.allow_noiommu = flags.allow_noiommu;
    pci.interrupts = flags.interrupts;
    pci.irq_mode = parse_irq_mode(flags.irq).value_or(IrqMode::best);
}

}  // namespace shunt::tools
