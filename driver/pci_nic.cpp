// open_pci_nic: VFIO device -> PciFunction -> the driver that matches the device ID.
#include "driver/pci_nic.hpp"

#include "base/log.hpp"
#include "driver/e1000/e1000_nic.hpp"
#include "driver/igb/igb_nic.hpp"
#include "driver/ixgbe/ixgbe_nic.hpp"
#include "vfio/vfio.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace shunt {

namespace {

// PciFunction over a VFIO device: BAR 0 mapping, DMA memory in its container, one interrupt.
class VfioPciFunction final : public PciFunction {
  public:
    // container: join this one (one IOMMU address space with other devices) or, when null,
    // open a new one.
    static Result<std::unique_ptr<VfioPciFunction>> open(
        const pci::PciAddress& address, bool allow_noiommu,
        std::shared_ptr<vfio::Container> container = nullptr) {
        auto dev = vfio::Device::open(address, {allow_noiommu, std::move(container)});
        if (!dev) return dev.error();
        std::unique_ptr<VfioPciFunction> fn(new VfioPciFunction());
        fn->device_ = std::move(dev).value();
        return fn;
    }

    // Reset (when the kernel can), bus mastering on, BAR 0 mapped, DMA memory ready.
    Status start() {
        if (auto r = device_->reset(); !r) {
            log::debug("{} (continuing; the driver resets the NIC itself)", r.error().message);
        }
        if (auto s = device_->enable_bus_master(); !s) return s;
        auto bar = device_->map_bar(0);
        if (!bar) return bar.error();
        bar_ = std::move(bar).value();
        dma_ = device_->dma_memory();
        // The kernel's request to give the device back (an unbind or unplug waits on it); the
        // driver's health() polls it and the tool then closes the device. Optional: without
        // it an unbind just waits until the process exits.
        if (auto req = device_->enable_request_irq(); req) {
            req_fd_ = std::move(req).value();
        } else {
            log::debug("{}", req.error().message);
        }
        return {};
    }

    ~VfioPciFunction() override { close(); }

    uint16_t vendor_id() const { return device_->vendor_id(); }
    const std::shared_ptr<vfio::Container>& container() const { return device_->container(); }
    uint16_t device_id() const { return device_->device_id(); }

    std::string address() const override { return device_->address().to_string(); }
    Mmio bar0() override { return Mmio(bar_->base(), bar_->size()); }
    MemoryProvider& dma() override { return *dma_; }
    bool iommu() const override { return device_->mode() == vfio::IommuMode::type1; }

    unsigned irq_vectors(IrqKind kind) const override {
        return device_->irq_count(vfio_type(kind));
    }
    Result<PciInterrupt> enable_interrupt(IrqKind kind) override {
        auto fds = enable_vectors(kind, 1);
        if (!fds) return fds.error();
        return PciInterrupt{fds->front(), kind};
    }
    Result<std::vector<int>> enable_vectors(IrqKind kind, unsigned count) override {
        disable_interrupt();
        type_ = vfio_type(kind);
        auto fds = device_->enable_irqs(type_, count);
        if (!fds) return fds.error();
        std::vector<int> out;
        for (UniqueFd& fd : *fds) {
            out.push_back(fd.get());
            irq_fds_.push_back(std::move(fd));
        }
        return out;
    }
    void disable_interrupt() noexcept override {
        if (irq_fds_.empty()) return;
        if (!device_->closed()) {
            if (auto s = device_->disable_irqs(type_); !s) log::warn("{}", s.error().message);
        }
        irq_fds_.clear();
    }
    void unmask_intx() noexcept override {
        if (device_->closed()) return;
        if (auto s = device_->unmask_intx(); !s) log::warn("{}", s.error().message);
    }
    Status disable_bus_master() override { return device_->disable_bus_master(); }
    // Interrupts off, the BAR unmapped (its mapping holds the device open), then the device
    // and group closed: vfio-pci's release (vfio_pci_core_disable) clears bus mastering and
    // resets the function when it can, and a waiting unbind completes.
    void close() noexcept override {
        if (device_->closed()) return;
        disable_interrupt();
        bar_.reset();
        device_->close();
        req_fd_.reset();
    }
    bool release_requested() noexcept override {
        if (!requested_ && req_fd_.valid()) {
            uint64_t n = 0;
            requested_ = ::read(req_fd_.get(), &n, sizeof(n)) == static_cast<ssize_t>(sizeof(n));
        }
        return requested_;
    }

  private:
    VfioPciFunction() = default;

    static vfio::IrqType vfio_type(IrqKind kind) {
        switch (kind) {
            case IrqKind::msix:
                return vfio::IrqType::msix;
            case IrqKind::msi:
                return vfio::IrqType::msi;
            case IrqKind::intx:
                break;
        }
        return vfio::IrqType::intx;
    }

