// Container, group and device setup (Linux Documentation/driver-api/vfio.rst, "VFIO Usage
// Example"), BAR mapping, config space, reset and interrupts through eventfds.
#include "vfio/vfio.hpp"

#include "base/log.hpp"
#include "pci/sysfs.hpp"

#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shunt::vfio {

namespace {

std::string errno_text() {
    return std::strerror(errno);
}

Result<vfio_region_info> region_info(int device_fd, unsigned index) {
    vfio_region_info info{};
    info.argsz = sizeof(info);
    info.index = index;
    if (::ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, &info) != 0) {
        return make_error("VFIO_DEVICE_GET_REGION_INFO({}): {}", index, errno_text());
    }
    return info;
}

}  // namespace

// ---- Container ----

Result<std::shared_ptr<Container>> Container::open(IommuMode mode) {
    UniqueFd fd(::open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC));
    if (!fd.valid()) {
        return make_error("cannot open /dev/vfio/vfio: {} (is the vfio module loaded?)",
                          errno_text());
    }
    const int version = ::ioctl(fd.get(), VFIO_GET_API_VERSION);
    if (version != VFIO_API_VERSION) {
        return make_error("VFIO API version {} (expected {})", version, VFIO_API_VERSION);
    }
    const long ext = mode == IommuMode::noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1_IOMMU;
    if (::ioctl(fd.get(), VFIO_CHECK_EXTENSION, ext) != 1) {
        if (mode == IommuMode::noiommu) {
            return make_error(
                "this kernel's VFIO has no no-IOMMU support (needs "
                "CONFIG_VFIO_NOIOMMU and vfio.enable_unsafe_noiommu_mode=1)");
        }
        return make_error(
            "this kernel's VFIO has no type1 IOMMU support (is the IOMMU on? "
            "intel_iommu=on / amd_iommu=on)");
    }
    return std::shared_ptr<Container>(new Container(std::move(fd), mode));
}

Container::~Container() = default;

