// Driver for the Intel 82599 (ixgbe): N queue pairs on the shared ring engine
// (driver/desc_queue.hpp) with advanced descriptors (driver/intel/adv_format.hpp, the 82599's
// receive error bits), one packet pool per pair, receive spread over the queues by RSS
// (Toeplitz hash over the IPv4 addresses and TCP/UDP ports, 128-entry redirection table),
// checksum offload, per-queue statistics; polling only.
//
// Bring-up follows the 82599 datasheet's initialization sequence (82599 DS §4.6: interrupts
// off, global reset, EEPROM auto-read and DMA init done, link, statistics, receive, transmit);
// each step in ixgbe_nic.cpp names its section and registers. No emulator of the 82599 exists:
// this driver is proven only against the datasheet and the register-level fake in
// tests/unit/drivers (docs/drivers.md says what that covers).
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

namespace shunt::ixgbe {

inline constexpr uint16_t kIntelVendorId = 0x8086;

// How the link is brought up (82599 DS §4.6.4, AUTOC.LMS).
enum class LinkMode : uint8_t {
    serial_10g,  // SFP+ (SFI): LMS 10 GbE serial, as ixy does; the module itself is not read
    kx4_kx_kr,   // backplane: KX4/KX/KR autonegotiation
    from_nvm,    // XAUI/CX4 LOMs and 10GBASE-T: AUTOC as the NVM loaded it, only AN restarted
};

struct Model {
    uint16_t device_id;
    const char* chip;  // "82599 SFP+"
    LinkMode link;
};
std::span<const Model> models();
const Model* find_model(uint16_t vendor_id, uint16_t device_id);

// Totals of the hardware statistics registers since the driver started (82599 DS §8.2.3.23).
struct HwStats {
    uint64_t gprc = 0, gptc = 0, gorc = 0, gotc = 0;
    uint64_t mpc = 0, crcerrs = 0, illerrc = 0, errbc = 0, rlec = 0;
};
// Per-queue hardware counters (QPRC, QPTC, QPRDC), accumulated.
struct QueueHwStats {
    uint64_t rx_packets = 0, tx_packets = 0, rx_dropped = 0;
};

// Microsoft's verification key, as for igb, so hashes can be predicted and checked.
inline constexpr std::array<uint8_t, intel::kRssKeyBytes> kDefaultRssKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

class IxgbeNic final : public Nic {
  public:
    // RSS queues: the RETA entries are 4 bits and the per-queue counters are 16.
    static constexpr uint16_t kMaxQueues = 16;
    static constexpr uint32_t kRetaEntries = 128;
    static constexpr uint16_t kMaxFrame = 1518;  // 1514 plus an 802.1Q tag, no FCS

    static Result<std::unique_ptr<IxgbeNic>> create(std::unique_ptr<PciFunction> function,
                                                    const Model& model,
                                                    const PciNicOptions& options);
    ~IxgbeNic() override;
    IxgbeNic(const IxgbeNic&) = delete;
    IxgbeNic& operator=(const IxgbeNic&) = delete;

    std::string name() const override { return "pci:" + address_; }
    std::string driver() const override { return "ixgbe"; }
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
    int wait_fd(uint16_t) const override { return -1; }  // polling only
    Mempool& tx_pool(uint16_t queue) override { return rxq_[queue < queues_ ? queue : 0].pool(); }
    void stop() noexcept override { shutdown(); }
    // STATUS read (all ones: gone) and the kernel's release request.
    NicHealth health() override;
    std::string health_message() const override { return health_.message(); }

    const Model& model() const { return model_; }
    const HwStats& hw_stats();
    QueueHwStats queue_hw_stats(uint16_t queue);
    void set_promiscuous(bool on);

    const std::array<uint8_t, intel::kRssKeyBytes>& rss_key() const { return rss_key_; }
    const std::array<uint8_t, kRetaEntries>& reta() const { return reta_; }

    using RxQ = RxQueue<intel::IxgbeFormat>;
    using TxQ = TxQueue<intel::IxgbeFormat>;

  private:
    IxgbeNic(std::unique_ptr<PciFunction> function, const Model& model,
             const PciNicOptions& options);

    Status init();
    void mask_interrupts();
    Status global_reset();
    Status wait_init_done();
    void link_setup();
    Status wait_link();
    Status read_mac_address();
    void clear_filters();
    Status alloc_rings();
    Status init_rx();
    void setup_rss();
    Status start_rx();
    Status init_tx();
    Status poll_enable(uint32_t dctl_reg, const char* what, uint16_t q);
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
    DeviceHealth health_;
    bool stopped_ = false;
    bool dma_ready_ = false;  // EEC.ARD and RDRXCTL.DMAIDONE seen since the last reset

    // RX before TX: a TX queue may hold buffers of its RX twin's pool, so it goes first.
    std::array<RxQ, kMaxQueues> rxq_;
    std::array<TxQ, kMaxQueues> txq_;

    std::array<uint8_t, intel::kRssKeyBytes> rss_key_ = kDefaultRssKey;
    std::array<uint8_t, kRetaEntries> reta_{};

    HwStats hw_{};
    std::array<QueueHwStats, kMaxQueues> qhw_{};
    struct {
        intel::ClearOnReadCounter gprc, gptc, crcerrs, illerrc, errbc, rlec;
        std::array<intel::ClearOnReadCounter, 8> mpc;
        std::array<intel::ClearOnReadCounter, kMaxQueues> qprc, qptc, qprdc;
    } stat_regs_;
    uint32_t stats_countdown_ = kStatsEvery;
    static constexpr uint32_t kStatsEvery = 1u << 16;  // rx_batch calls between refreshes
};

}  // namespace shunt::ixgbe
