// Bring-up, control and fast path of the 82576 (igb). "DS" is the Intel 82576EB GbE Controller
// Datasheet; the order below is its software initialization sequence (ch. 4): interrupts off,
// global reset, interrupts off again, link, receive address and filters, statistics, receive
// queues and RSS, transmit queues. Every register poll has a timeout and an error that prints
// the registers involved; nothing here aborts.
#include "driver/igb/igb_nic.hpp"

#include "base/log.hpp"
#include "driver/igb/regs.hpp"
#include "packet/packet_buf.hpp"

#include <unistd.h>

#include <array>
#include <thread>

namespace shunt::igb {

namespace {

constexpr Duration kResetTimeout = Duration(500'000);
constexpr Duration kAutoReadTimeout = Duration(10'000);
// The MDIC and EERD bounds are Linux's (e1000_read_phy_reg_mdic: E1000_GEN_POLL_TIMEOUT * 3
// polls 50 us apart, ~96 ms; e1000_poll_eerd_eewr_done: 100000 polls 5 us apart, 500 ms). The
// chip answers in microseconds; 10 ms failed the unit tests' fake device on a loaded host.
constexpr Duration kMdicTimeout = Duration(100'000);
constexpr Duration kEerdTimeout = Duration(500'000);
constexpr Duration kQueueEnableTimeout = Duration(10'000);
constexpr Duration kMasterTimeout = Duration(80'000);

constexpr std::array<Model, 4> kModels = {{
    {0x10C9, "82576"},
    {0x10E8, "82576 quad copper"},
    {0x1526, "82576 quad copper ET2"},
    {0x150A, "82576NS"},
}};

uint32_t speed_mbps(uint32_t status_reg) {
    switch ((status_reg & status::SPEED_MASK) >> status::SPEED_SHIFT) {
        case 0:
            return 10;
        case 1:
            return 100;
        default:
            return 1000;
    }
}

}  // namespace

std::span<const Model> models() {
    return kModels;
}

const Model* find_model(uint16_t vendor_id, uint16_t device_id) {
    if (vendor_id != kIntelVendorId) return nullptr;
    for (const Model& m : kModels) {
        if (m.device_id == device_id) return &m;
    }
    return nullptr;
}

IgbNic::IgbNic(std::unique_ptr<PciFunction> function, const Model& model,
               const PciNicOptions& options)
    : fn_(std::move(function)),
      model_(model),
      opts_(options),
      address_(fn_->address()),
      queues_(options.queues),
      rss_key_(options.rss_symmetric ? intel::kSymmetricRssKey : kDefaultRssKey) {}

Result<std::unique_ptr<IgbNic>> IgbNic::create(std::unique_ptr<PciFunction> function,
                                               const Model& model, const PciNicOptions& options) {
    if (!valid_ring_size(options.rx_ring) || !valid_ring_size(options.tx_ring)) {
        return make_error("{}: ring sizes must be powers of two from 8 to 4096 (got rx {}, tx {})",
                          function->address(), options.rx_ring, options.tx_ring);
    }
    if (options.queues < 1 || options.queues > kMaxQueues) {
        return make_error("{}: the {} driver runs 1 to {} queue pairs (asked for {})",
                          function->address(), model.chip, kMaxQueues, options.queues);
    }
    if (options.pool_buffers < options.rx_ring + 64) {
        return make_error(
            "{}: {} packet buffers per queue pair cannot fill an RX ring of {} and leave room "
            "to send; use at least {}",
            function->address(), options.pool_buffers, options.rx_ring, options.rx_ring + 64);
    }
    if (options.interrupts) {
        // One MSI-X vector per queue pair; MSI and INTx (one vector for all queues) are not
        // written for the 82576.
        if (options.irq_mode != IrqMode::best && options.irq_mode != IrqMode::msix) {
            return make_error(
                "{}: the igb driver uses MSI-X (one vector per queue pair); {} interrupts are "
                "not supported",
                function->address(), options.irq_mode == IrqMode::msi ? "MSI" : "INTx");
        }
        const unsigned offered = function->irq_vectors(IrqKind::msix);
        if (offered < options.queues) {
            return make_error("{}: {} queue pairs need {} MSI-X vectors, the function offers {}",
                              function->address(), options.queues, options.queues, offered);
        }
    }
    std::unique_ptr<IgbNic> nic(new IgbNic(std::move(function), model, options));
    if (auto s = nic->init(); !s) {
        nic->shutdown();
        return s.error();
    }
    return nic;
}

IgbNic::~IgbNic() {
    shutdown();
}

// DMA off before rings and buffers can go away (with no IOMMU a late write would land in memory
// that is no longer ours): interrupts masked, receive and transmit and every queue disabled,
// bus mastering off at the PCI level, a global reset (checked: one that does not complete is
// logged; bus mastering is already off), and in no-IOMMU mode the device closed; only then do
// the buffers go back to their pools (the ring and pool memory is freed later still, when the
// queues are destroyed). A device that is gone gets no register access at all.
void IgbNic::shutdown() noexcept {
    if (stopped_) return;
    stopped_ = true;
    const bool present = mmio_.mapped() && !health_.gone();
    const Instant drain_until = Instant::now() + Duration(200'000);
    for (uint16_t q = 0; q < queues_; ++q) {
        while (present && txq_[q].ready() && !txq_[q].idle() && Instant::now() < drain_until) {
            txq_[q].clean();
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    }
    if (present) {
        mmio_.write32(regs::IMC, ~0u);
        mmio_.write32(regs::EIMC, ~0u);
        mmio_.write32(regs::EIAC, 0);
        mmio_.write32(regs::RCTL, 0);
        mmio_.write32(regs::TCTL, 0);
        for (uint16_t q = 0; q < queues_; ++q) {
            mmio_.write32(regs::RXDCTL(q), 0);
            mmio_.write32(regs::TXDCTL(q), 0);
        }
    }
    if (auto s = fn_->disable_bus_master(); !s) {
        log::warn("{}: clearing bus mastering at stop: {}", address_, s.error().message);
    }
    if (present) {
        mmio_.write32(regs::CTRL, mmio_.read32(regs::CTRL) | ctrl::RST);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // before reading it back
        uint32_t last = 0;
        if (!mmio_.wait_clear(regs::CTRL, ctrl::RST, kResetTimeout, &last)) {
            log::warn(
                "{}: {} did not finish its reset at stop (CTRL.RST still set after {} ms, "
                "CTRL={:#010x}); bus mastering is off, so it cannot reach memory",
                address_, model_.chip, kResetTimeout.count() / 1000, last);
        }
        (void)mmio_.read32(regs::ICR);
    }
    mmio_ = Mmio();
    if (interrupts_) {
        fn_->disable_interrupt();
        interrupts_ = false;
    }
    if (!fn_->iommu()) fn_->close();
    for (TxQ& q : txq_) q.release();
    for (RxQ& q : rxq_) q.release();
}

Status IgbNic::init() {
    mmio_ = fn_->bar0();
    if (mmio_.size() < 0x20000) {
        return make_error("{}: BAR 0 is {} bytes; an {} has 128 KiB of registers", address_,
                          mmio_.size(), model_.chip);
    }
    mask_interrupts();  // DS §4.5: no interrupts during initialization
    if (auto s = global_reset(); !s) return s;
    mask_interrupts();  // again: the reset may have left causes pending
    if (auto s = link_setup(); !s) return s;
    if (auto s = read_mac_address(); !s) return s;
    clear_filters();
    refresh_hw_stats();  // start from zero (the registers clear on read)
    hw_ = {};
    rq_drops_ = {};
    if (auto s = alloc_rings(); !s) return s;
    if (auto s = init_rx(); !s) return s;
    if (auto s = init_tx(); !s) return s;
    if (opts_.interrupts) {
        if (auto s = init_interrupts(); !s) return s;
    }
    return {};
}

// DS §8.8 (IMC, EIMC): mask every legacy and extended cause; reading ICR clears what is pending.
void IgbNic::mask_interrupts() {
    mmio_.write32(regs::IMC, ~0u);
    mmio_.write32(regs::EIMC, ~0u);
    (void)mmio_.read32(regs::ICR);
    (void)mmio_.read32(regs::EICR);
}

// DS §4.3.1 (software reset, CTRL.RST): stop receive and transmit, stop bus mastering and wait
// (bounded) until no master request is pending (CTRL.GIO_MASTER_DISABLE, STATUS.
// GIO_MASTER_ENABLE; a timeout is only logged, the reset follows anyway), reset, wait for the
// bit to clear; then wait for the NVM auto-read (EECD.AUTO_RD). Like Linux's igb, a missing
// auto-read is only logged: a part without an NVM (or QEMU's model, which never sets the bit)
// still works.
Status IgbNic::global_reset() {
    mmio_.write32(regs::RCTL, 0);
    mmio_.write32(regs::TCTL, 0);
    mmio_.write32(regs::CTRL, mmio_.read32(regs::CTRL) | ctrl::GIO_MASTER_DISABLE);
    uint32_t st = 0;
    if (!mmio_.wait_clear(regs::STATUS, status::GIO_MASTER_ENABLE, kMasterTimeout, &st)) {
        log::warn("{}: bus-master requests still pending before the reset (STATUS={:#010x})",
                  address_, st);
    }
    mmio_.write32(regs::CTRL, mmio_.read32(regs::CTRL) | ctrl::RST);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // before reading it back
    uint32_t ctrl_now = 0;
    if (!mmio_.wait_clear(regs::CTRL, ctrl::RST, kResetTimeout, &ctrl_now)) {
        return make_error(
            "{}: {} did not finish its reset (CTRL.RST still set after {} ms): CTRL={:#010x} "
            "STATUS={:#010x}{}",
            address_, model_.chip, kResetTimeout.count() / 1000, ctrl_now,
            mmio_.read32(regs::STATUS), all_ones_hint(ctrl_now));
    }
    uint32_t eecd = 0;
    if (!mmio_.wait_set(regs::EECD, eecd::AUTO_RD, kAutoReadTimeout, &eecd)) {
        log::debug("{}: NVM auto-read not reported done (EECD={:#010x}); continuing", address_,
                   eecd);
    }
    // DS §8.2.3: tell the firmware a driver has taken the device.
    mmio_.write32(regs::CTRL_EXT, mmio_.read32(regs::CTRL_EXT) | ctrl_ext::DRV_LOAD);
    return {};
}

// DS §8.2.4 (MDIC): one PHY register access through the MDI interface, bounded.
Result<uint16_t> IgbNic::phy_read(uint32_t reg) {
    mmio_.write32(regs::MDIC,
                  reg << mdic::REG_SHIFT | mdic::PHY_ADDR << mdic::PHY_SHIFT | mdic::OP_READ);
    uint32_t v = 0;
    if (!mmio_.wait_set(regs::MDIC, mdic::READY, kMdicTimeout, &v) || (v & mdic::ERROR) != 0) {
        return make_error("{}: PHY register {} read failed (MDIC={:#010x})", address_, reg, v);
    }
    return static_cast<uint16_t>(v);
}

Status IgbNic::phy_write(uint32_t reg, uint16_t value) {
    mmio_.write32(regs::MDIC, value | reg << mdic::REG_SHIFT | mdic::PHY_ADDR << mdic::PHY_SHIFT |
                                  mdic::OP_WRITE);
    uint32_t v = 0;
    if (!mmio_.wait_set(regs::MDIC, mdic::READY, kMdicTimeout, &v) || (v & mdic::ERROR) != 0) {
        return make_error("{}: PHY register {} write failed (MDIC={:#010x})", address_, reg, v);
    }
    return {};
}

// DS §4.5.7 (link setup, internal copper PHY): CTRL.SLU with speed and duplex from
// autonegotiation (no FRCSPD/FRCDPX), no flow control; then, unless the link is already up,
// restart autonegotiation in the PHY (BMCR.AUTOEN | RESTART: QEMU's model keeps the link down
// after a reset until this, docs/drivers.md) and wait for STATUS.LU. A link still down is not
// fatal: link() reports it later.
Status IgbNic::link_setup() {
    uint32_t c = mmio_.read32(regs::CTRL);
    c |= ctrl::SLU;
    c &= ~(ctrl::LRST | ctrl::PHY_RST | ctrl::FRCSPD | ctrl::FRCDPX | ctrl::VME |
           ctrl::GIO_MASTER_DISABLE);  // the reset cleared it; never leave DMA stopped
    mmio_.write32(regs::CTRL, c);
    mmio_.write32(regs::FCAL, 0);
    mmio_.write32(regs::FCAH, 0);
    mmio_.write32(regs::FCT, 0);
    mmio_.write32(regs::FCTTV, 0);
    // A link that survived the MAC reset (the PHY has its own) is kept: a restart would cost a
    // fresh negotiation, seconds on a real wire.
    if ((mmio_.read32(regs::STATUS) & status::LU) == 0) {
        auto bmcr = phy_read(phy::BMCR);
        if (!bmcr) return bmcr.error();
        if (auto s = phy_write(
                phy::BMCR, static_cast<uint16_t>(*bmcr | phy::BMCR_AUTOEN | phy::BMCR_ANRESTART));
            !s) {
            return s;
        }
    }
    uint32_t st = 0;
    if (mmio_.wait_set(regs::STATUS, status::LU, opts_.link_timeout, &st)) {
        log::info("{}: {} link up, {} Mbit/s {} duplex", address_, model_.chip, speed_mbps(st),
                  (st & status::FD) != 0 ? "full" : "half");
    } else {
        log::warn("{}: {} link still down after {} ms (STATUS={:#010x}, CTRL={:#010x})", address_,
                  model_.chip, opts_.link_timeout.count() / 1000, st, mmio_.read32(regs::CTRL));
    }
    return {};
}

// DS §8.10.13-14 (RAL0/RAH0): the station address, loaded from the NVM at reset and valid when
// RAH.AV is set; otherwise NVM words 0-2 through EERD (DS §8.2.2), written back with AV.
Status IgbNic::read_mac_address() {
    uint32_t ral = mmio_.read32(regs::RAL0);
    uint32_t rah = mmio_.read32(regs::RAH0);
    if ((rah & RAH_AV) == 0 || (ral == 0 && (rah & 0xFFFF) == 0)) {
        std::array<uint16_t, 3> w{};
        for (uint8_t i = 0; i < 3; ++i) {
            auto word = read_eeprom(i);
            if (!word) return word.error();
            w[i] = *word;
        }
        ral = uint32_t{w[0]} | uint32_t{w[1]} << 16;
        rah = w[2];
        mmio_.write32(regs::RAL0, ral);
        mmio_.write32(regs::RAH0, rah | RAH_AV);
    }
    mac_ = MacAddr{{static_cast<uint8_t>(ral), static_cast<uint8_t>(ral >> 8),
                    static_cast<uint8_t>(ral >> 16), static_cast<uint8_t>(ral >> 24),
                    static_cast<uint8_t>(rah), static_cast<uint8_t>(rah >> 8)}};
    if (mac_.is_zero() || mac_.is_multicast()) {
        return make_error("{}: the {} holds no usable MAC address (read {})", address_, model_.chip,
                          mac_.to_string());
    }
    return {};
}

Result<uint16_t> IgbNic::read_eeprom(uint8_t word) {
    mmio_.write32(regs::EERD, uint32_t{word} << eerd::ADDR_SHIFT | eerd::START);
    uint32_t v = 0;
    if (!mmio_.wait_set(regs::EERD, eerd::DONE, kEerdTimeout, &v)) {
        return make_error("{}: NVM word {} read did not complete (EERD={:#010x})", address_, word,
                          v);
    }
    return static_cast<uint16_t>(v >> eerd::DATA_SHIFT);
}

// DS §4.5.9: an empty multicast table and VLAN filter table (no multicast or VLAN filtering
// until an API asks for it; promiscuous mode takes everything).
void IgbNic::clear_filters() {
    for (uint32_t i = 0; i < 128; ++i) {
        mmio_.write32(regs::MTA + 4 * i, 0);
        mmio_.write32(regs::VFTA + 4 * i, 0);
    }
}

// One RxQueue/TxQueue pair per queue, each ring in its own DMA memory, one pool per pair.
Status IgbNic::alloc_rings() {
    for (uint16_t q = 0; q < queues_; ++q) {
        const std::string name = address_ + "-" + std::to_string(q);
        if (auto s = rxq_[q].create(fn_->dma(), opts_.rx_ring, opts_.pool_buffers, name); !s) {
            return make_error("{}: {}", address_, s.error().message);
        }
        if (auto s = txq_[q].create(fn_->dma(), opts_.tx_ring, name); !s) {
            return make_error("{}: {}", address_, s.error().message);
        }
    }
    return {};
}

// Sets a queue's enable bit and polls until the device reports it (DS §4.5.9/§4.5.10: the
// enable takes effect only once RXDCTL/TXDCTL.ENABLE reads back set).
Status IgbNic::enable_queue(uint32_t dctl_reg, uint32_t value, const char* what, uint16_t q) {
    mmio_.write32(dctl_reg, value | dctl::ENABLE);
    uint32_t v = 0;
    if (!mmio_.wait_set(dctl_reg, dctl::ENABLE, kQueueEnableTimeout, &v)) {
        return make_error("{}: {} queue {} did not enable ({}XDCTL={:#010x})", address_, what, q,
                          what[0] == 'r' ? 'R' : 'T', v);
    }
    return {};
}

// DS §4.5.9 receive initialization, per queue: the queue disabled while its ring is set up,
// ring base/length, head 0, SRRCTL (advanced one-buffer descriptors, 2 KiB buffers, drop when
// the ring is full so one stalled queue does not block the others), enable and wait for it,
// then the tail. Then RXCSUM and RSS, RCTL last.
Status IgbNic::init_rx() {
    for (uint16_t q = 0; q < queues_; ++q) {
        RxQ& rq = rxq_[q];
        mmio_.write32(regs::RXDCTL(q), 0);
        uint32_t v = 0;
        if (!mmio_.wait_clear(regs::RXDCTL(q), dctl::ENABLE, kQueueEnableTimeout, &v)) {
            return make_error("{}: receive queue {} did not stop (RXDCTL={:#010x})", address_, q,
                              v);
        }
        if (auto s = rq.start(&mmio_, regs::RDT(q), opts_.rx_checksum); !s) {
            return make_error("{}: {}", address_, s.error().message);
        }
        const uint64_t base = rq.ring_iova();
        mmio_.write32(regs::RDBAL(q), static_cast<uint32_t>(base));
        mmio_.write32(regs::RDBAH(q), static_cast<uint32_t>(base >> 32));
        mmio_.write32(regs::RDLEN(q), rq.ring_bytes());
        mmio_.write32(regs::RDH(q), 0);
        mmio_.write32(regs::RDT(q), 0);
        static_assert(PacketBuf::kDataRoom == 2048, "SRRCTL.BSIZEPACKET counts KiB");
        mmio_.write32(regs::SRRCTL(q), 2u << srrctl::BSIZEPACKET_SHIFT |
                                           srrctl::DESCTYPE_ADV_ONEBUF |
                                           (queues_ > 1 ? srrctl::DROP_EN : 0u));
        // Prefetch, host and write-back thresholds (8, 8, 1): descriptors come back one by one.
        if (auto s = enable_queue(
                regs::RXDCTL(q),
                8u << dctl::PTHRESH_SHIFT | 8u << dctl::HTHRESH_SHIFT | 1u << dctl::WTHRESH_SHIFT,
                "receive", q);
            !s) {
            return s;
        }
        // Every descriptor but one belongs to the NIC.
        mmio_.write32(regs::RDT(q), rq.size() - 1);
    }
    // DS §8.10.6 RXCSUM: IPv4 and TCP/UDP checksum results; PCSD puts the RSS hash in the
    // write-back instead of the packet checksum (the status bits still report the checks).
    uint32_t rxcsum = rxcsum::PCSD;
    if (opts_.rx_checksum) rxcsum |= rxcsum::IPOFLD | rxcsum::TUOFLD;
    mmio_.write32(regs::RXCSUM, rxcsum);
    setup_rss();
    // DS §8.10.1 RCTL: broadcast accepted, CRC stripped, buffer size from SRRCTL, no long
    // packets, no loopback; enabled last.
    rctl_ = rctl::EN | rctl::BAM | rctl::SECRC;
    if (opts_.promiscuous) rctl_ |= rctl::UPE | rctl::MPE;
    mmio_.write32(regs::RCTL, rctl_);
    return {};
}

// DS §7.1.1.7 (RSS) and §8.10.10-12 (MRQC, RETA, RSSRK): the 40-byte key, the 128-entry table
// spreading entries round-robin over the queues, and hashing of IPv4 addresses with TCP or UDP
// ports (IPv4 alone for other protocols). With one queue, RSS still runs (the hash lands in
// every descriptor) and every entry points at queue 0.
void IgbNic::setup_rss() {
    for (uint32_t i = 0; i < intel::kRssKeyBytes / 4; ++i) {
        const uint32_t v = uint32_t{rss_key_[4 * i]} | uint32_t{rss_key_[4 * i + 1]} << 8 |
                           uint32_t{rss_key_[4 * i + 2]} << 16 |
                           uint32_t{rss_key_[4 * i + 3]} << 24;
        mmio_.write32(regs::RSSRK + 4 * i, v);
    }
    for (uint32_t i = 0; i < kRetaEntries; ++i) reta_[i] = static_cast<uint8_t>(i % queues_);
    for (uint32_t i = 0; i < kRetaEntries / 4; ++i) {
        const uint32_t v = uint32_t{reta_[4 * i]} | uint32_t{reta_[4 * i + 1]} << 8 |
                           uint32_t{reta_[4 * i + 2]} << 16 | uint32_t{reta_[4 * i + 3]} << 24;
        mmio_.write32(regs::RETA + 4 * i, v);
    }
    mmio_.write32(regs::MRQC, mrqc::ENABLE_RSS | mrqc::TCP_IPV4 | mrqc::IPV4 | mrqc::UDP_IPV4);
}

// DS §4.5.10 transmit initialization, per queue: ring base/length, head and tail 0, enable and
// wait for it; then TIPG and TCTL (pad short packets, collision threshold 15, collision distance
// 64, retransmit on late collision).
Status IgbNic::init_tx() {
    for (uint16_t q = 0; q < queues_; ++q) {
        TxQ& tq = txq_[q];
        mmio_.write32(regs::TXDCTL(q), 0);
        uint32_t v = 0;
        if (!mmio_.wait_clear(regs::TXDCTL(q), dctl::ENABLE, kQueueEnableTimeout, &v)) {
            return make_error("{}: transmit queue {} did not stop (TXDCTL={:#010x})", address_, q,
                              v);
        }
        TxQ::Config cfg;
        cfg.max_frame = kMaxFrame;
        cfg.offload = opts_.tx_checksum;
        cfg.split = kTxPage;
        tq.start(&mmio_, regs::TDT(q), &rxq_[q].pool(), cfg);
        const uint64_t base = tq.ring_iova();
        mmio_.write32(regs::TDBAL(q), static_cast<uint32_t>(base));
        mmio_.write32(regs::TDBAH(q), static_cast<uint32_t>(base >> 32));
        mmio_.write32(regs::TDLEN(q), tq.ring_bytes());
        mmio_.write32(regs::TDH(q), 0);
        mmio_.write32(regs::TDT(q), 0);
        if (auto s = enable_queue(
                regs::TXDCTL(q),
                8u << dctl::PTHRESH_SHIFT | 1u << dctl::HTHRESH_SHIFT | 1u << dctl::WTHRESH_SHIFT,
                "transmit", q);
            !s) {
            return s;
        }
    }
    mmio_.write32(regs::TIPG, 8u | 8u << 10 | 6u << 20);  // IPGT 8, IPGR1 8, IPGR2 6 (copper)
    mmio_.write32(regs::TCTL, tctl::EN | tctl::PSP | 15u << tctl::CT_SHIFT |
                                  64u << tctl::COLD_SHIFT | tctl::RTLC);
    return {};
}

// DS §7.3 (interrupts) and §8.8 (GPIE, IVAR, EITR, EIAC, EIMS): MSI-X mode with one vector
// per queue pair. Receive queue q's cause goes to vector q (IVAR q, RX byte); transmit
// completions are reaped in tx_batch and get no vector, nor do the "other" causes (link).
// EIAC auto-clears a vector's EICR bit when its message is sent, so the next write-back raises
// the next message with no register access on the fast path; no auto-mask (EIAM, GPIE.EIAME).
// EITR paces each vector to itr_interval_us.
Status IgbNic::init_interrupts() {
    auto fds = fn_->enable_vectors(IrqKind::msix, queues_);
    if (!fds) return make_error("{}: interrupts: {}", address_, fds.error().message);
    if (fds->size() != queues_) {
        return make_error("{}: interrupts: {} eventfds for {} vectors", address_, fds->size(),
                          queues_);
    }
    interrupts_ = true;
    irq_fds_.fill(-1);
    for (uint16_t q = 0; q < queues_; ++q) irq_fds_[q] = (*fds)[q];
    mmio_.write32(regs::GPIE, gpie::MSIX_MODE | gpie::PBA_SUPPORT | gpie::NSICR);
    uint32_t vectors = 0;
    for (uint16_t q = 0; q < queues_; ++q) {
        mmio_.write32(regs::IVAR(q), ivar::VALID | q);  // RX queue q -> vector q; TX invalid
        mmio_.write32(regs::EITR(q),
                      (opts_.itr_interval_us << eitr::INTERVAL_SHIFT) & eitr::INTERVAL_MASK);
        vectors |= 1u << q;
    }
    mmio_.write32(regs::EIAC, vectors);
    (void)mmio_.read32(regs::EICR);
    mmio_.write32(regs::EIMS, vectors);
    log::info(
        "{}: interrupts on (MSI-X, {} vector{}: one per queue pair, throttled to one per {} "
        "us)",
        address_, queues_, queues_ == 1 ? "" : "s", opts_.itr_interval_us);
    return {};
}

// Called when queue's ring is empty: drains its eventfd, so wait_fd reads like a socket, then
// re-signals it if a frame landed meanwhile (its message may have come before the drain).
void IgbNic::rearm_interrupt(uint16_t queue) noexcept {
    const int fd = irq_fds_[queue];
    uint64_t events = 0;
    while (::read(fd, &events, sizeof(events)) > 0) {
    }
    if (rxq_[queue].pending()) {
        const uint64_t one = 1;
        (void)!::write(fd, &one, sizeof(one));
    }
}

LinkStatus IgbNic::link() {
    if (!mmio_.mapped() || health_.gone()) return {};
    const uint32_t st = mmio_.read32(regs::STATUS);
    if (health_.check(st, "STATUS", name()) || (st & status::LU) == 0) return {};
    return {true, speed_mbps(st)};
}

NicHealth IgbNic::health() {
    if (!health_.gone() && mmio_.mapped()) {
        health_.check(mmio_.read32(regs::STATUS), "STATUS", name());
    }
    if (health_.ok() && fn_->release_requested()) health_.request_release(name());
    return health_.state();
}

NicCaps IgbNic::caps() const {
    NicCaps c;
    c.rx_ip_csum = c.rx_l4_csum = opts_.rx_checksum;
    c.tx_ip_csum = c.tx_l4_csum = opts_.tx_checksum;
    return c;
}

void IgbNic::set_promiscuous(bool on) {
    opts_.promiscuous = on;
    rctl_ = on ? rctl_ | rctl::UPE | rctl::MPE : rctl_ & ~(rctl::UPE | rctl::MPE);
    if (mmio_.mapped() && !health_.gone()) mmio_.write32(regs::RCTL, rctl_);
}

size_t IgbNic::rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept {
    if (queue >= queues_ || !rxq_[queue].ready() || health_.gone()) return 0;
    const size_t n = rxq_[queue].rx_burst(bufs);
    if (n == 0 && interrupts_) rearm_interrupt(queue);
    // Only queue 0's caller refreshes the 32-bit registers (they must not wrap between reads):
    // the queues may be polled from different threads, the statistics are not shared state
    // the other queues touch.
    if (queue == 0 && --stats_countdown_ == 0) {
        stats_countdown_ = kStatsEvery;
        refresh_hw_stats();
    }
    return n;
}

size_t IgbNic::tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept {
    if (queue >= queues_ || !txq_[queue].ready() || health_.gone()) return 0;
    return txq_[queue].tx_burst(bufs);
}

// DS §8.19: the statistics registers clear on read (the octet pairs on the high half); QEMU
// leaves some uncleared, which ClearOnReadCounter learns.
// A device that is gone reads all ones everywhere: STATUS is read before and after, and the
// values are kept only if the device answered both times (no 0xffffffff "counts").
void IgbNic::refresh_hw_stats() noexcept {
    if (!mmio_.mapped() || health_.gone()) return;
    if (health_.check(mmio_.read32(regs::STATUS), "STATUS", name())) return;
    const HwStats before = hw_;
    const std::array<uint64_t, kMaxQueues> drops_before = rq_drops_;
    auto& s = stat_regs_;
    auto octets = [this](uint32_t low, uint32_t high) {
        const uint32_t l = mmio_.read32(low);
        return uint64_t{mmio_.read32(high)} << 32 | l;
    };
    hw_.gprc += s.gprc.take(mmio_, regs::GPRC);
    hw_.gptc += s.gptc.take(mmio_, regs::GPTC);
    hw_.tpr += s.tpr.take(mmio_, regs::TPR);
    hw_.tpt += s.tpt.take(mmio_, regs::TPT);
    hw_.gorc += octets(regs::GORCL, regs::GORCH);
    hw_.gotc += octets(regs::GOTCL, regs::GOTCH);
    hw_.tor += octets(regs::TORL, regs::TORH);
    hw_.tot += octets(regs::TOTL, regs::TOTH);
    hw_.mpc += s.mpc.take(mmio_, regs::MPC);
    hw_.rnbc += s.rnbc.take(mmio_, regs::RNBC);
    hw_.crcerrs += s.crcerrs.take(mmio_, regs::CRCERRS);
    hw_.algnerrc += s.algnerrc.take(mmio_, regs::ALGNERRC);
    hw_.rxerrc += s.rxerrc.take(mmio_, regs::RXERRC);
    hw_.rlec += s.rlec.take(mmio_, regs::RLEC);
    hw_.ecol += s.ecol.take(mmio_, regs::ECOL);
    hw_.latecol += s.latecol.take(mmio_, regs::LATECOL);
    for (uint16_t q = 0; q < queues_; ++q) rq_drops_[q] += s.rqdpc[q].take(mmio_, regs::RQDPC(q));
    if (health_.check(mmio_.read32(regs::STATUS), "STATUS", name())) {
        hw_ = before;
        rq_drops_ = drops_before;
    }
}

const HwStats& IgbNic::hw_stats() {
    refresh_hw_stats();
    return hw_;
}

uint64_t IgbNic::rx_queue_drops(uint16_t queue) {
    refresh_hw_stats();
    return queue < queues_ ? rq_drops_[queue] : 0;
}

NicCounters IgbNic::counters() {
    refresh_hw_stats();
    NicCounters c;
    uint64_t rx_soft_errors = 0, rx_no_buffer = 0, queue_drops = 0;
    for (uint16_t q = 0; q < queues_; ++q) {
        const RxQueueStats& r = rxq_[q].stats();
        c.rx_packets += r.packets;
        c.rx_bytes += r.bytes;
        c.rx_doorbells += r.doorbells;
        rx_soft_errors += r.errors;
        rx_no_buffer += r.no_buffer;
        queue_drops += rq_drops_[q];
        const TxQueueStats& t = txq_[q].stats();
        c.tx_packets += t.packets;
        c.tx_bytes += t.bytes;
        c.tx_dropped += t.dropped;
        c.tx_doorbells += t.doorbells;
        c.tx_status_reports += t.status_reports;
    }
    c.rx_dropped = rx_no_buffer + hw_.mpc + queue_drops;
    c.rx_errors = rx_soft_errors + hw_.crcerrs + hw_.algnerrc + hw_.rxerrc + hw_.rlec;
    c.tx_errors = hw_.ecol + hw_.latecol;
    return c;
}

QueueCounters IgbNic::queue_counters(uint16_t queue) {
    if (queue >= queues_) return {};
    refresh_hw_stats();
    const RxQueueStats& r = rxq_[queue].stats();
    const TxQueueStats& t = txq_[queue].stats();
    return {r.packets, r.bytes, r.no_buffer + rq_drops_[queue], t.packets, t.bytes, t.dropped};
}

}  // namespace shunt::igb
