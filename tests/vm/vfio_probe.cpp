// vfio_probe: proves the VFIO layer (vfio/) against a real kernel, inside a vm-tier guest.
// A test tool (not shipped).
//
//   vfio_probe --pci 0000:00:02.0 [--allow-noiommu] [--expect-mac 52:54:00:12:34:56]
//   vfio_probe --pci ADDR [--allow-noiommu] --expect-error SUBSTRING
//
// Steps, each printed on stdout as it passes: open the device through shunt::vfio::Device
// (container, group, IOMMU), map BAR0 and read the 8254x/82574 STATUS and RAL0/RAH0 registers
// (the MAC must be marked valid and equal --expect-mac), enable bus mastering (read back),
// build a Mempool on the device's DMA memory and check every buffer's IOVA against its
// region (in no-IOMMU mode they must be physical addresses inside System RAM), enable the
// best interrupt type the device offers (MSI-X, MSI, then INTx) with one eventfd.
// Exit 0 when all pass; otherwise 1 with one line on stderr naming the step that failed.
//
// --expect-error inverts that for error-path tests: some step must fail with a message
// containing SUBSTRING (exit 0, the message on stdout); success or another message is exit 1.
#include "base/log.hpp"
#include "base/mac_addr.hpp"
#include "driver/mmio.hpp"
#include "packet/mempool.hpp"
#include "packet/packet_buf.hpp"
#include "vfio/vfio.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using shunt::make_error;
using shunt::Status;
namespace pci = shunt::pci;
namespace vfio = shunt::vfio;

// 8254x/8257x registers, same offsets on both (Intel 82540EM and 82574L datasheets, register
// descriptions). Only the ones read here.
namespace reg {
constexpr uint32_t STATUS = 0x0008;  // Device Status, RO
constexpr uint32_t RAL0 = 0x5400;    // Receive Address Low 0, RW
constexpr uint32_t RAH0 = 0x5404;    // Receive Address High 0, RW
}  // namespace reg
namespace bits {
constexpr uint32_t STATUS_LU = 1u << 1;  // link up
constexpr uint32_t RAH_AV = 1u << 31;    // address valid
}  // namespace bits
constexpr uint32_t kPciCommand = 0x04;
constexpr uint32_t kPciCommandMemory = 1u << 1;
constexpr uint32_t kPciCommandMaster = 1u << 2;

// 1024 buffers of 2240 bytes span two 2 MiB hugepages, so the per-page IOVA bookkeeping (and
// the rule that no buffer crosses a physically discontiguous page) is exercised.
constexpr uint32_t kPoolBuffers = 1024;

struct Options {
    std::string pci;
    bool allow_noiommu = false;
    std::optional<shunt::MacAddr> expect_mac;
    std::string expect_error;
    bool verbose = false;
};

std::string_view mode_name(vfio::IommuMode m) {
    return m == vfio::IommuMode::type1 ? "type1" : "noiommu";
}

std::string_view irq_name(vfio::IrqType t) {
    switch (t) {
        case vfio::IrqType::intx:
            return "INTx";
        case vfio::IrqType::msi:
            return "MSI";
        case vfio::IrqType::msix:
            return "MSI-X";
    }
    return "?";
}

// Top-level "System RAM" ranges of /proc/iomem (real addresses only for root, which the
// guests are): a no-IOMMU DMA address must fall inside one.
std::vector<std::pair<uint64_t, uint64_t>> system_ram() {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    std::ifstream in("/proc/iomem");
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == ' ' || !line.ends_with(" : System RAM")) continue;
        const auto dash = line.find('-');
        const auto space = line.find(' ');
        if (dash == std::string::npos || space == std::string::npos || space < dash) continue;
        uint64_t lo = 0, hi = 0;
        std::from_chars(line.data(), line.data() + dash, lo, 16);
        std::from_chars(line.data() + dash + 1, line.data() + space, hi, 16);
        out.emplace_back(lo, hi);
    }
    return out;
}

