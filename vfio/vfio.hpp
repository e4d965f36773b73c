// VFIO: the only code that touches /dev/vfio. A Device owns its group and shares a Container
// (the IOMMU context); BARs are mapped RAII; DMA memory is mapped into the container.
// Linux's Documentation/driver-api/vfio.rst describes the sequence followed here.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "packet/memory.hpp"
#include "pci/address.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shunt::vfio {

enum class IommuMode : uint8_t {
    type1,    // the IOMMU translates and protects: IOVAs are ours to choose
    noiommu,  // no translation, no protection: DMA addresses are physical (explicit opt-in)
};

// The IOMMU context (/dev/vfio/vfio). Groups attach to it; DMA mappings live in it.
class Container {
  public:
    static Result<std::shared_ptr<Container>> open(IommuMode mode);
    ~Container();
    Container(const Container&) = delete;
    Container& operator=(const Container&) = delete;

    int fd() const { return fd_.get(); }
    IommuMode mode() const { return mode_; }
    bool iommu_set() const { return iommu_set_; }
    // Maps [vaddr, vaddr + size) for device DMA at a fresh IOVA and returns it (type1 only).
    // Mappings live only while a device is attached: when the last one closes, the kernel
    // drops the container's IOMMU with every mapping (a later device re-sets it). So open the
    // devices first and free their DMA memory before closing the last one.
    Result<uint64_t> map_dma(void* vaddr, size_t size);
    // A no-op once the last device has closed (the kernel already dropped the mapping).
    Status unmap_dma(uint64_t iova, size_t size);

  private:
    friend class Device;
    Container(UniqueFd fd, IommuMode mode) : fd_(std::move(fd)), mode_(mode) {}
    Status set_iommu();  // after the first group is attached (VFIO requires that order)
    // Called by Device once its group is attached / after its group fd is closed.
    void group_attached() { ++groups_; }
    void group_detached();

    UniqueFd fd_;
    IommuMode mode_;
    bool iommu_set_ = false;
    unsigned groups_ = 0;              // attached groups; the kernel keeps the IOMMU only while > 0
    uint64_t next_iova_ = 1ull << 32;  // above 4 GiB: clear of any reserved low windows
};

// A BAR mapped into our address space; unmapped on destruction.
class MappedBar {
  public:
    MappedBar(uint8_t* base, size_t size) : base_(base), size_(size) {}
    MappedBar(const MappedBar&) = delete;
    MappedBar& operator=(const MappedBar&) = delete;
    ~MappedBar();
    uint8_t* base() const { return base_; }
    size_t size() const { return size_; }

  private:
    uint8_t* base_;
    size_t size_;
};

enum class IrqType : uint8_t { intx, msi, msix };

class Device {
  public:
    struct Options {
        bool allow_noiommu = false;  // use /dev/vfio/noiommu-N (unsafe: DMA is unprotected)
        std::shared_ptr<Container> container;  // share one with other devices (e.g. fwd)
    };

    // Opens the PCI device bound to vfio-pci: checks the group is viable (pci/sysfs.hpp's
    // rule, then the kernel's word), attaches it to a container, sets the IOMMU and gets the
    // device fd.
    static Result<std::unique_ptr<Device>> open(const pci::PciAddress& address, Options options);
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    const pci::PciAddress& address() const { return address_; }
    uint16_t vendor_id() const { return vendor_id_; }
    uint16_t device_id() const { return device_id_; }
    IommuMode mode() const { return container_->mode(); }
    const std::shared_ptr<Container>& container() const { return container_; }
    int group_number() const { return group_number_; }

    Result<std::unique_ptr<MappedBar>> map_bar(unsigned index);
    Result<uint32_t> config_read(uint32_t offset, unsigned width);  // width 1, 2 or 4
    Status config_write(uint32_t offset, uint32_t value, unsigned width);
    Status enable_bus_master();
    // Clears Bus Master Enable (PCI command register bit 2): no more DMA from the function.
    Status disable_bus_master();
    Status reset();  // VFIO_DEVICE_RESET (function-level or bus reset, as the kernel can)

    unsigned irq_count(IrqType type) const;
    // Wires `count` vectors of `type` to fresh eventfds (returned in vector order).
    Result<std::vector<UniqueFd>> enable_irqs(IrqType type, unsigned count);
    Status disable_irqs(IrqType type);
    Status unmask_intx();
    // Wires the request interrupt (VFIO_PCI_REQ_IRQ_INDEX) to a fresh eventfd: the kernel
    // signals it when it wants the device back (an unbind, a hot unplug) and waits, repeating
    // the request, until the device is closed. An error when the device has no such index.
    Result<UniqueFd> enable_request_irq();

    // Closes the device and its group (as the destructor does): vfio-pci's release then
    // disables the function (bus mastering off, interrupts off, a reset when it has one). Mapped
    // BARs must be unmapped first, or the kernel keeps the device open through them. Idempotent;
    // afterwards only address(), mode() and container() may be used.
    void close() noexcept;
    bool closed() const { return !device_.valid(); }

    // DMA memory this device can reach: hugepages mapped into the container (type1, with a
    // 4 KiB fallback when none are free), or locked hugepages at physical addresses (noiommu).
    std::unique_ptr<MemoryProvider> dma_memory();

  private:
    Device() = default;

    pci::PciAddress address_;
    std::shared_ptr<Container> container_;
    UniqueFd group_;
    UniqueFd device_;
    int group_number_ = -1;
    bool attached_ = false;  // group_ is attached to container_
    uint16_t vendor_id_ = 0;
    uint16_t device_id_ = 0;
};

}  // namespace shunt::vfio
