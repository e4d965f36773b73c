// Driver for the Intel 82576 (igb): N queue pairs on the shared ring engine
// (driver/desc_queue.hpp) with advanced descriptors (driver/intel/adv_format.hpp), one packet
// pool per pair, receive spread over the queues by RSS (Toeplitz hash over the IPv4 addresses
// and TCP/UDP ports, 128-entry redirection table), checksum offload; polling, or one MSI-X
// vector per queue pair (each queue's wait_fd).
//
// Bring-up follows the datasheet's initialization chapter (82576 DS ch. 4: interrupts off,
// global reset, link, address filters, statistics, receive, transmit); each step in
// igb_nic.cpp names its section and registers. docs/drivers.md says what QEMU's model proved.
#pragma once

#include "base/result.hpp"
#include "driver/desc_queue.hpp"
#include "driver/device_health.hpp"
#include "driver/intel/adv_format.hpp"
#include "driver/intel/clear_on_read.hpp"
#include "driver/intel/toeplitz.hpp"
#include "driver/nic.hpp"
#include "driver/pci_nic.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace shunt::igb {

inline constexpr uint16_t kIntelVendorId = 0x8086;

struct Model {
    uint16_t device_id;
    const char* chip;  // "82576"
};
// The copper 82576 parts (internal PHY, link by autonegotiation); fiber/SerDes are not in it.
std::span<const Model> models();
const Model* find_model(uint16_t vendor_id, uint16_t device_id);

// Totals of the hardware statistics registers since the driver started (DS §8.19).
struct HwStats {
    uint64_t gprc = 0, gptc = 0, gorc = 0, gotc = 0, tpr = 0, tpt = 0, tor = 0, tot = 0;
    uint64_t mpc = 0, rnbc = 0, crcerrs = 0, algnerrc = 0, rxerrc = 0, rlec = 0;
    uint64_t ecol = 0, latecol = 0;
};

// The RSS key every igb starts with unless told otherwise: Microsoft's verification key, so a
// hash can be checked against the published vectors and predicted with intel::toeplitz_hash.
inline constexpr std::array<uint8_t, intel::kRssKeyBytes> kDefaultRssKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

class IgbNic final : public Nic {
  public:
    static constexpr uint16_t kMaxQueues = 8;  // queue pairs used for RSS (the chip has 16)
    static constexpr uint32_t kRetaEntries = 128;
    static constexpr uint16_t kMaxFrame = 1518;  // 1514 plus an 802.1Q tag, no FCS
    static constexpr uint64_t kTxPage = 4096;    // see TxQueue::Config::split

    static Result<std::unique_ptr<IgbNic>> create(std::unique_ptr<PciFunction> function,
                                                  const Model& model, const PciNicOptions& options);
    ~IgbNic() override;
    IgbNic(const IgbNic&) = delete;
    IgbNic& operator=(const IgbNic&) = delete;

    std::string name() const override { return "pci:" + address_; }
    std::string driver() const override { return "igb"; }
    MacAddr mac() const override { return mac_; }
    uint16_t mtu() const override { return 1500; }
    LinkStatus link() override;
    uint16_t queue_count() const override { return queues_; }
    NicCaps caps() const override;
    NicCounters counters() override;
    // Per queue pair: the software counts, and the queue's hardware drop counter.
    QueueCounters queue_counters(uint16_t queue) override;

    size_t rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept override;
    size_t tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept override;
    // The eventfd of the queue's MSI-X vector (interrupt mode), -1 when polling. It reads like
    // a socket: readable while frames may be waiting, drained by rx_batch on an empty ring.
    int wait_fd(uint16_t queue) const override {
        return queue < queues_ && interrupts_ ? irq_fds_[queue] : -1;
    }
    Mempool& tx_pool(uint16_t queue) override { return rxq_[queue < queues_ ? queue : 0].pool(); }
    void stop() noexcept override { shutdown(); }
    // STATUS read (all ones: gone) and the kernel's release request.
    NicHealth health() override;
    std::string health_message() const override { return health_.message(); }

    const Model& model() const { return model_; }
    const HwStats& hw_stats();
    // Frames each receive queue dropped for want of a free descriptor (RQDPC), accumulated.
    uint64_t rx_queue_drops(uint16_t queue);
    void set_promiscuous(bool on);

    // RSS as programmed: the key (RSSRK) and the queue of each redirection-table entry (RETA);
    // a frame with hash h lands on queue reta()[h % 128].
    const std::array<uint8_t, intel::kRssKeyBytes>& rss_key() const { return rss_key_; }
    const std::array<uint8_t, kRetaEntries>& reta() const { return reta_; }

    using RxQ = RxQueue<intel::IgbFormat>;
    using TxQ = TxQueue<intel::IgbFormat>;
    RxQ* rx_queue(uint16_t q) noexcept { return q < queues_ ? &rxq_[q] : nullptr; }
    TxQ* tx_queue(uint16_t q) noexcept { return q < queues_ ? &txq_[q] : nullptr; }

  private:
    IgbNic(std::unique_ptr<PciFunction> function, const Model& model, const PciNicOptions& options);

    Status init();
    void mask_interrupts();
    Status global_reset();
    Result<uint16_t> phy_read(uint32_t reg);
    Status phy_write(uint32_t reg, uint16_t value);
    Status link_setup();
    Status read_mac_address();
    Result<uint16_t> read_eeprom(uint8_t word);
    void clear_filters();
    Status alloc_rings();
    Status init_rx();
    void setup_rss();
    Status init_tx();
    Status enable_queue(uint32_t dctl_reg, uint32_t value, const char* what, uint16_t q);
    Status init_interrupts();
    void rearm_interrupt(uint16_t queue) noexcept;
    void shutdown() noexcept;
    void refresh_hw_stats() noexcept;

    // Declared first so it is destroyed last: BAR mapping and DMA mappings.
    std::unique_ptr<PciFunction> fn_;
    const Model& model_;
    PciNicOptions opts_;
    std::string address_;
    Mmio mmio_;
    MacAddr mac_{};
    uint16_t queues_ = 1;

    // RX before TX: a TX queue may hold buffers of its RX twin's pool, so it goes first.
    std::array<RxQ, kMaxQueues> rxq_;
    std::array<TxQ, kMaxQueues> txq_;

    uint32_t rctl_ = 0;
    bool interrupts_ = false;
    DeviceHealth health_;
    bool stopped_ = false;
    std::array<int, kMaxQueues> irq_fds_{};
    std::array<uint8_t, intel::kRssKeyBytes> rss_key_ = kDefaultRssKey;
    std::array<uint8_t, kRetaEntries> reta_{};

    HwStats hw_{};
    struct {
        intel::ClearOnReadCounter gprc, gptc, tpr, tpt, mpc, rnbc, crcerrs, algnerrc, rxerrc, rlec,
            ecol, latecol;
        std::array<intel::ClearOnReadCounter, kMaxQueues> rqdpc;
    } stat_regs_;
    std::array<uint64_t, kMaxQueues> rq_drops_{};
    uint32_t stats_countdown_ = kStatsEvery;
    static constexpr uint32_t kStatsEvery = 1u << 16;  // rx_batch calls between refreshes
};

}  // namespace shunt::igb
