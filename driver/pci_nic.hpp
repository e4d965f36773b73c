// User-space PCI NIC drivers over VFIO: open a device by its PCI address and get a Nic.
//
//   auto nic = open_pci_nic("0000:03:00.0", PciNicOptions{});
//
// The driver is picked by vendor/device ID (Intel 8254x "e1000", 82574 "e1000e", 82576 "igb", 82599
// "ixgbe"; see docs/drivers.md). A driver sees the bus only through PciFunction, so tests can put a
// memory-backed register file and plain memory in place of VFIO.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "driver/mmio.hpp"
#include "driver/nic.hpp"
#include "packet/memory.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shunt {

// How a PCI function signals an interrupt (PCI Local Bus 3.0 §6.8: MSI and MSI-X).
enum class IrqKind : uint8_t { intx, msi, msix };
const char* to_string(IrqKind kind);

// Which interrupt kind the driver asks for: the best the NIC and the function offer (MSI-X,
// then MSI, then INTx), or exactly one (an error when it is not there).
enum class IrqMode : uint8_t { best, msix, msi, intx };
// "best", "msix", "msi" or "intx"; nullopt otherwise.
std::optional<IrqMode> parse_irq_mode(std::string_view text);

struct PciNicOptions {
    bool allow_noiommu = false;  // accept a no-IOMMU VFIO group (DMA unprotected)
    bool interrupts = false;     // an interrupt eventfd in wait_fd(); otherwise poll only
    IrqMode irq_mode = IrqMode::best;
    bool promiscuous = false;  // receive every unicast and multicast frame
    uint16_t queues =
        1;  // queue pairs; more than one spreads receive by RSS (igb: 1..8, ixgbe: 1..16)
    bool rss_symmetric = false;  // igb: a symmetric RSS key (both directions on one queue)
    uint32_t rx_ring = 256;      // descriptors, power of two 8..4096
    uint32_t tx_ring = 256;
    uint32_t pool_buffers = 4096;                 // packet buffers (RX ring refills and transmit)
    bool rx_checksum = true;                      // RXCSUM offload -> rx_flags on received buffers
    bool tx_checksum = true;                      // honour tx_flags::ip_csum / l4_csum
    uint32_t itr_interval_us = 50;                // interrupt throttling (ITR); 0 = no throttling
    Duration link_timeout = Duration(3'000'000);  // wait this long for link up at start
};

// One interrupt vector wired to an eventfd.
struct PciInterrupt {
    int fd = -1;
    IrqKind kind = IrqKind::intx;  // INTx is level-triggered: unmask it after each event
};

// What a PCI NIC driver needs from the bus layer (VFIO in production, a fake in tests).
class PciFunction {
  public:
    virtual ~PciFunction() = default;
    virtual std::string address() const = 0;  // "0000:00:02.0"
    virtual Mmio bar0() = 0;                  // stays mapped while this object lives
    virtual MemoryProvider& dma() = 0;        // DMA-able memory for rings and buffers
    virtual bool iommu() const = 0;           // false in no-IOMMU mode
    // How many vectors of `kind` the function offers (INTx: 1 when it has a pin, else 0).
    virtual unsigned irq_vectors(IrqKind kind) const = 0;
    // Wires vector 0 of `kind` to an eventfd (the fd stays owned by this object).
    virtual Result<PciInterrupt> enable_interrupt(IrqKind kind) = 0;
    // Wires vectors 0..count-1 of `kind` to one eventfd each (owned by this object), e.g. one
    // MSI-X vector per queue pair. The default handles count 1 only.
    virtual Result<std::vector<int>> enable_vectors(IrqKind kind, unsigned count) {
        if (count != 1)
            return make_error("{}: {} vectors are not supported here", address(), count);
        auto irq = enable_interrupt(kind);
        if (!irq) return irq.error();
        return std::vector<int>{irq->fd};
    }
    virtual void disable_interrupt() noexcept = 0;
    virtual void unmask_intx() noexcept = 0;

    // Clears Bus Master Enable (bit 2 of the PCI command register, PCI Local Bus 3.0 §6.2.2):
    // from then on the function cannot start a memory read or write, whatever its registers
    // say. Drivers call it at stop, before any DMA memory can be freed.
    virtual Status disable_bus_master() = 0;
    // Gives the function back before this object is destroyed: interrupts off, BAR unmapped,
    // the device closed (vfio-pci then clears bus mastering and resets it when it can). Only
    // destruction may follow; bar0() must no longer be used. In no-IOMMU mode the drivers call
    // it at stop before any DMA memory is freed: no IOMMU would stop a late write there.
    virtual void close() noexcept {}
    // Whether the kernel has asked for the device back (VFIO's request interrupt: an unbind or
    // hot unplug waits until the device is closed). Non-blocking (one eventfd read); once true,
    // stays true. False when the function has no such signal.
    virtual bool release_requested() noexcept { return false; }
};

// Opens the device bound to vfio-pci at pci_address ("0000:03:00.0" or "03:00.0") and
// starts the matching driver.
Result<std::unique_ptr<Nic>> open_pci_nic(const std::string& pci_address,
                                          const PciNicOptions& options);

// Opens several devices in one VFIO container, i.e. one IOMMU address space: every NIC's DMA
// memory is then reachable by all of them, so a buffer one NIC received can be sent by another
// without a copy (shunt-fwd). In no-IOMMU mode addresses are physical and shared anyway.
Result<NicSet> open_pci_nics(const std::vector<std::string>& addresses,
                             const PciNicOptions& options);

// Starts the driver for vendor:device on an already opened function (the VFIO-free half of
// open_pci_nic; tests use it with a fake PciFunction).
Result<std::unique_ptr<Nic>> open_pci_nic(std::unique_ptr<PciFunction> function, uint16_t vendor_id,
                                          uint16_t device_id, const PciNicOptions& options);

// "8086:100e 82540EM (e1000)" for a supported ID, "" otherwise.
std::string describe_pci_nic(uint16_t vendor_id, uint16_t device_id);

}  // namespace shunt