    std::unique_ptr<vfio::Device> device_;
    std::unique_ptr<vfio::MappedBar> bar_;
    std::unique_ptr<MemoryProvider> dma_;
    vfio::IrqType type_ = vfio::IrqType::intx;
    std::vector<UniqueFd> irq_fds_;
    UniqueFd req_fd_;  // the VFIO request interrupt's eventfd, when the device has one
    bool requested_ = false;
};

std::string supported_list() {
    std::string out;
    for (auto table : {e1000::models_8254x(), e1000::models_82574()}) {
        for (const auto& m : table) {
            out += fmt::format("{}{:04x}:{:04x}", out.empty() ? "" : " ", e1000::kIntelVendorId,
                               m.device_id);
        }
    }
    for (const auto& m : igb::models()) {
        out += fmt::format(" {:04x}:{:04x}", igb::kIntelVendorId, m.device_id);
    }
    for (const auto& m : ixgbe::models()) {
        out += fmt::format(" {:04x}:{:04x}", ixgbe::kIntelVendorId, m.device_id);
    }
    return out;
}

bool supported(uint16_t vendor_id, uint16_t device_id) {
    return e1000::find_model(vendor_id, device_id) != nullptr ||
           igb::find_model(vendor_id, device_id) != nullptr ||
           ixgbe::find_model(vendor_id, device_id) != nullptr;
}

}  // namespace

const char* to_string(IrqKind kind) {
    switch (kind) {
        case IrqKind::msix:
            return "MSI-X";
        case IrqKind::msi:
            return "MSI";
        case IrqKind::intx:
            break;
    }
    return "INTx";
}

std::optional<IrqMode> parse_irq_mode(std::string_view text) {
    if (text == "best") return IrqMode::best;
    if (text == "msix") return IrqMode::msix;
    if (text == "msi") return IrqMode::msi;
    if (text == "intx") return IrqMode::intx;
    return std::nullopt;
}

std::string describe_pci_nic(uint16_t vendor_id, uint16_t device_id) {
    if (const ixgbe::Model* x = ixgbe::find_model(vendor_id, device_id); x != nullptr) {
        return fmt::format("{:04x}:{:04x} {} (ixgbe)", vendor_id, device_id, x->chip);
    }
    if (const igb::Model* g = igb::find_model(vendor_id, device_id); g != nullptr) {
        return fmt::format("{:04x}:{:04x} {} (igb)", vendor_id, device_id, g->chip);
    }
    const e1000::Model* m = e1000::find_model(vendor_id, device_id);
    if (m == nullptr) return "";
    return fmt::format("{:04x}:{:04x} {} ({})", vendor_id, device_id, m->chip, m->driver);
}

Result<std::unique_ptr<Nic>> open_pci_nic(std::unique_ptr<PciFunction> function, uint16_t vendor_id,
                                          uint16_t device_id, const PciNicOptions& options) {
    if (const ixgbe::Model* x = ixgbe::find_model(vendor_id, device_id); x != nullptr) {
        auto nic = ixgbe::IxgbeNic::create(std::move(function), *x, options);
        if (!nic) return nic.error();
        return std::unique_ptr<Nic>(std::move(nic).value());
    }
    if (const igb::Model* g = igb::find_model(vendor_id, device_id); g != nullptr) {
        auto nic = igb::IgbNic::create(std::move(function), *g, options);
        if (!nic) return nic.error();
        return std::unique_ptr<Nic>(std::move(nic).value());
    }
    const e1000::Model* model = e1000::find_model(vendor_id, device_id);
    if (model == nullptr) {
        return make_error("{}: no driver for PCI device {:04x}:{:04x}; supported: {}",
                          function->address(), vendor_id, device_id, supported_list());
    }
    auto nic = e1000::E1000Nic::create(std::move(function), *model, options);
    if (!nic) return nic.error();
    return std::unique_ptr<Nic>(std::move(nic).value());
}

namespace {

// Opens one device (in `container` when given) and starts its driver; `container` is set to the
// one the device ended up in.
Result<std::unique_ptr<Nic>> open_in_container(const std::string& pci_address,
                                               const PciNicOptions& options,
                                               std::shared_ptr<vfio::Container>& container) {
    auto address = pci::PciAddress::parse(pci_address);
    if (!address) {
        return make_error("'{}' is not a PCI address (expected DDDD:BB:DD.F, e.g. 0000:03:00.0)",
                          pci_address);
    }
    auto fn = VfioPciFunction::open(*address, options.allow_noiommu, container);
    if (!fn) return fn.error();
    const uint16_t vendor = (*fn)->vendor_id();
    const uint16_t device = (*fn)->device_id();
    if (!supported(vendor, device)) {
        return make_error("{}: no driver for PCI device {:04x}:{:04x}; supported: {}",
                          address->to_string(), vendor, device, supported_list());
    }
    if (auto s = (*fn)->start(); !s) return s.error();
    container = (*fn)->container();
    return open_pci_nic(std::move(fn).value(), vendor, device, options);
}

}  // namespace

Result<std::unique_ptr<Nic>> open_pci_nic(const std::string& pci_address,
                                          const PciNicOptions& options) {
    std::shared_ptr<vfio::Container> container;
    return open_in_container(pci_address, options, container);
}

Result<NicSet> open_pci_nics(const std::vector<std::string>& addresses,
                             const PciNicOptions& options) {
    std::vector<std::unique_ptr<Nic>> nics;
    std::shared_ptr<vfio::Container> container;
    for (const auto& a : addresses) {
        auto nic = open_in_container(a, options, container);
        if (!nic) return nic.error();
        nics.push_back(std::move(nic).value());
    }
    return NicSet(std::move(nics));
}

}  // namespace shunt
