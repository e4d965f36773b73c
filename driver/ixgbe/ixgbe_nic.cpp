// Bring-up, control and fast path of the 82599 (ixgbe). "DS" is the Intel 82599 10 GbE
// Controller Datasheet (331520); the order below is its initialization sequence (DS §4.6.3 to
// §4.6.8), the same map ixy's ixgbe.c follows: interrupts off (§4.6.3.1), global reset
// (§4.6.3.2), interrupts off again, EEPROM auto-read and DMA initialization done (§4.6.3),
// link (§4.6.4), statistics (§4.6.5), receive (§4.6.7), transmit (§4.6.8), then the link wait.
// Every register poll has a timeout and an error that prints the registers involved; nothing
// here aborts. Register facts were checked against ixy's and Linux's ixgbe_type.h.
#include "driver/ixgbe/ixgbe_nic.hpp"

#include "base/log.hpp"
#include "driver/ixgbe/regs.hpp"
#include "packet/packet_buf.hpp"

#include <array>
#include <thread>

namespace shunt::ixgbe {

namespace {

constexpr Duration kResetTimeout = Duration(100'000);
constexpr Duration kAfterReset = Duration(10'000);  // ixy waits 10 ms after the bits clear
constexpr Duration kInitDoneTimeout = Duration(100'000);
constexpr Duration kQueueTimeout = Duration(10'000);
constexpr Duration kMasterTimeout = Duration(80'000);
constexpr Duration kSecRxTimeout = Duration(40'000);  // Linux's ixgbe waits 40 x 1 ms

// Linux's ixgbe_type.h IXGBE_DEV_ID_82599_* (facts only).
constexpr std::array<Model, 11> kModels = {{
    {0x10FB, "82599 SFP+", LinkMode::serial_10g},
    {0x1529, "82599 SFP+ FCoE", LinkMode::serial_10g},
    {0x1557, "82599EN SFP+", LinkMode::serial_10g},
    {0x154D, "82599 SFP+ SF2", LinkMode::serial_10g},
    {0x10F7, "82599 KX4", LinkMode::kx4_kx_kr},
    {0x1517, "82599 KR", LinkMode::kx4_kx_kr},
    {0x10F8, "82599 combined backplane", LinkMode::kx4_kx_kr},
    {0x152A, "82599 backplane FCoE", LinkMode::kx4_kx_kr},
    {0x10FC, "82599 XAUI LOM", LinkMode::from_nvm},
    {0x10F9, "82599 CX4", LinkMode::from_nvm},
    {0x151C, "82599 10GBASE-T LOM", LinkMode::from_nvm},
}};

uint32_t speed_mbps(uint32_t links_reg) {
    switch (links_reg & links::SPEED_MASK) {
        case links::SPEED_10G:
            return 10'000;
        case links::SPEED_1G:
            return 1'000;
        case links::SPEED_100M:
            return 100;
        default:
            return 0;
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

IxgbeNic::IxgbeNic(std::unique_ptr<PciFunction> function, const Model& model,
                   const PciNicOptions& options)
    : fn_(std::move(function)),
      model_(model),
      opts_(options),
      address_(fn_->address()),
      queues_(options.queues),
      rss_key_(options.rss_symmetric ? intel::kSymmetricRssKey : kDefaultRssKey) {}

Result<std::unique_ptr<IxgbeNic>> IxgbeNic::create(std::unique_ptr<PciFunction> function,
                                                   const Model& model,
                                                   const PciNicOptions& options) {
    if (!valid_ring_size(options.rx_ring) || !valid_ring_size(options.tx_ring)) {
        return make_error("{}: ring sizes must be powers of two from 8 to 4096 (got rx {}, tx {})",
                          function->address(), options.rx_ring, options.tx_ring);
    }
    if (options.queues < 1 || options.queues > kMaxQueues) {
        return make_error("{}: the ixgbe driver runs 1 to {} queue pairs (asked for {})",
                          function->address(), kMaxQueues, options.queues);
    }
    if (options.pool_buffers < options.rx_ring + 64) {
        return make_error(
            "{}: {} packet buffers per queue pair cannot fill an RX ring of {} and leave room "
            "to send; use at least {}",
            function->address(), options.pool_buffers, options.rx_ring, options.rx_ring + 64);
    }
    if (options.interrupts) {
        return make_error(
            "{}: the ixgbe driver polls; interrupts (MSI-X) are not written for the 82599 yet",
            function->address());
    }
    std::unique_ptr<IxgbeNic> nic(new IxgbeNic(std::move(function), model, options));
    if (auto s = nic->init(); !s) {
        nic->shutdown();
        return s.error();
    }
    return nic;
}

IxgbeNic::~IxgbeNic() {
    shutdown();
}

// DMA off before rings and buffers can go away: receive off, every queue disabled, transmit
// off, bus mastering off at the PCI level, a reset (bounded and checked: one that does not
// complete is logged; bus mastering is already off), in no-IOMMU mode the device closed, and
// only then do the buffers go back to their pools (the ring and pool memory is freed later
// still, when the queues are destroyed). A device that is gone gets no register access at all.
void IxgbeNic::shutdown() noexcept {
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
        mmio_.write32(regs::EIMC, 0x7FFFFFFF);
        // The receive and transmit registers only once the device said they may be touched
        // (DS §4.6.3); before that, the reset below is all there is to undo.
        if (dma_ready_) {
            mmio_.clear_bits(regs::RXCTRL, rxctrl::RXEN);
            for (uint16_t q = 0; q < queues_; ++q) {
                mmio_.write32(regs::RXDCTL(q), 0);
                mmio_.write32(regs::TXDCTL(q), 0);
            }
            mmio_.write32(regs::DMATXCTL, 0);
        }
    }
    if (auto s = fn_->disable_bus_master(); !s) {
        log::warn("{}: clearing bus mastering at stop: {}", address_, s.error().message);
    }
    if (present) {
        mmio_.write32(regs::CTRL, mmio_.read32(regs::CTRL) | ctrl::RST_MASK);
        uint32_t last = 0;
        if (!mmio_.wait_clear(regs::CTRL, ctrl::RST_MASK, kResetTimeout, &last)) {
            log::warn(
                "{}: {} did not finish its reset at stop (CTRL.RST|LNK_RST still set after {} "
                "ms, CTRL={:#010x}); bus mastering is off, so it cannot reach memory",
                address_, model_.chip, kResetTimeout.count() / 1000, last);
        }
    }
    mmio_ = Mmio();
    dma_ready_ = false;
    if (!fn_->iommu()) fn_->close();
    for (TxQ& q : txq_) q.release();
    for (RxQ& q : rxq_) q.release();
}

Status IxgbeNic::init() {
    mmio_ = fn_->bar0();
    if (mmio_.size() < 0x20000) {
        return make_error("{}: BAR 0 is {} bytes; an {} has 128 KiB of registers", address_,
                          mmio_.size(), model_.chip);
    }
    mask_interrupts();  // DS §4.6.3.1: interrupts off during initialization
    if (auto s = global_reset(); !s) return s;
    mask_interrupts();  // DS §4.6.3.1: and again after the reset
    if (auto s = wait_init_done(); !s) return s;
    dma_ready_ = true;
    // DS §4.6.3: tell the manageability firmware a driver is loaded.
    mmio_.set_bits(regs::CTRL_EXT, ctrl_ext::DRV_LOAD);
    link_setup();
    if (auto s = read_mac_address(); !s) return s;
    clear_filters();
    refresh_hw_stats();  // DS §4.6.5: the counters clear on read; start from zero
    hw_ = {};
    qhw_ = {};
    if (auto s = alloc_rings(); !s) return s;
    if (auto s = init_rx(); !s) return s;
    if (auto s = init_tx(); !s) return s;
    if (auto s = start_rx(); !s) return s;
    return wait_link();
}

// DS §4.6.3.1 (EIMC): mask every cause, the queue causes of EIMC_EX too; reading EICR clears
// what is pending. ixy writes 0x7FFFFFFF to EIMC (bit 31 is reserved).
void IxgbeNic::mask_interrupts() {
    mmio_.write32(regs::EIMC, 0x7FFFFFFF);
    mmio_.write32(regs::EIMC_EX(0), ~0u);
    mmio_.write32(regs::EIMC_EX(1), ~0u);
    (void)mmio_.read32(regs::EICR);
}

// DS §4.6.3.2 (global reset): master requests stopped first (CTRL.GIO_DIS, STATUS.GIO polled,
// bounded; a timeout is only logged, as Linux's ixgbe_disable_pcie_master does, and the reset
// follows anyway), then CTRL.RST | CTRL.LNK_RST, which clear themselves when the reset is done;
// then 10 ms (ixy) before the device is touched again.
Status IxgbeNic::global_reset() {
    mmio_.set_bits(regs::CTRL, ctrl::GIO_DIS);
    uint32_t st = 0;
    if (!mmio_.wait_clear(regs::STATUS, status::GIO, kMasterTimeout, &st)) {
        log::warn("{}: master requests still pending before the reset (STATUS={:#010x})", address_,
                  st);
    }
    mmio_.write32(regs::CTRL, mmio_.read32(regs::CTRL) | ctrl::RST_MASK);
    uint32_t ctrl_now = 0;
    if (!mmio_.wait_clear(regs::CTRL, ctrl::RST_MASK, kResetTimeout, &ctrl_now)) {
        return make_error(
            "{}: {} did not finish its reset (CTRL.RST|LNK_RST still set after {} ms): "
            "CTRL={:#010x} STATUS={:#010x}{}",
            address_, model_.chip, kResetTimeout.count() / 1000, ctrl_now,
            mmio_.read32(regs::STATUS), all_ones_hint(ctrl_now));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(kAfterReset.count()));
    return {};
}

// DS §4.6.3: wait for the EEPROM auto-read (EEC.ARD) and the DMA initialization cycle
// (RDRXCTL.DMAIDONE) before touching the receive and transmit registers.
Status IxgbeNic::wait_init_done() {
    uint32_t v = 0;
    if (!mmio_.wait_set(regs::EEC, eec::ARD, kInitDoneTimeout, &v)) {
        return make_error("{}: {} EEPROM auto-read not done after {} ms (EEC={:#010x})", address_,
                          model_.chip, kInitDoneTimeout.count() / 1000, v);
    }
    if (!mmio_.wait_set(regs::RDRXCTL, rdrxctl::DMAIDONE, kInitDoneTimeout, &v)) {
        return make_error("{}: {} DMA initialization not done after {} ms (RDRXCTL={:#010x})",
                          address_, model_.chip, kInitDoneTimeout.count() / 1000, v);
    }
    return {};
}

// DS §4.6.4 (link setup, AUTOC): SFP+ parts get LMS = 10 GbE serial with the parallel 10G
// PMA/PMD field cleared (what ixy does), backplane parts LMS = KX4/KX/KR autonegotiation, the
// rest keep what the NVM loaded; then AUTOC.RESTART_AN. Not handled: identifying the SFP+
// module over I2C, the NVM's SFP init sequence and AUTOC2's serial PMA/PMD choice (Linux's
// ixgbe_identify_sfp_module / ixgbe_setup_sfp_modules), the external PHY of the 10GBASE-T LOM.
// The link is awaited at the end of the bring-up (wait_link), as ixy does.
void IxgbeNic::link_setup() {
    uint32_t autoc = mmio_.read32(regs::AUTOC);
    switch (model_.link) {
        case LinkMode::serial_10g:
            autoc = (autoc & ~(autoc::LMS_MASK | autoc::PMA_PMD_10G_MASK)) | autoc::LMS_10G_SERIAL;
            break;
        case LinkMode::kx4_kx_kr:
            autoc = (autoc & ~autoc::LMS_MASK) | autoc::LMS_KX4_KX_KR;
            break;
        case LinkMode::from_nvm:
            break;
    }
    mmio_.write32(regs::AUTOC, autoc);
    mmio_.write32(regs::AUTOC, autoc | autoc::AN_RESTART);
}

// LINKS.UP within opts_.link_timeout, or one error with LINKS and AUTOC.
Status IxgbeNic::wait_link() {
    uint32_t l = 0;
    if (!mmio_.wait_set(regs::LINKS, links::UP, opts_.link_timeout, &l)) {
        return make_error(
            "{}: {} link still down after {} ms (LINKS={:#010x} AUTOC={:#010x}; an SFP+ module "
            "and a cable are needed, and the module's setup is not done by this driver)",
            address_, model_.chip, opts_.link_timeout.count() / 1000, l, mmio_.read32(regs::AUTOC));
    }
    log::info("{}: {} link up, {} Mbit/s", address_, model_.chip, speed_mbps(l));
    return {};
}

// DS §8.2.3.7.9-10 (RAL0/RAH0): the station address the NVM loaded at reset, valid with AV.
// The 82599 offers no EERD fallback here (the NVM word layout differs per board): no valid
// address is an error.
Status IxgbeNic::read_mac_address() {
    const uint32_t ral = mmio_.read32(regs::RAL0);
    const uint32_t rah = mmio_.read32(regs::RAH0);
    mac_ = MacAddr{{static_cast<uint8_t>(ral), static_cast<uint8_t>(ral >> 8),
                    static_cast<uint8_t>(ral >> 16), static_cast<uint8_t>(ral >> 24),
                    static_cast<uint8_t>(rah), static_cast<uint8_t>(rah >> 8)}};
    if ((rah & RAH_AV) == 0 || mac_.is_zero() || mac_.is_multicast()) {
        return make_error("{}: the {} holds no usable MAC address (RAL0={:#010x} RAH0={:#010x})",
                          address_, model_.chip, ral, rah);
    }
    return {};
}

// An empty multicast table and VLAN filter table (promiscuous mode takes everything).
void IxgbeNic::clear_filters() {
    for (uint32_t i = 0; i < 128; ++i) {
        mmio_.write32(regs::MTA + 4 * i, 0);
        mmio_.write32(regs::VFTA + 4 * i, 0);
    }
}

Status IxgbeNic::alloc_rings() {
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

// Sets a queue's enable bit (already written with its thresholds) and polls until the device
// reports it (DS §4.6.7/§4.6.8: the queue is enabled once RXDCTL/TXDCTL.ENABLE reads back set).
Status IxgbeNic::poll_enable(uint32_t dctl_reg, const char* what, uint16_t q) {
    mmio_.set_bits(dctl_reg, dctl::ENABLE);
    uint32_t v = 0;
    if (!mmio_.wait_set(dctl_reg, dctl::ENABLE, kQueueTimeout, &v)) {
        return make_error("{}: {} queue {} did not enable ({}XDCTL={:#010x})", address_, what, q,
                          what[0] == 'r' ? 'R' : 'T', v);
    }
    return {};
}

// DS §4.6.7 receive initialization, up to the queue enables (start_rx does those and RXEN).
Status IxgbeNic::init_rx() {
    // Receive off while it is configured.
    mmio_.clear_bits(regs::RXCTRL, rxctrl::RXEN);
    // No DCB or virtualization: one 128 KiB packet buffer (DS §4.6.11.3.4, ixy).
    mmio_.write32(regs::RXPBSIZE(0), RXPBSIZE_128KB);
    for (uint32_t i = 1; i < 8; ++i) mmio_.write32(regs::RXPBSIZE(i), 0);
    // CRC stripped, in both places the datasheet asks for (HLREG0 and RDRXCTL). RDRXCTL also
    // gets the bits the 82599 needs whatever RSC does (RSCFRSTSIZE 0, RSCACKC and FCOE_WRFIX
    // set), as Linux's ixgbe_setup_rdrxctl does for the 82599 ("hardware requires some bits to
    // be set by default"); ixy leaves them as reset.
    mmio_.set_bits(regs::HLREG0, hlreg0::RXCRCSTRP);
    mmio_.write32(regs::RDRXCTL, (mmio_.read32(regs::RDRXCTL) & ~rdrxctl::RSCFRSTSIZE) |
                                     rdrxctl::CRCSTRIP | rdrxctl::RSCACKC | rdrxctl::FCOE_WRFIX);
    // Broadcast accepted; UPE/MPE when promiscuous.
    uint32_t fctrl = mmio_.read32(regs::FCTRL) | fctrl::BAM;
    fctrl =
        opts_.promiscuous ? fctrl | fctrl::UPE | fctrl::MPE : fctrl & ~(fctrl::UPE | fctrl::MPE);
    mmio_.write32(regs::FCTRL, fctrl);
    // RXCSUM.PCSD: the RSS hash in the write-back instead of the packet checksum; the IPv4 and
    // TCP/UDP checks are reported in the status bits regardless (the 82599 has no IPOFLD/TUOFLD).
    mmio_.write32(regs::RXCSUM, rxcsum::PCSD);
    setup_rss();
    for (uint16_t q = 0; q < queues_; ++q) {
        RxQ& rq = rxq_[q];
        mmio_.clear_bits(regs::RXDCTL(q), dctl::ENABLE);
        uint32_t v = 0;
        if (!mmio_.wait_clear(regs::RXDCTL(q), dctl::ENABLE, kQueueTimeout, &v)) {
            return make_error("{}: receive queue {} did not stop (RXDCTL={:#010x})", address_, q,
                              v);
        }
        if (auto s = rq.start(&mmio_, regs::RDT(q), opts_.rx_checksum); !s) {
            return make_error("{}: {}", address_, s.error().message);
        }
        // DS §7.1.9 (receive ring): base, length, head and tail 0.
        const uint64_t base = rq.ring_iova();
        mmio_.write32(regs::RDBAL(q), static_cast<uint32_t>(base));
        mmio_.write32(regs::RDBAH(q), static_cast<uint32_t>(base >> 32));
        mmio_.write32(regs::RDLEN(q), rq.ring_bytes());
        mmio_.write32(regs::RDH(q), 0);
        mmio_.write32(regs::RDT(q), 0);
        // SRRCTL: advanced one-buffer descriptors, 2 KiB buffers, drop when the ring has no
        // free descriptor (one stalled queue does not hold up the packet buffer).
        static_assert(PacketBuf::kDataRoom == 2048, "SRRCTL.BSIZEPACKET counts KiB");
        uint32_t srr = mmio_.read32(regs::SRRCTL(q));
        srr &= ~(srrctl::DESCTYPE_MASK | srrctl::BSIZEPACKET_MASK);
        srr |= srrctl::DESCTYPE_ADV_ONEBUF | 2u | srrctl::DROP_EN;
        mmio_.write32(regs::SRRCTL(q), srr);
        // DS §4.6.7, last sentence: DCA_RXCTRL bit 12 (reserved, 1 after reset) must be 0.
        mmio_.clear_bits(regs::DCA_RXCTRL(q), dca_rxctrl::BIT12);
        // Per-queue statistics: queue q counted in counter q (QPRC/QPRDC q).
        const uint32_t shift = 8 * (q % 4);
        mmio_.write32(regs::RQSMR(q / 4), (mmio_.read32(regs::RQSMR(q / 4)) & ~(0xFFu << shift)) |
                                              uint32_t{q} << shift);
        // Prefetch, host and write-back thresholds: left at their reset values (ixy and Linux
        // leave RXDCTL's thresholds alone on the 82599).
    }
    // DS §4.6.7: CTRL_EXT.NS_DIS (no snoop disabled) before receive starts.
    mmio_.set_bits(regs::CTRL_EXT, ctrl_ext::NS_DIS);
    return {};
}

// DS §4.6.7, the end of the receive initialization: each queue enabled (polled), its tail
// bumped only then (the datasheet: RDT must not be bumped before the queue is enabled), and
// RXCTRL.RXEN last, inside the security block's halt (SECRXCTRL.RX_DIS, wait SECRXSTAT.
// SECRX_RDY, bounded and only logged as Linux's ixgbe does; RXEN; RX_DIS cleared).
Status IxgbeNic::start_rx() {
    for (uint16_t q = 0; q < queues_; ++q) {
        if (auto s = poll_enable(regs::RXDCTL(q), "receive", q); !s) return s;
        mmio_.write32(regs::RDT(q), rxq_[q].size() - 1);  // every descriptor but one to the NIC
    }
    mmio_.set_bits(regs::SECRXCTRL, secrxctrl::RX_DIS);
    uint32_t v = 0;
    if (!mmio_.wait_set(regs::SECRXSTAT, secrxstat::SECRX_RDY, kSecRxTimeout, &v)) {
        log::warn("{}: receive security block not ready after {} ms (SECRXSTAT={:#010x})", address_,
                  kSecRxTimeout.count() / 1000, v);
    }
    mmio_.set_bits(regs::RXCTRL, rxctrl::RXEN);
    mmio_.clear_bits(regs::SECRXCTRL, secrxctrl::RX_DIS);
    return {};
}

// DS §7.1.2.8 (RSS) and the MRQC, RETA and RSSRK registers: the 40-byte key (byte 0 in the low
// byte of RSSRK0), 128 entries of 4 bits in 32 registers (entry 0 in the low byte) spreading
// over the queues round-robin, and hashing of IPv4 addresses with TCP or UDP ports. With one
// queue, RSS still runs (the hash lands in every descriptor) and every entry is queue 0.
void IxgbeNic::setup_rss() {
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
    mmio_.write32(regs::MRQC, mrqc::RSSEN | mrqc::TCP_IPV4 | mrqc::IPV4 | mrqc::UDP_IPV4);
}

// DS §4.6.8 transmit initialization: CRC and padding by the MAC (HLREG0), one 40 KiB packet
// buffer and DTXMXSZRQ without DCB (DS §4.6.11.3.4, ixy), MTQC written with the descriptor
// arbiter disabled (RTTDCS.ARBDIS, as Linux's ixgbe_setup_mtqc does), each ring set up with its
// thresholds, DMATXCTL.TE, and only then each queue enabled and polled.
Status IxgbeNic::init_tx() {
    mmio_.set_bits(regs::HLREG0, hlreg0::TXCRCEN | hlreg0::TXPADEN);
    mmio_.write32(regs::TXPBSIZE(0), TXPBSIZE_40KB);
    for (uint32_t i = 1; i < 8; ++i) mmio_.write32(regs::TXPBSIZE(i), 0);
    mmio_.write32(regs::DTXMXSZRQ, 0xFFFF);
    mmio_.set_bits(regs::RTTDCS, rttdcs::ARBDIS);
    mmio_.write32(regs::MTQC, mtqc::Q64_1PB);
    mmio_.clear_bits(regs::RTTDCS, rttdcs::ARBDIS);
    for (uint16_t q = 0; q < queues_; ++q) {
        TxQ& tq = txq_[q];
        mmio_.clear_bits(regs::TXDCTL(q), dctl::ENABLE);
        TxQ::Config cfg;
        cfg.max_frame = kMaxFrame;
        cfg.offload = opts_.tx_checksum;
        cfg.split = 0;  // a real 82599 takes a buffer across a 4 KiB boundary
        tq.start(&mmio_, regs::TDT(q), &rxq_[q].pool(), cfg);
        // DS §7.2.9 (transmit ring): base, length, head and tail 0.
        const uint64_t base = tq.ring_iova();
        mmio_.write32(regs::TDBAL(q), static_cast<uint32_t>(base));
        mmio_.write32(regs::TDBAH(q), static_cast<uint32_t>(base >> 32));
        mmio_.write32(regs::TDLEN(q), tq.ring_bytes());
        mmio_.write32(regs::TDH(q), 0);
        mmio_.write32(regs::TDT(q), 0);
        // Thresholds: prefetch 32, host 1, write-back 0 (each RS descriptor written back at
        // once: the engine reaps by DD), as Linux's ixgbe_configure_tx_ring without ITR.
        uint32_t txdctl = mmio_.read32(regs::TXDCTL(q)) & ~(dctl::THRESH_MASK | dctl::ENABLE);
        txdctl |= 32u << dctl::PTHRESH_SHIFT | 1u << dctl::HTHRESH_SHIFT;
        mmio_.write32(regs::TXDCTL(q), txdctl);
        // Per-queue statistics: queue q counted in QPTC q.
        const uint32_t shift = 8 * (q % 4);
        mmio_.write32(regs::TQSM(q / 4),
                      (mmio_.read32(regs::TQSM(q / 4)) & ~(0xFFu << shift)) | uint32_t{q} << shift);
    }
    mmio_.set_bits(regs::DMATXCTL, dmatxctl::TE);
    for (uint16_t q = 0; q < queues_; ++q) {
        if (auto s = poll_enable(regs::TXDCTL(q), "transmit", q); !s) return s;
    }
    return {};
}

LinkStatus IxgbeNic::link() {
    if (!mmio_.mapped() || health_.gone()) return {};
    const uint32_t l = mmio_.read32(regs::LINKS);
    if (health_.check(l, "LINKS", name()) || (l & links::UP) == 0) return {};
    return {true, speed_mbps(l)};
}

NicHealth IxgbeNic::health() {
    if (!health_.gone() && mmio_.mapped()) {
        health_.check(mmio_.read32(regs::STATUS), "STATUS", name());
    }
    if (health_.ok() && fn_->release_requested()) health_.request_release(name());
    return health_.state();
}

NicCaps IxgbeNic::caps() const {
    NicCaps c;
    c.rx_ip_csum = c.rx_l4_csum = opts_.rx_checksum;
    c.tx_ip_csum = c.tx_l4_csum = opts_.tx_checksum;
    return c;
}

void IxgbeNic::set_promiscuous(bool on) {
    opts_.promiscuous = on;
    if (!mmio_.mapped() || health_.gone()) return;
    if (on) {
        mmio_.set_bits(regs::FCTRL, fctrl::UPE | fctrl::MPE);
    } else {
        mmio_.clear_bits(regs::FCTRL, fctrl::UPE | fctrl::MPE);
    }
}

size_t IxgbeNic::rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept {
    if (queue >= queues_ || !rxq_[queue].ready() || health_.gone()) return 0;
    const size_t n = rxq_[queue].rx_burst(bufs);
    // Only queue 0's caller refreshes the 32-bit registers (see IgbNic::rx_batch).
    if (queue == 0 && --stats_countdown_ == 0) {
        stats_countdown_ = kStatsEvery;
        refresh_hw_stats();
    }
    return n;
}

size_t IxgbeNic::tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept {
    if (queue >= queues_ || !txq_[queue].ready() || health_.gone()) return 0;
    return txq_[queue].tx_burst(bufs);
}

// DS §4.6.5 and §8.2.3.23: the statistics clear on read (octets: low half, then high).
// A device that is gone reads all ones everywhere: STATUS is read before and after, and the
// values are kept only if the device answered both times (no 0xffffffff "counts").
void IxgbeNic::refresh_hw_stats() noexcept {
    if (!mmio_.mapped() || health_.gone()) return;
    if (health_.check(mmio_.read32(regs::STATUS), "STATUS", name())) return;
    const HwStats before = hw_;
    const auto queues_before = qhw_;
    auto& s = stat_regs_;
    auto octets = [this](uint32_t low, uint32_t high) {
        const uint32_t l = mmio_.read32(low);
        return uint64_t{mmio_.read32(high) & 0xF} << 32 | l;  // 36-bit counters
    };
    hw_.gprc += s.gprc.take(mmio_, regs::GPRC);
    hw_.gptc += s.gptc.take(mmio_, regs::GPTC);
    hw_.gorc += octets(regs::GORCL, regs::GORCH);
    hw_.gotc += octets(regs::GOTCL, regs::GOTCH);
    for (uint32_t i = 0; i < 8; ++i) hw_.mpc += s.mpc[i].take(mmio_, regs::MPC(i));
    hw_.crcerrs += s.crcerrs.take(mmio_, regs::CRCERRS);
    hw_.illerrc += s.illerrc.take(mmio_, regs::ILLERRC);
    hw_.errbc += s.errbc.take(mmio_, regs::ERRBC);
    hw_.rlec += s.rlec.take(mmio_, regs::RLEC);
    for (uint16_t q = 0; q < queues_; ++q) {
        qhw_[q].rx_packets += s.qprc[q].take(mmio_, regs::QPRC(q));
        qhw_[q].tx_packets += s.qptc[q].take(mmio_, regs::QPTC(q));
        qhw_[q].rx_dropped += s.qprdc[q].take(mmio_, regs::QPRDC(q));
    }
    if (health_.check(mmio_.read32(regs::STATUS), "STATUS", name())) {
        hw_ = before;
        qhw_ = queues_before;
    }
}

const HwStats& IxgbeNic::hw_stats() {
    refresh_hw_stats();
    return hw_;
}

QueueHwStats IxgbeNic::queue_hw_stats(uint16_t queue) {
    refresh_hw_stats();
    return queue < queues_ ? qhw_[queue] : QueueHwStats{};
}

NicCounters IxgbeNic::counters() {
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
        queue_drops += qhw_[q].rx_dropped;
        const TxQueueStats& t = txq_[q].stats();
        c.tx_packets += t.packets;
        c.tx_bytes += t.bytes;
        c.tx_dropped += t.dropped;
        c.tx_doorbells += t.doorbells;
        c.tx_status_reports += t.status_reports;
    }
    c.rx_dropped = rx_no_buffer + hw_.mpc + queue_drops;
    c.rx_errors = rx_soft_errors + hw_.crcerrs + hw_.illerrc + hw_.errbc + hw_.rlec;
    return c;
}

QueueCounters IxgbeNic::queue_counters(uint16_t queue) {
    if (queue >= queues_) return {};
    refresh_hw_stats();
    const RxQueueStats& r = rxq_[queue].stats();
    const TxQueueStats& t = txq_[queue].stats();
    return {r.packets, r.bytes, r.no_buffer + qhw_[queue].rx_dropped,
            t.packets, t.bytes, t.dropped};
}

}  // namespace shunt::ixgbe
