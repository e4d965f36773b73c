// Driver for the Intel 8254x (e1000) and 82574 (e1000e) families: one legacy-descriptor RX/TX
// queue pair, polled or interrupt-driven, with checksum offload. The two families share the
// register model used here; per-chip differences live in a Model (see models below).
//
// Bring-up follows the manuals' initialization chapters (8254x SDM §14, 82574 DS §4.6); each
// step in e1000_nic.cpp is tagged with its section. The rx/tx fast path is in fastpath.cpp.
#pragma once

#include "base/result.hpp"
#include "driver/desc_queue.hpp"
#include "driver/device_health.hpp"
#include "driver/e1000/desc.hpp"
#include "driver/e1000/legacy_format.hpp"
#include "driver/intel/clear_on_read.hpp"
#include "driver/nic.hpp"
#include "driver/pci_nic.hpp"
#include "packet/mempool.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace shunt::e1000 {

// EERD field layout (it moved between the families).
struct EerdLayout {
    uint32_t start;
    uint32_t done;
    uint32_t addr_shift;
    uint32_t data_shift;
};

struct Model {
    uint16_t device_id;
    const char* chip;    // "82540EM"
    const char* driver;  // "e1000" or "e1000e"
    bool has_eerd;       // the 82544 reads its EEPROM only through EECD bit-banging
    EerdLayout eerd;
    bool has_msi;   // the chip has an MSI capability (82574); the 8254x here use INTx
    bool has_msix;  // the chip has an MSI-X capability with IVAR routing (82574)
    uint32_t tipg;  // TIPG value: IPGT | IPGR1 << 10 | IPGR2 << 20
    // Chip steps of the shared sequence; null when there are none.
    Status (*after_reset)(Mmio& mmio);
    void (*before_rings)(Mmio& mmio);
};

inline constexpr uint16_t kIntelVendorId = 0x8086;

std::span<const Model> models_8254x();  // model_8254x.cpp
std::span<const Model> models_82574();  // driver/e1000e/model_82574.cpp
const Model* find_model(uint16_t vendor_id, uint16_t device_id);

// The clear-on-read statistics helper is shared with igb (driver/intel/clear_on_read.hpp).
using intel::ClearOnReadCounter;

// Totals of the hardware statistics registers since the driver started (SDM §13.7).
struct HwStats {
    uint64_t gprc = 0, gptc = 0, gorc = 0, gotc = 0, tpr = 0, tpt = 0, tor = 0, tot = 0;
    uint64_t mpc = 0, rnbc = 0, crcerrs = 0, algnerrc = 0, rxerrc = 0, rlec = 0;
    uint64_t ecol = 0, latecol = 0;
};

class E1000Nic final : public Nic {
  public:
    static Result<std::unique_ptr<E1000Nic>> create(std::unique_ptr<PciFunction> function,
                                                    const Model& model,
                                                    const PciNicOptions& options);
    ~E1000Nic() override;
    E1000Nic(const E1000Nic&) = delete;
    E1000Nic& operator=(const E1000Nic&) = delete;

    std::string name() const override { return "pci:" + address_; }
    std::string driver() const override { return model_.driver; }
    MacAddr mac() const override { return mac_; }
    uint16_t mtu() const override { return 1500; }
    LinkStatus link() override;
    uint16_t queue_count() const override { return kQueues; }
    NicCaps caps() const override;
    NicCounters counters() override;

    size_t rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept override;
    size_t tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept override;
    int wait_fd(uint16_t queue) const override;
    Mempool& tx_pool(uint16_t queue) override { return txq_[queue < kQueues ? queue : 0].pool(); }
    void stop() noexcept override { shutdown(); }
    // STATUS read (all ones: gone) and the kernel's release request.
    NicHealth health() override;
    std::string health_message() const override { return health_.message(); }

    const Model& model() const { return model_; }
    const HwStats& hw_stats();  // refreshed from the registers
    void set_promiscuous(bool on);
    bool interrupts_enabled() const { return irq_.fd >= 0; }

    // The queue pairs, one per shard (the 8254x and 82574 have one; the engine is shared with
    // the multi-queue families). Null past queue_count().
    using RxQ = RxQueue<LegacyFormat>;
    using TxQ = TxQueue<LegacyFormat>;
    RxQ* rx_queue(uint16_t q) noexcept { return q < kQueues ? &rxq_[q] : nullptr; }
    TxQ* tx_queue(uint16_t q) noexcept { return q < kQueues ? &txq_[q] : nullptr; }
    static constexpr uint16_t kQueues = 1;

    // Largest frame tx_batch sends (no FCS): 1514 plus an 802.1Q tag.
    static constexpr uint16_t kMaxFrame = 1518;
    // No TX descriptor's buffer crosses this IOVA boundary (the smallest IOMMU page): see
    // TxQueue::Config::split.
    static constexpr uint64_t kTxPage = 4096;

  private:
    E1000Nic(std::unique_ptr<PciFunction> function, const Model& model,
             const PciNicOptions& options);

    // Bring-up, in datasheet order.
    Status init();
    void mask_interrupts();
    Status global_reset();
    Status link_setup();
    Status read_mac_address();
    Result<uint16_t> read_eeprom(uint8_t word);
    void clear_multicast_table();
    Status alloc_rings();
    Status init_rx();
    void init_tx();
    Result<IrqKind> choose_irq_kind() const;
    Status init_interrupts();
    void shutdown() noexcept;

    // Fast path helper (fastpath.cpp).
    void rearm_interrupt() noexcept;
    void refresh_hw_stats() noexcept;

    // Declared first so it is destroyed last: BAR mapping, interrupts and DMA mappings.
    std::unique_ptr<PciFunction> fn_;
    const Model& model_;
    PciNicOptions opts_;
    std::string address_;
    Mmio mmio_;
    MacAddr mac_{};

    // RX before TX: a TX queue may hold buffers of its RX twin's pool, so it goes first.
    std::array<RxQ, kQueues> rxq_;
    std::array<TxQ, kQueues> txq_;

    PciInterrupt irq_{};
    uint32_t rctl_ = 0;
    DeviceHealth health_;
    bool stopped_ = false;

    // Hardware statistics (accumulated); the queues count packets and software drops.
    HwStats hw_{};
    struct {
        ClearOnReadCounter gprc, gptc, tpr, tpt, mpc, rnbc, crcerrs, algnerrc, rxerrc, rlec, ecol,
            latecol;
    } stat_regs_;
    uint32_t stats_countdown_ = kStatsEvery;
    static constexpr uint32_t kStatsEvery = 1u << 16;  // rx_batch calls between refreshes
};

}  // namespace shunt::e1000