Status check_mac(shunt::Mmio& mmio, const Options& o) {
    const uint32_t ral = mmio.read32(reg::RAL0);
    const uint32_t rah = mmio.read32(reg::RAH0);
    // RAL0/RAH0 hold the address as six little-endian bytes: RAL0 bytes 0-3, RAH0 bytes 4-5.
    shunt::MacAddr mac;
    for (size_t i = 0; i < 4; ++i) mac.bytes[i] = static_cast<uint8_t>(ral >> (8 * i));
    for (size_t i = 0; i < 2; ++i) mac.bytes[4 + i] = static_cast<uint8_t>(rah >> (8 * i));
    fmt::print("RAL0 {:#010x} RAH0 {:#010x}: MAC {}{}\n", ral, rah, mac.to_string(),
               (rah & bits::RAH_AV) != 0 ? " (valid)" : "");
    if ((rah & bits::RAH_AV) == 0) {
        return make_error("RAH0 {:#010x} has the address-valid bit (31) clear: no MAC loaded", rah);
    }
    if (o.expect_mac && *o.expect_mac != mac) {
        return make_error("MAC from RAL0/RAH0 is {}, expected {}", mac.to_string(),
                          o.expect_mac->to_string());
    }
    return {};
}

Status check_bus_master(vfio::Device& dev) {
    if (auto s = dev.enable_bus_master(); !s) return s.error();
    auto cmd = dev.config_read(kPciCommand, 2);
    if (!cmd) return cmd.error();
    const uint32_t want = kPciCommandMemory | kPciCommandMaster;
    if ((*cmd & want) != want) {
        return make_error(
            "PCI command register reads {:#06x} after enabling bus mastering "
            "(memory space and bus master bits {:#x} expected)",
            *cmd, want);
    }
    fmt::print("bus master enabled: PCI command {:#06x}\n", *cmd);
    return {};
}

// Every buffer's cached IOVA must be its region's IOVA at its offset; pages must be aligned
// device addresses; in no-IOMMU mode those are physical, so inside System RAM.
Status check_iovas(const shunt::Mempool& pool, vfio::IommuMode mode) {
    const shunt::MemoryRegion& r = pool.region();
    fmt::print("DMA region: {} bytes in {} KiB pages, IOVA-contiguous {}\n", r.size(),
               r.page_size() / 1024, r.iova_contiguous() ? "yes" : "no");
    const auto ram = mode == vfio::IommuMode::noiommu ? system_ram() : decltype(system_ram()){};
    if (mode == vfio::IommuMode::noiommu && ram.empty()) {
        return make_error(
            "/proc/iomem lists no System RAM (not root?): cannot check DMA "
            "addresses are physical");
    }
    for (size_t off = 0; off < r.size(); off += r.page_size()) {
        const uint64_t iova = r.iova_at(off);
        const size_t page = off / r.page_size();
        if (page < 2 || off + r.page_size() >= r.size()) {
            fmt::print("  page {:4}: IOVA {:#014x}\n", page, iova);
        }
        if (iova == 0 || iova % r.page_size() != 0) {
            return make_error(
                "page {} of the DMA region has IOVA {:#x}: not a non-zero multiple "
                "of the page size {:#x}",
                page, iova, r.page_size());
        }
        if (mode == vfio::IommuMode::noiommu) {
            bool inside = false;
            for (const auto& [lo, hi] : ram) inside |= iova >= lo && iova + r.page_size() - 1 <= hi;
            if (!inside) {
                return make_error(
                    "no-IOMMU DMA address {:#x} (page {}) is not inside System RAM "
                    "per /proc/iomem: not a physical address",
                    iova, page);
            }
        }
    }
    // The region holds data rooms only (headroom + data; headers are in process memory).
    constexpr uint64_t kRxOffset = shunt::PacketBuf::kHeadroom;
    for (uint32_t i = 0; i < pool.capacity(); ++i) {
        shunt::PacketBuf* b = pool.buffer_at(i);
        const uint8_t* start = b->rx_area() - kRxOffset;
        const auto off = static_cast<size_t>(start - r.base());
        const uint64_t want = r.iova_at(off) + kRxOffset;
        if (b->rx_iova() != want) {
            return make_error("buffer {} at region offset {:#x}: RX IOVA {:#x}, expected {:#x}", i,
                              off, b->rx_iova(), want);
        }
        const size_t last = off + shunt::PacketBuf::kStorage - 1;
        if (!r.iova_contiguous() && off / r.page_size() != last / r.page_size()) {
            return make_error(
                "buffer {} at region offset {:#x} crosses a page boundary of a "
                "region whose pages are not IOVA-contiguous",
                i, off);
        }
        if (i < 3 || i + 1 == pool.capacity()) {
            fmt::print("  buffer {:4}: offset {:#09x} RX IOVA {:#014x}\n", i, off, b->rx_iova());
        }
    }
    return {};
}