Status Container::set_iommu() {
    if (iommu_set_) return {};
    unsigned long type = VFIO_NOIOMMU_IOMMU;
    if (mode_ == IommuMode::type1) {
        // Type1 v2 (unmap semantics without splitting) when the kernel offers it.
        type = ::ioctl(fd_.get(), VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1
                   ? VFIO_TYPE1v2_IOMMU
                   : VFIO_TYPE1_IOMMU;
    }
    if (::ioctl(fd_.get(), VFIO_SET_IOMMU, type) != 0) {
        return make_error("VFIO_SET_IOMMU({}): {}", type, errno_text());
    }
    iommu_set_ = true;
    return {};
}

void Container::group_detached() {
    // Linux (drivers/vfio/container.c, __vfio_group_unset_container): detaching the last
    // group releases the container's IOMMU driver and with it every DMA mapping. The next
    // group to attach must VFIO_SET_IOMMU again, or VFIO_GROUP_GET_DEVICE_FD fails (EINVAL).
    if (groups_ > 0 && --groups_ == 0) iommu_set_ = false;
}

Result<uint64_t> Container::map_dma(void* vaddr, size_t size) {
    if (mode_ != IommuMode::type1) {
        return make_error("DMA mapping needs an IOMMU; no-IOMMU mode uses physical addresses");
    }
    if (!iommu_set_) {
        return make_error(
            "VFIO_IOMMU_MAP_DMA needs a device attached to the container (it has no IOMMU "
            "until then, and loses it when its last device closes)");
    }
    constexpr uint64_t kAlign = 2ull << 20;  // keep hugepage-sized IOMMU mappings aligned
    const uint64_t iova = (next_iova_ + kAlign - 1) & ~(kAlign - 1);
    vfio_iommu_type1_dma_map map{};
    map.argsz = sizeof(map);
    map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    map.vaddr = reinterpret_cast<uint64_t>(vaddr);
    map.iova = iova;
    map.size = size;
    if (::ioctl(fd_.get(), VFIO_IOMMU_MAP_DMA, &map) != 0) {
        return make_error("VFIO_IOMMU_MAP_DMA of {} bytes at IOVA {:#x}: {}{}", size, iova,
                          errno_text(),
                          errno == ENOMEM ? " (locked memory limit? see ulimit -l)" : "");
    }
    next_iova_ = iova + size;
    return iova;
}

Status Container::unmap_dma(uint64_t iova, size_t size) {
    if (!iommu_set_) return {};  // the last device closed: the kernel dropped every mapping
    vfio_iommu_type1_dma_unmap unmap{};
    unmap.argsz = sizeof(unmap);
    unmap.iova = iova;
    unmap.size = size;
    if (::ioctl(fd_.get(), VFIO_IOMMU_UNMAP_DMA, &unmap) != 0) {
        return make_error("VFIO_IOMMU_UNMAP_DMA at IOVA {:#x}: {}", iova, errno_text());
    }
    return {};
}

MappedBar::~MappedBar() {
    if (base_ != nullptr) ::munmap(base_, size_);
}

// ---- Device ----

Result<std::unique_ptr<Device>> Device::open(const pci::PciAddress& address, Options options) {
    const pci::PciSysfs sys;
    const std::string sysdir = sys.device_dir(address);
    if (!sys.exists(address)) {
        return make_error("no PCI device {} (see lspci -D)", address.to_string());
    }
    const std::string driver = sys.driver(address);
    if (driver != "vfio-pci") {
        return make_error(
            "{} is {}, not vfio-pci; bind it: echo vfio-pci > {}/driver_override && echo {} > "
            "/sys/bus/pci/drivers/vfio-pci/bind",
            address.to_string(), driver.empty() ? "bound to no driver" : "bound to " + driver,
            sysdir, address.to_string());
    }
    // The group's viability, by the kernel's rule, before opening it: the error names every
    // device in the way and its driver.
    const pci::GroupCheck check = sys.check_group(address);
    if (!check.viable()) return make_error("{}", check.problem());
    const int group = *check.group;
    const bool noiommu_group = sys.group_is_noiommu(group);
    if (noiommu_group && !options.allow_noiommu) {
        return make_error(
            "{} is in a no-IOMMU group: DMA would be unprotected; pass the "
            "no-IOMMU opt-in flag to accept that",
            address.to_string());
    }
    const IommuMode mode = noiommu_group ? IommuMode::noiommu : IommuMode::type1;
    if (noiommu_group) {
        log::warn("{}: no-IOMMU mode: the device can DMA anywhere in memory", address.to_string());
    }

    std::unique_ptr<Device> dev(new Device());
    dev->address_ = address;
    dev->group_number_ = group;
    const std::string group_path =
        fmt::format("{}{}", noiommu_group ? "/dev/vfio/noiommu-" : "/dev/vfio/", group);
    dev->group_.reset(::open(group_path.c_str(), O_RDWR | O_CLOEXEC));
    if (!dev->group_.valid()) {
        return make_error("cannot open {}: {}{}", group_path, errno_text(),
                          errno == EBUSY ? " (another process has the group open)" : "");
    }
    vfio_group_status status{};
    status.argsz = sizeof(status);
    if (::ioctl(dev->group_.get(), VFIO_GROUP_GET_STATUS, &status) != 0) {
        return make_error("VFIO_GROUP_GET_STATUS on {}: {}", group_path, errno_text());
    }
    // The kernel has the last word (a driver came or went since the check, or one sets
    // driver_managed_dma that the rule does not know).
    if ((status.flags & VFIO_GROUP_FLAGS_VIABLE) == 0) {
        return make_error(
            "IOMMU group {} is not viable: the kernel says a driver holds a device of it "
            "(ls -l /sys/kernel/iommu_groups/{}/devices/*/driver); bind those to vfio-pci too "
            "or unbind them",
            group, group);
    }
    if (options.container && options.container->mode() != mode) {
        return make_error("{}: cannot share a container across IOMMU modes", address.to_string());
    }
    if (options.container) {
        dev->container_ = options.container;
    } else {
        auto c = Container::open(mode);
        if (!c) return c.error();
        dev->container_ = std::move(c).value();
    }
    const int cfd = dev->container_->fd();
    if (::ioctl(dev->group_.get(), VFIO_GROUP_SET_CONTAINER, &cfd) != 0) {
        return make_error("VFIO_GROUP_SET_CONTAINER for group {}: {}", group, errno_text());
    }
    dev->container_->group_attached();
    dev->attached_ = true;
    if (auto s = dev->container_->set_iommu(); !s) return s.error();
    const std::string name = address.to_string();
    dev->device_.reset(::ioctl(dev->group_.get(), VFIO_GROUP_GET_DEVICE_FD, name.c_str()));
    if (!dev->device_.valid()) {
        return make_error("VFIO_GROUP_GET_DEVICE_FD({}): {}", name, errno_text());
    }
    auto vendor = dev->config_read(0x00, 2);  // PCI config header: Vendor ID
    auto device = dev->config_read(0x02, 2);  // Device ID
    if (!vendor) return vendor.error();
    if (!device) return device.error();
    dev->vendor_id_ = static_cast<uint16_t>(*vendor);
    dev->device_id_ = static_cast<uint16_t>(*device);
    return dev;
}

Device::~Device() {
    close();
}

void Device::close() noexcept {
    // The device fd holds the group; closing both detaches the group from the container
    // (synchronously: the kernel's release runs before close returns), which the container
    // must learn of.
    device_.reset();
    group_.reset();
    if (attached_) container_->group_detached();
    attached_ = false;
}

Result<std::unique_ptr<MappedBar>> Device::map_bar(unsigned index) {
    if (index > VFIO_PCI_BAR5_REGION_INDEX) return make_error("BAR {} does not exist", index);
    auto info = region_info(device_.get(), index);
    if (!info) return info.error();
    if (info->size == 0)
        return make_error("{}: BAR {} is not implemented", address_.to_string(), index);
    if ((info->flags & VFIO_REGION_INFO_FLAG_MMAP) == 0) {
        return make_error("{}: BAR {} cannot be mmapped", address_.to_string(), index);
    }
    void* p = ::mmap(nullptr, info->size, PROT_READ | PROT_WRITE, MAP_SHARED, device_.get(),
                     static_cast<off_t>(info->offset));
    if (p == MAP_FAILED) {
        return make_error("{}: mmap BAR {} ({} bytes): {}", address_.to_string(), index, info->size,
                          errno_text());
    }
    return std::make_unique<MappedBar>(static_cast<uint8_t*>(p), info->size);
}

Result<uint32_t> Device::config_read(uint32_t offset, unsigned width) {
    auto info = region_info(device_.get(), VFIO_PCI_CONFIG_REGION_INDEX);
    if (!info) return info.error();
    uint32_t v = 0;
    if (::pread(device_.get(), &v, width, static_cast<off_t>(info->offset + offset)) !=
        static_cast<ssize_t>(width)) {
        return make_error("config read at {:#x}: {}", offset, errno_text());
    }
    return v;  // little-endian host: the low `width` bytes are the value
}

Status Device::config_write(uint32_t offset, uint32_t value, unsigned width) {
    auto info = region_info(device_.get(), VFIO_PCI_CONFIG_REGION_INDEX);
    if (!info) return info.error();
    if (::pwrite(device_.get(), &value, width, static_cast<off_t>(info->offset + offset)) !=
        static_cast<ssize_t>(width)) {
        return make_error("config write at {:#x}: {}", offset, errno_text());
    }
    return {};
}

Status Device::enable_bus_master() {
    // PCI command register (offset 4): bit 1 memory space, bit 2 bus master.
    auto cmd = config_read(0x04, 2);
    if (!cmd) return cmd.error();
    return config_write(0x04, *cmd | 0x6u, 2);
}

Status Device::disable_bus_master() {
    if (closed()) return {};
    // PCI Local Bus 3.0 §6.2.2, command register (offset 4) bit 2: Bus Master Enable.
    auto cmd = config_read(0x04, 2);
    if (!cmd) return cmd.error();
    return config_write(0x04, *cmd & ~0x4u, 2);
}

Status Device::reset() {
    // Without a reset method (QEMU's e1000 has none the kernel can use) the ioctl only says
    // EINVAL; say why, and what to do instead.
    vfio_device_info info{};
    info.argsz = sizeof(info);
    if (::ioctl(device_.get(), VFIO_DEVICE_GET_INFO, &info) == 0 &&
        (info.flags & VFIO_DEVICE_FLAGS_RESET) == 0) {
        return make_error(
            "{}: the kernel has no reset method for this device (no FLR, PM or bus reset); "
            "reset it through its own registers",
            address_.to_string());
    }
    if (::ioctl(device_.get(), VFIO_DEVICE_RESET) != 0) {
        return make_error("{}: VFIO_DEVICE_RESET: {}", address_.to_string(), errno_text());
    }
    return {};
}

namespace {
unsigned irq_index(IrqType t) {
    switch (t) {
        case IrqType::intx:
            return VFIO_PCI_INTX_IRQ_INDEX;
        case IrqType::msi:
            return VFIO_PCI_MSI_IRQ_INDEX;
        case IrqType::msix:
            return VFIO_PCI_MSIX_IRQ_INDEX;
    }
    return VFIO_PCI_INTX_IRQ_INDEX;
}
}  // namespace

unsigned Device::irq_count(IrqType type) const {
    vfio_irq_info info{};
    info.argsz = sizeof(info);
    info.index = irq_index(type);
    if (::ioctl(device_.get(), VFIO_DEVICE_GET_IRQ_INFO, &info) != 0) return 0;
    return info.count;
}

Result<std::vector<UniqueFd>> Device::enable_irqs(IrqType type, unsigned count) {
    if (count == 0 || count > irq_count(type)) {
        return make_error("{}: {} interrupt vectors requested, {} available", address_.to_string(),
                          count, irq_count(type));
    }
    std::vector<UniqueFd> fds;
    std::vector<uint8_t> buf(sizeof(vfio_irq_set) + sizeof(int32_t) * count);
    auto* set = reinterpret_cast<vfio_irq_set*>(buf.data());
    set->argsz = static_cast<uint32_t>(buf.size());
    set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    set->index = irq_index(type);
    set->start = 0;
    set->count = count;
    for (unsigned i = 0; i < count; ++i) {
        UniqueFd efd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        if (!efd.valid()) return make_error("eventfd: {}", errno_text());
        const int32_t raw = efd.get();
        std::memcpy(set->data + i * sizeof(int32_t), &raw, sizeof(raw));
        fds.push_back(std::move(efd));
    }
    if (::ioctl(device_.get(), VFIO_DEVICE_SET_IRQS, set) != 0) {
        return make_error("{}: VFIO_DEVICE_SET_IRQS: {}", address_.to_string(), errno_text());
    }
    return fds;
}

Status Device::disable_irqs(IrqType type) {
    vfio_irq_set set{};
    set.argsz = sizeof(set);
    set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
    set.index = irq_index(type);
    if (::ioctl(device_.get(), VFIO_DEVICE_SET_IRQS, &set) != 0) {
        return make_error("{}: disabling interrupts: {}", address_.to_string(), errno_text());
    }
    return {};
}

Status Device::unmask_intx() {
    vfio_irq_set set{};
    set.argsz = sizeof(set);
    set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;
    set.index = VFIO_PCI_INTX_IRQ_INDEX;
    set.count = 1;
    if (::ioctl(device_.get(), VFIO_DEVICE_SET_IRQS, &set) != 0) {
        return make_error("{}: unmasking INTx: {}", address_.to_string(), errno_text());
    }
    return {};
}

// Linux's vfio-pci (vfio_pci_core_request): when the device is to be unbound (a driver_override
// change, a remove through sysfs, a hot unplug), the kernel signals this eventfd and waits for
// the device to be closed, signalling again about every 10 s. Without an eventfd it can only
// wait. The index exists on every vfio-pci device of Linux 4.0 and later.
Result<UniqueFd> Device::enable_request_irq() {
    vfio_irq_info info{};
    info.argsz = sizeof(info);
    info.index = VFIO_PCI_REQ_IRQ_INDEX;
    if (::ioctl(device_.get(), VFIO_DEVICE_GET_IRQ_INFO, &info) != 0 || info.count == 0 ||
        (info.flags & VFIO_IRQ_INFO_EVENTFD) == 0) {
        return make_error(
            "{}: no VFIO request interrupt (the kernel cannot ask for the device "
            "back; an unbind will wait until the process exits)",
            address_.to_string());
    }
    UniqueFd efd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!efd.valid()) return make_error("eventfd: {}", errno_text());
    std::vector<uint8_t> buf(sizeof(vfio_irq_set) + sizeof(int32_t));
    auto* set = reinterpret_cast<vfio_irq_set*>(buf.data());
    set->argsz = static_cast<uint32_t>(buf.size());
    set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    set->index = VFIO_PCI_REQ_IRQ_INDEX;
    set->start = 0;
    set->count = 1;
    const int32_t raw = efd.get();
    std::memcpy(set->data, &raw, sizeof(raw));
    if (::ioctl(device_.get(), VFIO_DEVICE_SET_IRQS, set) != 0) {
        return make_error("{}: VFIO_DEVICE_SET_IRQS (request interrupt): {}", address_.to_string(),
                          errno_text());
    }
    return efd;
}

}  // namespace shunt::vfio
