// The one interface every backend implements: batched rx/tx per queue on packet buffers.
//
// Ownership: rx_batch hands the caller one reference per returned buffer. tx_batch takes
// ownership of the first N buffers it returns (the driver drops the reference once the
// hardware is done); buffers past N stay with the caller.
#pragma once

#include "base/mac_addr.hpp"
#include "packet/packet_buf.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace shunt {

struct NicCaps {
    bool rx_ip_csum = false;  // RX checks IPv4 header checksums and sets rx_flags
    bool rx_l4_csum = false;  // RX checks TCP/UDP checksums
    bool tx_ip_csum = false;  // TX fills IPv4 header checksums on tx_flags::ip_csum
    bool tx_l4_csum = false;  // TX fills TCP/UDP checksums on tx_flags::l4_csum
};

struct LinkStatus {
    bool up = false;
    uint32_t speed_mbps = 0;  // 0 when unknown
};

// Whether the device behind a Nic can still be used. Once it leaves `ok` it never comes back:
// the owner should stop using the Nic and destroy it (which gives the device back), and a tool
// exits non-zero with Nic::health_message().
enum class NicHealth : uint8_t {
    ok,
    // The device stopped answering: a status register read all ones, the value a read of a
    // removed (surprise-unplugged, link-down) PCIe function completes with. The driver no
    // longer writes to it and its counters stop where they were.
    gone,
    // The kernel asks for the device back (the VFIO request interrupt: an unbind or a hot
    // unplug is waiting until the device is closed). The device still works until then.
    release_requested,
};

inline const char* to_string(NicHealth h) {
    switch (h) {
        case NicHealth::gone:
            return "gone";
        case NicHealth::release_requested:
            return "release requested";
        case NicHealth::ok:
            break;
    }
    return "ok";
}

// Counters a backend keeps (software) or reads from the hardware (accumulated).
struct NicCounters {
    uint64_t rx_packets = 0;
    uint64_t rx_bytes = 0;
    uint64_t tx_packets = 0;
    uint64_t tx_bytes = 0;
    uint64_t rx_dropped = 0;  // no buffer / ring full on receive
    uint64_t tx_dropped = 0;  // frames the backend could not send
    uint64_t rx_errors = 0;   // frames rejected (bad CRC, too long, read errors)
    uint64_t tx_errors = 0;
    uint64_t rx_copy_bytes = 0;  // bytes copied on receive (inherent for TAP; 0 for DMA NICs)
    uint64_t tx_copy_bytes = 0;  // bytes copied on transmit
    // Doorbells (tail-register writes) and transmit descriptors sent with report-status: each
    // is a bus write or write-back, so a driver batches them (0 for backends without rings).
    uint64_t rx_doorbells = 0;
    uint64_t tx_doorbells = 0;
    uint64_t tx_status_reports = 0;
};

// One queue pair's share of NicCounters: what it received and sent, and what it dropped.
// rx_dropped is the queue's own (no buffer, the device's per-queue drop counter where it has
// one); drops the device counts only per port (missed packets on a multi-queue NIC) are in
// NicCounters alone, so the queues' rx_dropped may sum to less than NicCounters::rx_dropped.
struct QueueCounters {
    uint64_t rx_packets = 0;
    uint64_t rx_bytes = 0;
    uint64_t rx_dropped = 0;
    uint64_t tx_packets = 0;
    uint64_t tx_bytes = 0;
    uint64_t tx_dropped = 0;
};

class Nic {
  public:
    virtual ~Nic() = default;

    virtual std::string name() const = 0;  // "tap:shunt0", "pci:0000:03:00.0"
    virtual std::string driver() const = 0;
    virtual MacAddr mac() const = 0;
    virtual uint16_t mtu() const = 0;
    virtual LinkStatus link() = 0;
    virtual uint16_t queue_count() const = 0;
    virtual NicCaps caps() const = 0;
    virtual NicCounters counters() = 0;
    // Queue pair `queue`'s counters (zeros for a queue the NIC does not have). The default is
    // for single-queue backends: queue 0 is the whole NIC.
    virtual QueueCounters queue_counters(uint16_t queue) {
        if (queue != 0 || queue_count() != 1) return {};
        const NicCounters c = counters();
        return {c.rx_packets, c.rx_bytes, c.rx_dropped, c.tx_packets, c.tx_bytes, c.tx_dropped};
    }

    // Receive up to bufs.size() frames on queue; returns how many were stored in bufs.
    virtual size_t rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept = 0;
    // Queue bufs for transmission; returns how many the NIC took (see ownership above).
    virtual size_t tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept = 0;

    // A file descriptor that becomes readable when queue has work (TAP fd, MSI-X eventfd),
    // for daemons that sleep when idle; -1 when the backend can only be polled.
    virtual int wait_fd(uint16_t queue) const = 0;
    // The pool that transmit buffers for queue should come from.
    virtual Mempool& tx_pool(uint16_t queue) = 0;

    // Checks the device (PCI NICs: one status-register read and one non-blocking eventfd read):
    // call it about once per main-loop period (tens of milliseconds), not per batch. Backends
    // without a device to lose are always ok.
    virtual NicHealth health() { return NicHealth::ok; }
    // One line saying what happened ("pci:0000:03:00.0: device gone: STATUS reads 0xffffffff
    // ..."), empty while health() is ok.
    virtual std::string health_message() const { return {}; }

    // Stops all DMA and drops every buffer reference the NIC holds, those of other NICs' pools
    // it was transmitting included. Afterwards only destruction is allowed. Idempotent; the
    // destructor does it anyway. Backends that hold no buffers between calls need nothing.
    virtual void stop() noexcept {}
};

// NICs that hand each other buffers (a buffer received on one is sent by another, as
// shunt-fwd does): buffers go back to the pool they came from, so every NIC must be stopped
// before any of them, with its pool, is destroyed. The set does that in its destructor.
class NicSet {
  public:
    NicSet() = default;
    explicit NicSet(std::vector<std::unique_ptr<Nic>> nics) : nics_(std::move(nics)) {}
    NicSet(NicSet&&) noexcept = default;
    NicSet& operator=(NicSet&& o) noexcept {
        if (this != &o) {
            stop_all();
            nics_ = std::move(o.nics_);
        }
        return *this;
    }
    NicSet(const NicSet&) = delete;
    NicSet& operator=(const NicSet&) = delete;
    ~NicSet() { stop_all(); }

    size_t size() const { return nics_.size(); }
    Nic& operator[](size_t i) const { return *nics_[i]; }

  private:
    void stop_all() noexcept {
        for (auto& n : nics_) {
            if (n) n->stop();
        }
    }
    std::vector<std::unique_ptr<Nic>> nics_;
};

}  // namespace shunt