Status check_irqs(vfio::Device& dev) {
    using vfio::IrqType;
    const unsigned intx = dev.irq_count(IrqType::intx);
    const unsigned msi = dev.irq_count(IrqType::msi);
    const unsigned msix = dev.irq_count(IrqType::msix);
    fmt::print("interrupts offered: INTx {}, MSI {}, MSI-X {}\n", intx, msi, msix);
    const IrqType type = msix > 0 ? IrqType::msix : msi > 0 ? IrqType::msi : IrqType::intx;
    auto fds = dev.enable_irqs(type, 1);
    if (!fds) return fds.error();
    for (const auto& fd : *fds) {
        if (!fd.valid())
            return make_error("enable_irqs({}) returned an invalid eventfd", irq_name(type));
    }
    fmt::print("enabled {}: {} eventfd(s)\n", irq_name(type), fds->size());
    if (auto s = dev.disable_irqs(type); !s) return s.error();
    return {};
}

// Open, registers, bus master, DMA pool, interrupts. Tears down device first, pool last (an
// order a NIC owning both may well use) and hands back the container for check_reopen.
Status probe_device(const pci::PciAddress& addr, const Options& o,
                    std::shared_ptr<vfio::Container>& container) {
    vfio::Device::Options dopt;
    dopt.allow_noiommu = o.allow_noiommu;
    auto opened = vfio::Device::open(addr, dopt);
    if (!opened) return opened.error();
    std::unique_ptr<vfio::Device> dev = std::move(opened).value();
    container = dev->container();
    fmt::print("opened {}: {:04x}:{:04x}, IOMMU group {}, mode {}\n", dev->address().to_string(),
               dev->vendor_id(), dev->device_id(), dev->group_number(), mode_name(dev->mode()));

    auto bar = dev->map_bar(0);
    if (!bar) return bar.error();
    if ((*bar)->size() < reg::RAH0 + 4) {
        return make_error("BAR0 is {} bytes; an 8254x/8257x register file is at least {:#x}",
                          (*bar)->size(), reg::RAH0 + 4);
    }
    shunt::Mmio mmio((*bar)->base(), (*bar)->size());
    const uint32_t status = mmio.read32(reg::STATUS);
    fmt::print("BAR0 {} KiB mapped; STATUS {:#010x}: link {}\n", (*bar)->size() / 1024, status,
               (status & bits::STATUS_LU) != 0 ? "up" : "down");
    if (status == 0xffffffffu) {
        return make_error(
            "STATUS reads 0xffffffff: BAR0 does not decode (device gone or "
            "memory space disabled)");
    }
    if (auto s = check_mac(mmio, o); !s) return s;
    if (auto s = check_bus_master(*dev); !s) return s;

    auto provider = dev->dma_memory();
    auto pool = shunt::Mempool::create(*provider, kPoolBuffers, "vfio_probe");
    if (!pool) return pool.error();
    fmt::print("mempool: {} buffers, {} free, IOMMU mode {}\n", (*pool)->capacity(),
               (*pool)->available(), mode_name(dev->mode()));
    if (auto s = check_iovas(**pool, dev->mode()); !s) return s;
    if (auto s = check_irqs(*dev); !s) return s;
    bar->reset();
    dev.reset();
    return {};
}

