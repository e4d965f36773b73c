// Bring-up and control of the 8254x/82574 NICs. Sections cited are from the 8254x SDM rev 4.0
// ("SDM") and the 82574 datasheet rev 3.4 ("DS"); the order below is SDM §14.3-14.5 and
// DS §4.6: interrupts off, reset, interrupts off again, link, address filters, statistics,
// receive, transmit, interrupts on.
#include "driver/e1000/e1000_nic.hpp"

#include "base/log.hpp"
#include "driver/e1000/bits.hpp"
#include "driver/e1000/regs.hpp"
#include "packet/packet_buf.hpp"

#include <cstring>
#include <thread>

namespace shunt::e1000 {

namespace {

constexpr Duration kResetTimeout = Duration(500'000);
// An EEPROM word read finishes in microseconds on the chip, but the budget is Linux's
// (e1000e_poll_eerd_eewr_done: 100000 polls 5 us apart, 500 ms): a 10 ms bound failed on a loaded
// host when the thread answering for the device was not scheduled in time.
constexpr Duration kEerdTimeout = Duration(500'000);

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

const Model* find_model(uint16_t vendor_id, uint16_t device_id) {
    if (vendor_id != kIntelVendorId) return nullptr;
    for (auto table : {models_8254x(), models_82574()}) {
        for (const Model& m : table) {
            if (m.device_id == device_id) return &m;
        }
    }
    return nullptr;
}

E1000Nic::E1000Nic(std::unique_ptr<PciFunction> function, const Model& model,
                   const PciNicOptions& options)
    : fn_(std::move(function)), model_(model), opts_(options), address_(fn_->address()) {}

Result<std::unique_ptr<E1000Nic>> E1000Nic::create(std::unique_ptr<PciFunction> function,
                                                   const Model& model,
                                                   const PciNicOptions& options) {
    if (!valid_ring_size(options.rx_ring) || !valid_ring_size(options.tx_ring)) {
        return make_error("{}: ring sizes must be powers of two from {} to {} (got rx {}, tx {})",
                          function->address(), kMinRing, kMaxRing, options.rx_ring,
                          options.tx_ring);
    }
    if (options.queues != kQueues) {
        return make_error("{}: the {} has one queue pair (asked for {})", function->address(),
                          model.chip, options.queues);
    }
    if (options.pool_buffers < options.rx_ring + 64) {
        return make_error(
            "{}: {} packet buffers cannot fill an RX ring of {} and leave room to "
            "send; use at least {}",
            function->address(), options.pool_buffers, options.rx_ring, options.rx_ring + 64);
    }
    std::unique_ptr<E1000Nic> nic(new E1000Nic(std::move(function), model, options));
    if (auto s = nic->init(); !s) {
        nic->shutdown();
        return s.error();
    }
    return nic;
}

E1000Nic::~E1000Nic() {
    shutdown();
}

// Stops all DMA before the rings and buffers can go away (with no IOMMU a late write would
// land in memory that is no longer ours), then hands the buffers back to the pool. The order:
// the queues off (RCTL/TCTL), bus mastering off at the PCI level (so nothing the device still
// does can reach memory, whatever its reset does), the reset (checked: a reset that does not
// complete is logged, and bus mastering is already off), and in no-IOMMU mode the device closed
// before any buffer goes back. The ring and pool memory itself is freed only when the queues
// are destroyed, after this. A device that is gone gets no register access at all.
void E1000Nic::shutdown() noexcept {
    if (stopped_) return;
    stopped_ = true;
    const bool present = mmio_.mapped() && !health_.gone();
    // Let frames already handed to the NIC go out (bounded): a sender may close right after
    // its last tx_batch.
    const Instant drain_until = Instant::now() + Duration(200'000);
    for (TxQ& q : txq_) {
        while (present && q.ready() && !q.idle() && Instant::now() < drain_until) {
            q.clean();
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    }
    if (present) {
        mmio_.write32(regs::IMC, icr::ALL);
        mmio_.write32(regs::RCTL, 0);
        mmio_.write32(regs::TCTL, 0);
    }
    if (auto s = fn_->disable_bus_master(); !s) {
        log::warn("{}: clearing bus mastering at stop: {}", address_, s.error().message);
    }
    if (present) {
        mmio_.write32(regs::CTRL, mmio_.read32(regs::CTRL) | ctrl::RST);
        std::this_thread::sleep_for(std::chrono::microseconds(10));  // SDM: wait before access
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
    if (irq_.fd >= 0) {
        fn_->disable_interrupt();
        irq_ = {};
    }
    if (!fn_->iommu()) fn_->close();
    for (TxQ& q : txq_) q.release();
    for (RxQ& q : rxq_) q.release();
}

Status E1000Nic::init() {
    mmio_ = fn_->bar0();
    if (mmio_.size() < 0x10000) {
        return make_error("{}: BAR 0 is {} bytes; an {} needs 128 KiB of registers", address_,
                          mmio_.size(), model_.chip);
    }
    mask_interrupts();  // SDM §14.3 / DS §4.6.1: no interrupts during initialization
    if (auto s = global_reset(); !s) return s;
    mask_interrupts();  // DS §4.6.1: mask again, the reset may have left causes pending
    if (model_.after_reset != nullptr) {
        if (auto s = model_.after_reset(mmio_); !s) {
            return make_error("{}: {}", address_, s.error().message);
        }
    }
    if (auto s = link_setup(); !s) return s;
    if (auto s = read_mac_address(); !s) return s;
    clear_multicast_table();
    refresh_hw_stats();  // SDM §14.8: start from zero (they are clear-on-read)
    hw_ = {};
    if (model_.before_rings != nullptr) model_.before_rings(mmio_);
    if (auto s = alloc_rings(); !s) return s;
    if (auto s = init_rx(); !s) return s;
    init_tx();
    if (opts_.interrupts) {
        if (auto s = init_interrupts(); !s) return s;
    }
    return {};
}

// SDM §14.3, DS §4.6.1: mask every cause (IMC) and clear what is pending (reading ICR).
void E1000Nic::mask_interrupts() {
    mmio_.write32(regs::IMC, icr::ALL);
    (void)mmio_.read32(regs::ICR);
}

// SDM §14.3 (CTRL.RST), DS §4.6.2: global reset; the bit clears itself when the reset is done.
Status E1000Nic::global_reset() {
    mmio_.write32(regs::RCTL, 0);  // quiesce DMA first (SDM §14.7)
    mmio_.write32(regs::TCTL, 0);
    mmio_.write32(regs::CTRL, mmio_.read32(regs::CTRL) | ctrl::RST);
    std::this_thread::sleep_for(std::chrono::microseconds(10));  // SDM: wait before access
    uint32_t ctrl_now = 0;
    if (!mmio_.wait_clear(regs::CTRL, ctrl::RST, kResetTimeout, &ctrl_now)) {
        return make_error(
            "{}: {} did not finish its reset (CTRL.RST still set after {} ms): "
            "CTRL={:#010x} STATUS={:#010x}{}",
            address_, model_.chip, kResetTimeout.count() / 1000, ctrl_now,
            mmio_.read32(regs::STATUS), all_ones_hint(ctrl_now));
    }
    return {};
}

// SDM §14.3 General Configuration and §14.6 link setup, DS §4.6.3 (internal copper PHY):
// auto-speed detection and Set Link Up; no forced speed or duplex, no loss-of-signal inversion,
// no flow control (FCAL/FCAH/FCT/FCTTV zero), no VLAN mode. Then wait for STATUS.LU.
Status E1000Nic::link_setup() {
    uint32_t c = mmio_.read32(regs::CTRL);
    c |= ctrl::SLU | ctrl::ASDE;
    c &= ~(ctrl::LRST | ctrl::PHY_RST | ctrl::ILOS | ctrl::FRCSPD | ctrl::FRCDPX | ctrl::VME);
    mmio_.write32(regs::CTRL, c);
    mmio_.write32(regs::FCAL, 0);
    mmio_.write32(regs::FCAH, 0);
    mmio_.write32(regs::FCT, 0);
    mmio_.write32(regs::FCTTV, 0);
    uint32_t st = 0;
    if (mmio_.wait_set(regs::STATUS, status::LU, opts_.link_timeout, &st)) {
        log::info("{}: {} link up, {} Mbit/s {} duplex", address_, model_.chip, speed_mbps(st),
                  (st & status::FD) != 0 ? "full" : "half");
    } else {
        // Not fatal: the link may come up later (cable, peer); link() reports it.
        log::warn("{}: {} link still down after {} ms (STATUS={:#010x}, CTRL={:#010x})", address_,
                  model_.chip, opts_.link_timeout.count() / 1000, st, mmio_.read32(regs::CTRL));
    }
    return {};
}

// SDM §13.5.2-3: RAL0/RAH0 hold the station address, loaded from the EEPROM at reset. If they
// are not valid, read EEPROM words 0-2 (SDM §5.6.1 Ethernet Address) through EERD (§13.4.4).
Status E1000Nic::read_mac_address() {
    uint32_t ral = mmio_.read32(regs::RAL0);
    uint32_t rah = mmio_.read32(regs::RAH0);
    const bool valid = (rah & rah::AV) != 0 && (ral != 0 || (rah & 0xFFFF) != 0);
    if (!valid) {
        if (!model_.has_eerd) {
            return make_error(
                "{}: RAL0/RAH0 hold no address (RAH0={:#010x}) and the {} has no "
                "EERD register to read the EEPROM",
                address_, rah, model_.chip);
        }
        uint16_t w[3] = {};
        for (uint8_t i = 0; i < 3; ++i) {
            auto word = read_eeprom(i);
            if (!word) return word.error();
            w[i] = *word;
        }
        ral = uint32_t{w[0]} | uint32_t{w[1]} << 16;
        rah = w[2];
        log::info("{}: station address read from the EEPROM (RAL0/RAH0 were not valid)", address_);
    }
    for (size_t i = 0; i < 4; ++i) mac_.bytes[i] = static_cast<uint8_t>(ral >> (8 * i));
    mac_.bytes[4] = static_cast<uint8_t>(rah);
    mac_.bytes[5] = static_cast<uint8_t>(rah >> 8);
    if (mac_.is_zero() || mac_.is_multicast()) {
        return make_error("{}: the NIC reports an unusable MAC address {}", address_,
                          mac_.to_string());
    }
    // Write it back marked valid, low register first (SDM §13.5.3 note).
    mmio_.write32(regs::RAL0, ral);
    mmio_.write32(regs::RAH0, (rah & 0xFFFF) | rah::AV);
    log::info("{}: MAC {}", address_, mac_.to_string());
    return {};
}

Result<uint16_t> E1000Nic::read_eeprom(uint8_t word) {
    const EerdLayout& e = model_.eerd;
    mmio_.write32(regs::EERD, e.start | uint32_t{word} << e.addr_shift);
    uint32_t v = 0;
    if (!mmio_.wait_set(regs::EERD, e.done, kEerdTimeout, &v)) {
        return make_error("{}: EEPROM read of word {} timed out (EERD={:#010x})", address_, word,
                          v);
    }
    return static_cast<uint16_t>(v >> e.data_shift);
}

// SDM §14.4: the multicast table array starts zeroed (no hashed multicast addresses).
void E1000Nic::clear_multicast_table() {
    for (uint32_t i = 0; i < regs::MTA_COUNT; ++i) mmio_.write32(regs::MTA + 4 * i, 0);
}

// Both rings in one DMA region, RX first; each must be contiguous for the device.
Status E1000Nic::alloc_rings() {
    // One ring per queue, each in its own DMA memory, and one packet pool per queue pair (on
    // the same provider), so a shard owns everything its queue touches.
    for (uint16_t q = 0; q < kQueues; ++q) {
        const std::string name = address_ + (kQueues > 1 ? "-" + std::to_string(q) : "");
        if (auto s = rxq_[q].create(fn_->dma(), opts_.rx_ring, opts_.pool_buffers, name); !s) {
            return make_error("{}: {}", address_, s.error().message);
        }
        if (auto s = txq_[q].create(fn_->dma(), opts_.tx_ring, name); !s) {
            return make_error("{}: {}", address_, s.error().message);
        }
    }
    return {};
}

// SDM §14.4 (DS §4.6.5): receive initialization.
Status E1000Nic::init_rx() {
    RxQ& q = rxq_[0];
    if (auto s = q.start(&mmio_, regs::RDT, opts_.rx_checksum); !s) {
        return make_error("{}: {}", address_, s.error().message);
    }
    const uint64_t base = q.ring_iova();
    mmio_.write32(regs::RDBAL, static_cast<uint32_t>(base));
    mmio_.write32(regs::RDBAH, static_cast<uint32_t>(base >> 32));
    mmio_.write32(regs::RDLEN, q.ring_bytes());
    mmio_.write32(regs::RDH, 0);
    // Every descriptor but one belongs to the NIC (RDT one behind RDH: SDM §3.2.6).
    mmio_.write32(regs::RDT, q.size() - 1);
    // No receive delay timers: ITR alone paces interrupts (SDM §13.4.30-31 recommend ITR).
    mmio_.write32(regs::RDTR, 0);
    mmio_.write32(regs::RADV, 0);
    // SDM §13.4.47: IPv4 and TCP/UDP checksum results in the descriptor.
    mmio_.write32(regs::RXCSUM, opts_.rx_checksum ? rxcsum::IPOFL | rxcsum::TUOFL : 0);
    // RCTL last: broadcast accepted, CRC stripped, 2 KiB buffers (BSIZE 00, BSEX 0), no long
    // packets, no loopback, descriptor minimum threshold at half the ring, then enable.
    rctl_ = rctl::EN | rctl::BAM | rctl::SECRC | rctl::BSIZE_2048 | rctl::RDMTS_HALF;
    if (opts_.promiscuous) rctl_ |= rctl::UPE | rctl::MPE;
    mmio_.write32(regs::RCTL, rctl_);
    return {};
}

// SDM §14.5 Transmit Initialization (DS §4.6.6).
void E1000Nic::init_tx() {
    TxQ& q = txq_[0];
    TxQ::Config cfg;
    cfg.max_frame = kMaxFrame;
    cfg.offload = opts_.tx_checksum;
    cfg.split = kTxPage;
    q.start(&mmio_, regs::TDT, &rxq_[0].pool(), cfg);
    const uint64_t base = q.ring_iova();
    mmio_.write32(regs::TDBAL, static_cast<uint32_t>(base));
    mmio_.write32(regs::TDBAH, static_cast<uint32_t>(base >> 32));
    mmio_.write32(regs::TDLEN, q.ring_bytes());
    mmio_.write32(regs::TDH, 0);
    mmio_.write32(regs::TDT, 0);
    mmio_.write32(regs::TIDV, 0);
    mmio_.write32(regs::TIPG, model_.tipg);  // SDM §13.4.34
    // SDM §13.4.33: enable, pad short packets, collision threshold 0Fh, full-duplex
    // collision distance 40h.
    mmio_.write32(regs::TCTL, tctl::EN | tctl::PSP | tctl::CT_RECOMMENDED << tctl::CT_SHIFT |
                                  tctl::COLD_FULL_DUPLEX << tctl::COLD_SHIFT);
}

// The interrupt kind to use: the best that both the chip and the function offer (MSI-X, then
// MSI, then INTx), or exactly the one the options ask for.
Result<IrqKind> E1000Nic::choose_irq_kind() const {
    auto offered = [this](IrqKind k) {
        const bool chip = k == IrqKind::msix  ? model_.has_msix
                          : k == IrqKind::msi ? model_.has_msi
                                              : true;
        return chip && fn_->irq_vectors(k) > 0;
    };
    IrqKind want = IrqKind::intx;
    switch (opts_.irq_mode) {
        case IrqMode::best:
            for (IrqKind k : {IrqKind::msix, IrqKind::msi, IrqKind::intx}) {
                if (offered(k)) return k;
            }
            return make_error("{}: the {} offers no interrupt at all (no MSI-X, MSI or INTx pin)",
                              address_, model_.chip);
        case IrqMode::msix:
            want = IrqKind::msix;
            break;
        case IrqMode::msi:
            want = IrqKind::msi;
            break;
        case IrqMode::intx:
            break;
    }
    if (!offered(want)) {
        return make_error("{}: {} interrupts were asked for, but this {} does not offer them",
                          address_, to_string(want), model_.chip);
    }
    return want;
}

// SDM §13.4.18/§13.4.20, DS §10.2.4: one vector for the receive causes and link changes, paced
// by ITR (EITR in MSI-X mode). Transmit completions are reaped in tx_batch, so they need none.
Status E1000Nic::init_interrupts() {
    auto kind = choose_irq_kind();
    if (!kind) return kind.error();
    auto irq = fn_->enable_interrupt(*kind);
    if (!irq) return make_error("{}: interrupts: {}", address_, irq.error().message);
    irq_ = *irq;
    // ITR and EITR count 256 ns units.
    const uint64_t itr = uint64_t{opts_.itr_interval_us} * 1000 / 256;
    const auto itr_reg = static_cast<uint32_t>(std::min<uint64_t>(itr, 0xFFFF));
    (void)mmio_.read32(regs::ICR);
    if (irq_.kind == IrqKind::msix) {
        // DS §7.4.2, §10.2.4 IVAR: receive queue 0 and the "other" causes (link changes, overruns)
        // both go to vector 0, the only one enabled; the queue-1 and transmit entries stay
        // invalid. No auto-clear (EIAC 0) and no auto-mask (IAME, EIAME off): a cause stays set
        // until rearm_interrupt writes it back, exactly as in MSI mode. PBA_Support is required
        // whenever MSI-X is in use.
        mmio_.write32(regs::IVAR, (ivar::VALID | 0u) << ivar::RXQ0_SHIFT |
                                      (ivar::VALID | 0u) << ivar::OTHER_SHIFT);
        mmio_.write32(regs::EIAC, 0);
        const uint32_t ext = mmio_.read32(regs::CTRL_EXT);
        mmio_.write32(regs::CTRL_EXT,
                      (ext & ~(ctrl_ext::IAME | ctrl_ext::EIAME)) | ctrl_ext::PBA_SUPPORT);
        mmio_.write32(regs::EITR(0), itr_reg);
        mmio_.write32(regs::IMS, icr::RXQ0 | icr::OTHER | icr::LSC | icr::RXO);
    } else {
        mmio_.write32(regs::ITR, itr_reg);
        mmio_.write32(regs::IMS, icr::RXT0 | icr::RXDMT0 | icr::RXO | icr::LSC);
    }
    log::info("{}: interrupts on ({}, throttled to one per {} us)", address_, to_string(irq_.kind),
              opts_.itr_interval_us);
    return {};
}

LinkStatus E1000Nic::link() {
    if (!mmio_.mapped() || health_.gone()) return {};
    const uint32_t st = mmio_.read32(regs::STATUS);
    if (health_.check(st, "STATUS", name()) || (st & status::LU) == 0) return {};
    return {true, speed_mbps(st)};
}

NicHealth E1000Nic::health() {
    if (!health_.gone() && mmio_.mapped()) {
        health_.check(mmio_.read32(regs::STATUS), "STATUS", name());
    }
    if (health_.ok() && fn_->release_requested()) health_.request_release(name());
    return health_.state();
}

NicCaps E1000Nic::caps() const {
    NicCaps c;
    c.rx_ip_csum = c.rx_l4_csum = opts_.rx_checksum;
    c.tx_ip_csum = c.tx_l4_csum = opts_.tx_checksum;
    return c;
}

int E1000Nic::wait_fd(uint16_t queue) const {
    return queue == 0 ? irq_.fd : -1;
}

void E1000Nic::set_promiscuous(bool on) {
    opts_.promiscuous = on;
    rctl_ = on ? rctl_ | rctl::UPE | rctl::MPE : rctl_ & ~(rctl::UPE | rctl::MPE);
    if (mmio_.mapped() && !health_.gone()) mmio_.write32(regs::RCTL, rctl_);
}

// SDM §13.7: every register below clears when read; the octet pairs clear on the high read.
// QEMU 7.2 sets GPRC/GPTC/GORC/GOTC to copies of TPR/TPT/TOR/TOT after each frame, so the totals
// are read (and cleared) as well to keep the copies meaningful.
// A device that is gone reads all ones everywhere: STATUS is read before and after, and the
// values are kept only if the device answered both times (no 0xffffffff "counts").
void E1000Nic::refresh_hw_stats() noexcept {
    if (!mmio_.mapped() || health_.gone()) return;
    if (health_.check(mmio_.read32(regs::STATUS), "STATUS", name())) return;
    auto& s = stat_regs_;
    auto octets = [this](uint32_t low, uint32_t high) {
        const uint32_t l = mmio_.read32(low);
        return uint64_t{mmio_.read32(high)} << 32 | l;
    };
    const HwStats before = hw_;
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
    if (health_.check(mmio_.read32(regs::STATUS), "STATUS", name())) hw_ = before;
}

const HwStats& E1000Nic::hw_stats() {
    refresh_hw_stats();
    return hw_;
}

// Packets and bytes are counted by the fast path (exact, without FCS, like the TAP backend);
// drops and errors come from the hardware statistics plus what software discarded.
NicCounters E1000Nic::counters() {
    refresh_hw_stats();
    NicCounters c;
    uint64_t rx_soft_errors = 0, rx_no_buffer = 0;
    for (const RxQ& q : rxq_) {
        c.rx_packets += q.stats().packets;
        c.rx_bytes += q.stats().bytes;
        c.rx_doorbells += q.stats().doorbells;
        rx_soft_errors += q.stats().errors;
        rx_no_buffer += q.stats().no_buffer;
    }
    for (const TxQ& q : txq_) {
        c.tx_packets += q.stats().packets;
        c.tx_bytes += q.stats().bytes;
        c.tx_dropped += q.stats().dropped;
        c.tx_doorbells += q.stats().doorbells;
        c.tx_status_reports += q.stats().status_reports;
    }
    c.rx_dropped = rx_no_buffer + hw_.mpc;
    c.rx_errors = rx_soft_errors + hw_.crcerrs + hw_.algnerrc + hw_.rxerrc + hw_.rlec;
    c.tx_errors = hw_.ecol + hw_.latecol;
    return c;
}

}  // namespace shunt::e1000