// The group was released (a second open works) and a container outlives its devices: a new
// device can join it and map DMA memory again.
Status check_reopen(const pci::PciAddress& addr, const Options& o,
                    std::shared_ptr<vfio::Container> container) {
    vfio::Device::Options dopt;
    dopt.allow_noiommu = o.allow_noiommu;
    dopt.container = std::move(container);
    auto opened = vfio::Device::open(addr, dopt);
    if (!opened)
        return make_error("reopening after close, same container: {}", opened.error().message);
    auto provider = (*opened)->dma_memory();
    auto pool = shunt::Mempool::create(*provider, 64, "vfio_probe_reopen");
    if (!pool) return make_error("DMA memory after reopening: {}", pool.error().message);
    fmt::print("reopened with the same container: 64 buffers at IOVA {:#x}\n",
               (*pool)->region().iova_at(0));
    // Reported, not required: whether the kernel can reset this device model (FLR, PM or bus
    // reset) is the driver's business, which may fall back to the NIC's own CTRL.RST.
    const Status reset = (*opened)->reset();
    fmt::print("VFIO_DEVICE_RESET: {}\n", reset ? "ok" : reset.error().message);
    return {};
}

Status probe(const Options& o) {
    auto addr = pci::PciAddress::parse(o.pci);
    if (!addr) return make_error("bad --pci '{}' (want DDDD:BB:DD.F)", o.pci);
    std::shared_ptr<vfio::Container> container;
    if (auto s = probe_device(*addr, o, container); !s) return s;
    return check_reopen(*addr, o, std::move(container));
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"vfio_probe: open a PCI NIC through shunt's VFIO layer and check it works"};
    app.add_option("--pci", o.pci, "PCI address of the device bound to vfio-pci")->required();
    app.add_flag("--allow-noiommu", o.allow_noiommu, "accept a no-IOMMU group (unsafe DMA)");
    std::string expect_mac;
    app.add_option("--expect-mac", expect_mac, "MAC RAL0/RAH0 must hold (aa:bb:cc:dd:ee:ff)");
    app.add_option("--expect-error", o.expect_error,
                   "succeed only if a step fails with a message containing this");
    app.add_flag("-v,--verbose", o.verbose, "show the library's warnings");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "vfio_probe: %s\n", e.what());
        return 2;
    }
    if (!expect_mac.empty()) {
        o.expect_mac = shunt::MacAddr::parse(expect_mac);
        if (!o.expect_mac) {
            std::fprintf(stderr, "vfio_probe: bad --expect-mac '%s' (want aa:bb:cc:dd:ee:ff)\n",
                         expect_mac.c_str());
            return 2;
        }
    }
    // The library warns on stderr (e.g. "no-IOMMU mode"); the probe prints the mode itself
    // and keeps stderr for its one failure line.
    shunt::log::threshold() = o.verbose ? shunt::log::Level::debug : shunt::log::Level::error;
    std::fflush(stdout);

    const Status s = probe(o);
    std::fflush(stdout);
    if (!o.expect_error.empty()) {
        if (s) {
            std::fprintf(stderr,
                         "vfio_probe: expected an error containing '%s', but every step "
                         "succeeded\n",
                         o.expect_error.c_str());
            return 1;
        }
        if (s.error().message.find(o.expect_error) == std::string::npos) {
            std::fprintf(stderr, "vfio_probe: expected an error containing '%s', got: %s\n",
                         o.expect_error.c_str(), s.error().message.c_str());
            return 1;
        }
        std::printf("vfio_probe: got the expected error: %s\n", s.error().message.c_str());
        return 0;
    }
    if (!s) {
        std::fprintf(stderr, "vfio_probe: FAIL: %s\n", s.error().message.c_str());
        return 1;
    }
    std::printf("vfio_probe: OK\n");
    return 0;
}
