// A register-level fake of the Intel 82599 for the ixgbe driver's tests. No emulator of the
// 82599 exists, so this plays the device from the datasheet (82599 DS §4.6 initialization,
// §7.1/§7.2 rings): it sees every register access in program order (through Mmio's hook), keeps
// the registers, and
//   * behaves like the device where the bring-up waits: CTRL.RST|LNK_RST clear themselves after
//     a few reads of CTRL, then EEC.ARD and RDRXCTL.DMAIDONE are set; RXDCTL/TXDCTL.ENABLE read
//     back set a few reads after they are written; LINKS.UP comes a few reads after
//     AUTOC.RESTART_AN; SECRXSTAT.SECRX_RDY follows SECRXCTRL.RX_DIS; the statistics clear on
//     read. Each of these can be told never to happen (a negative count, or false).
//   * enforces the datasheet's ordering rules, recording each breach as a sentence in
//     violations() (the driver under test is not stopped; the test asserts the list is empty):
//       - no register but CTRL/EIMC written while the reset runs;
//       - no receive/transmit register written before EEC.ARD and RDRXCTL.DMAIDONE were read
//         set after the reset (DS §4.6.3);
//       - RXDCTL.ENABLE only after the queue's RDBAL, RDBAH and RDLEN (DS §4.6.7);
//       - a queue's ring registers not changed while it is enabled;
//       - RDT not bumped before the queue reads back enabled (DS §4.6.7 note);
//       - RXCTRL.RXEN only after every queue whose ring was set up is enabled (DS §4.6.7);
//       - MTQC written only with RTTDCS.ARBDIS set (DS §4.6.8 / §4.6.11.3.4);
//       - TXDCTL.ENABLE only after DMATXCTL.TE and the queue's TDBAL, TDBAH, TDLEN (DS §4.6.8);
//       - TDT not bumped on a disabled queue;
//       - no register written once the device is gone (vanish(): every read returns all ones,
//         as from a removed PCIe function), and no DMA (a frame delivered or fetched) once bus
//         mastering is off.
//   * plays the device's side of the rings: deliver() writes a frame into the next receive
//     descriptor (advanced write-back: DD, EOP, length, RSS type and hash when RSS is on) and
//     picks the queue from RETA when asked to; a TDT write makes it fetch the descriptors up to
//     the tail, gather each frame's bytes, keep the context descriptor, write DD back where RS
//     asked for it, and count the frame in QPTC/GPTC.
// DMA addresses are this process's virtual addresses (the tests' MemfdProvider maps IOVA = VA).
#pragma once

#include "driver/intel/adv_format.hpp"
#include "driver/ixgbe/regs.hpp"
#include "driver/mmio.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace shunt::test {

class IxgbeFake final : public MmioHook {
  public:
    static constexpr size_t kBarBytes = 128 * 1024;
    static constexpr uint32_t kQueues = 16;

    // Knobs (set before the driver starts). A negative count: never.
    int reset_reads = 3;         // reads of CTRL until the reset bits clear
    bool auto_read_done = true;  // EEC.ARD set when the reset completes
    bool dma_init_done = true;   // RDRXCTL.DMAIDONE set when the reset completes
    int enable_reads = 2;        // reads of RXDCTL/TXDCTL until ENABLE reads back
    int link_reads = 2;          // reads of LINKS after AUTOC.RESTART_AN until LINKS.UP
    uint32_t link_speed = ixgbe::links::SPEED_10G;
    // What the NVM loads at every reset.
    uint32_t nvm_ral0 = 0x12005452;  // 52:54:00:12:34:56
    uint32_t nvm_rah0 = 0x5634 | ixgbe::RAH_AV;
    uint32_t nvm_autoc = ixgbe::autoc::LMS_KX4_KX_KR | 1u << 7;  // KX4 AN, PMA/PMD bits set

    IxgbeFake() : regs_(kBarBytes / 4, 0) {
        load_reset_values();
        // What a previous user left behind: receive and transmit running on queue 0.
        set(ixgbe::regs::RXCTRL, ixgbe::rxctrl::RXEN);
        set(ixgbe::regs::RXDCTL(0), ixgbe::dctl::ENABLE);
        set(ixgbe::regs::TXDCTL(0), ixgbe::dctl::ENABLE);
        set(ixgbe::regs::DMATXCTL, ixgbe::dmatxctl::TE);
        rxq_[0].enabled = txq_[0].enabled = true;
    }

    Mmio mmio() { return Mmio(static_cast<MmioHook*>(this), kBarBytes); }

    // Surprise removal: from the `after`-th read on (0: the next one), every read returns all
    // ones and every write is a violation.
    void vanish(int after = 0) { vanish_in_ = after; }
    bool gone() const { return vanish_in_ == 0; }
    // The function's side (PciFunction::disable_bus_master): recorded in events().
    void bus_master_off() {
        bus_master_ = false;
        events_.push_back("bus master off");
    }
    bool bus_master() const { return bus_master_; }
    // "bus master off" and "reset" (CTRL.RST written) in program order.
    const std::vector<std::string>& events() const { return events_; }
    int reads() const { return reads_; }

    // Register value without side effects (no clear-on-read, no countdown).
    uint32_t peek(uint32_t off) const { return regs_[off / 4]; }
    void set(uint32_t off, uint32_t v) { regs_[off / 4] = v; }
    const std::vector<std::string>& violations() const { return violations_; }
    bool violated(const std::string& part) const {
        for (const auto& v : violations_) {
            if (v.find(part) != std::string::npos) return true;
        }
        return false;
    }
    int resets() const { return resets_; }
    int an_restarts() const { return an_restarts_; }
    bool master_disabled_at_reset() const { return master_disabled_at_reset_; }
    // The AUTOC value written together with RESTART_AN (the bit itself removed).
    uint32_t autoc_at_restart() const { return autoc_at_restart_; }

    uint32_t read32(uint32_t off) noexcept override {
        using namespace ixgbe;
        ++reads_;
        if (vanish_in_ > 0) --vanish_in_;
        if (vanish_in_ == 0 || off >= kBarBytes) return ~0u;
        uint32_t& r = regs_[off / 4];
        if (off == regs::CTRL && resetting_ && reset_reads >= 0 && ++reset_seen_ >= reset_reads) {
            finish_reset();
        }
        if (off == regs::EEC && (r & eec::ARD) != 0 && !resetting_) saw_ard_ = true;
        if (off == regs::RDRXCTL && (r & rdrxctl::DMAIDONE) != 0 && !resetting_) saw_dma_ = true;
        if (off == regs::LINKS && link_pending_ && link_reads >= 0 && ++link_seen_ >= link_reads) {
            link_pending_ = false;
            r = links::UP | link_speed;
        }
        for (uint32_t q = 0; q < kQueues; ++q) {
            if (off == regs::RXDCTL(q)) tick_enable(rxq_[q], r);
            if (off == regs::TXDCTL(q)) tick_enable(txq_[q], r);
        }
        const uint32_t v = r;
        if (clears_on_read(off)) r = 0;
        return v;
    }

    void write32(uint32_t off, uint32_t v) noexcept override {
        using namespace ixgbe;
        if (off >= kBarBytes) {
            violation(fmt::format("write outside the BAR at {:#x}", off));
            return;
        }
        if (vanish_in_ == 0) {
            violation(fmt::format("register {:#07x} written after the device was gone", off));
            return;
        }
        if (resetting_ && off != regs::CTRL && off != regs::EIMC && off != regs::EIMC_EX(0) &&
            off != regs::EIMC_EX(1)) {
            violation(fmt::format("register {:#07x} written while the reset runs", off));
        }
        if (is_rx_tx_reg(off) && !(saw_ard_ && saw_dma_)) {
            violation(fmt::format(
                "register {:#07x} written before EEC.ARD and RDRXCTL.DMAIDONE were seen", off));
        }
        if (off == regs::CTRL) {
            write_ctrl(v);
            return;
        }
        if (off == regs::AUTOC) {
            if ((v & autoc::AN_RESTART) != 0) {
                ++an_restarts_;
                autoc_at_restart_ = v & ~autoc::AN_RESTART;
                link_pending_ = true;
                link_seen_ = 0;
                set(regs::LINKS, 0);
            }
            set(off, v & ~autoc::AN_RESTART);  // self-clearing
            return;
        }
        if (off == regs::SECRXCTRL) {
            set(regs::SECRXSTAT, (v & secrxctrl::RX_DIS) != 0 ? secrxstat::SECRX_RDY : 0);
        }
        if (off == regs::RXCTRL && (v & rxctrl::RXEN) != 0 && (peek(off) & rxctrl::RXEN) == 0) {
            bool any = false;
            for (uint32_t q = 0; q < kQueues; ++q) {
                if (rxq_[q].ring_mask == 7) {
                    any = true;
                    if (!rxq_[q].enabled) {
                        violation(
                            fmt::format("RXCTRL.RXEN set before receive queue {} was enabled", q));
                    }
                }
            }
            if (!any) violation("RXCTRL.RXEN set with no receive queue set up");
        }
        if (off == regs::MTQC && (peek(regs::RTTDCS) & rttdcs::ARBDIS) == 0) {
            violation("MTQC written with the transmit arbiter enabled (RTTDCS.ARBDIS clear)");
        }
        for (uint32_t q = 0; q < kQueues; ++q) {
            if (write_queue(q, off, v)) return;
        }
        set(off, v);
    }

    // --- The device's side of the rings ---

    // Receives a frame on queue q: false when the queue or receive is off or the ring has no
    // descriptor for it (counted in QPRDC as the 82599 does with SRRCTL.DROP_EN).
    bool deliver(uint32_t q, std::span<const uint8_t> frame, uint32_t rss_hash,
                 uint32_t extra_status = intel::adv_rx::IPCS | intel::adv_rx::L4CS) {
        using namespace ixgbe;
        if (q >= kQueues || !rxq_[q].enabled || (peek(regs::RXCTRL) & rxctrl::RXEN) == 0) {
            return false;
        }
        if (!bus_master_) {
            violation(fmt::format("frame DMA-written on queue {} with bus mastering off", q));
            return false;
        }
        const uint32_t n = peek(regs::RDLEN(q)) / 16;
        const uint32_t head = peek(regs::RDH(q));
        if (n == 0 || head == peek(regs::RDT(q))) {
            bump(regs::QPRDC(stat_counter(regs::RQSMR(q / 4), q)));
            return false;
        }
        const uint32_t srr = peek(regs::SRRCTL(q));
        if ((srr & srrctl::DESCTYPE_MASK) != srrctl::DESCTYPE_ADV_ONEBUF) {
            violation(fmt::format("frame on queue {} with SRRCTL.DESCTYPE not advanced", q));
        }
        if (frame.size() > (srr & srrctl::BSIZEPACKET_MASK) * 1024u) return false;
        auto* d = desc<intel::AdvRxDesc>(peek(regs::RDBAL(q)), peek(regs::RDBAH(q)), head);
        std::memcpy(reinterpret_cast<void*>(d->read.pkt_addr), frame.data(), frame.size());
        const bool rss = (peek(regs::MRQC) & mrqc::RSSEN) != 0 &&
                         (peek(regs::RXCSUM) & rxcsum::PCSD) != 0 && rss_hash != 0;
        d->wb.pkt_info = rss ? 1 : 0;  // RSS type 1: TCP/IPv4
        d->wb.hdr_info = 0;
        d->wb.rss_hash = rss ? rss_hash : 0;
        d->wb.length = static_cast<uint16_t>(frame.size());
        d->wb.vlan = 0;
        d->wb.status_error = intel::adv_rx::DD | intel::adv_rx::EOP | extra_status;
        set(regs::RDH(q), (head + 1) % n);
        bump(regs::QPRC(stat_counter(regs::RQSMR(q / 4), q)));
        bump(regs::GPRC);
        return true;
    }
    // The queue RSS picks for a hash: RETA entry hash % 128, its low 4 bits.
    uint32_t rss_queue(uint32_t hash) const {
        const uint32_t e = hash & 0x7F;
        return (peek(ixgbe::regs::RETA + 4 * (e / 4)) >> (8 * (e % 4))) & 0xF;
    }

    struct Sent {
        uint32_t queue;
        std::vector<uint8_t> bytes;
        uint32_t olinfo;  // of the first data descriptor (PAYLEN, POPTS)
        bool has_ctx;
        intel::AdvTxDesc ctx;
    };
    const std::vector<Sent>& sent() const { return sent_; }

  private:
    struct Queue {
        uint32_t ring_mask = 0;  // bits: BAL, BAH, LEN written since the reset
        bool enabled = false;
        int pending = -1;  // reads until ENABLE reads back; -1: none pending
        // Transmit: the frame being gathered.
        std::vector<uint8_t> frame;
        uint32_t olinfo = 0;
        bool has_ctx = false;
        intel::AdvTxDesc ctx{};
    };

    void violation(std::string s) { violations_.push_back(std::move(s)); }

    template <typename D>
    static D* desc(uint32_t bal, uint32_t bah, uint32_t i) {
        const uint64_t base = uint64_t{bah} << 32 | bal;
        return reinterpret_cast<D*>(base + 16 * uint64_t{i});
    }

    static bool is_rx_tx_reg(uint32_t off) {
        using namespace ixgbe;
        return (off >= 0x01000 && off < 0x02000) || (off >= 0x06000 && off < 0x07000) ||
               (off >= regs::SRRCTL(0) && off < regs::SRRCTL(0) + 0x200) || off == regs::RXCTRL ||
               off == regs::DMATXCTL || off == regs::MTQC;
    }

    bool clears_on_read(uint32_t off) const {
        using namespace ixgbe;
        if (off == regs::EICR || (off >= regs::CRCERRS && off <= regs::GOTCH) ||
            (off >= regs::MPC(0) && off <= regs::MPC(7))) {
            return true;
        }
        for (uint32_t q = 0; q < kQueues; ++q) {
            if (off == regs::QPRC(q) || off == regs::QPTC(q) || off == regs::QPRDC(q)) return true;
        }
        return false;
    }

    void bump(uint32_t off) { regs_[off / 4] += 1; }

    uint32_t stat_counter(uint32_t map_reg, uint32_t q) const {
        return (peek(map_reg) >> (8 * (q % 4))) & 0xF;
    }

    void load_reset_values() {
        using namespace ixgbe;
        std::fill(regs_.begin(), regs_.end(), 0u);
        set(regs::RAL0, nvm_ral0);
        set(regs::RAH0, nvm_rah0);
        set(regs::AUTOC, nvm_autoc);
        set(regs::RDRXCTL, 0x8u << 17);  // RSCFRSTSIZE non-zero, as reset may leave it
        for (uint32_t q = 0; q < kQueues; ++q) {
            set(regs::DCA_RXCTRL(q), dca_rxctrl::BIT12);  // reserved, 1 after reset
            set(regs::SRRCTL(q), 0x402);                  // legacy descriptors, 2 KiB
        }
        for (Queue& q : rxq_) q = Queue{};
        for (Queue& q : txq_) q = Queue{};
        saw_ard_ = saw_dma_ = false;
        link_pending_ = false;
    }

    void write_ctrl(uint32_t v) {
        using namespace ixgbe;
        if ((v & ctrl::RST_MASK) != 0) {
            events_.push_back("reset");
            master_disabled_at_reset_ = (peek(regs::CTRL) & ctrl::GIO_DIS) != 0;
            load_reset_values();
            set(regs::CTRL, v);
            resetting_ = true;
            reset_seen_ = 0;
            return;
        }
        set(regs::CTRL, v);
    }

    void finish_reset() {
        using namespace ixgbe;
        resetting_ = false;
        ++resets_;
        regs_[regs::CTRL / 4] &= ~(ctrl::RST_MASK | ctrl::GIO_DIS);
        if (auto_read_done) regs_[regs::EEC / 4] |= eec::ARD;
        if (dma_init_done) regs_[regs::RDRXCTL / 4] |= rdrxctl::DMAIDONE;
    }

    static void tick_enable(Queue& q, uint32_t& r) {
        if (q.pending < 0) return;
        if (q.pending > 0) --q.pending;
        if (q.pending == 0) {
            q.pending = -1;
            q.enabled = true;
            r |= ixgbe::dctl::ENABLE;
        }
    }

    // Per-queue register writes; true when `off` belonged to queue q.
    bool write_queue(uint32_t q, uint32_t off, uint32_t v) {
        using namespace ixgbe;
        const bool rx_ring =
            off == regs::RDBAL(q) || off == regs::RDBAH(q) || off == regs::RDLEN(q);
        const bool tx_ring =
            off == regs::TDBAL(q) || off == regs::TDBAH(q) || off == regs::TDLEN(q);
        if (rx_ring || tx_ring) {
            Queue& qq = rx_ring ? rxq_[q] : txq_[q];
            if (qq.enabled) {
                violation(fmt::format("{} queue {} ring register {:#07x} written while enabled",
                                      rx_ring ? "receive" : "transmit", q, off));
            }
            const uint32_t first = rx_ring ? regs::RDBAL(q) : regs::TDBAL(q);
            qq.ring_mask |= 1u << ((off - first) / 4);
            set(off, v);
            return true;
        }
        if (off == regs::RXDCTL(q) || off == regs::TXDCTL(q)) {
            const bool rx = off == regs::RXDCTL(q);
            Queue& qq = rx ? rxq_[q] : txq_[q];
            if ((v & dctl::ENABLE) == 0) {
                qq.enabled = false;
                qq.pending = -1;
                set(off, v);
                return true;
            }
            if (qq.enabled) {
                set(off, v);
                return true;
            }
            if (qq.ring_mask != 7) {
                violation(
                    fmt::format("{}XDCTL.ENABLE of queue {} before its {}DBAL, {}DBAH and "
                                "{}DLEN",
                                rx ? 'R' : 'T', q, rx ? 'R' : 'T', rx ? 'R' : 'T', rx ? 'R' : 'T'));
            }
            if (!rx && (peek(regs::DMATXCTL) & dmatxctl::TE) == 0) {
                violation(fmt::format("TXDCTL.ENABLE of queue {} before DMATXCTL.TE", q));
            }
            set(off, v & ~dctl::ENABLE);  // reads back set only after `enable_reads` reads
            qq.pending = enable_reads;
            if (enable_reads == 0) {
                qq.pending = -1;
                qq.enabled = true;
                set(off, v);
            }
            return true;
        }
        if (off == regs::RDT(q)) {
            if (!rxq_[q].enabled && v != peek(regs::RDH(q))) {
                violation(
                    fmt::format("RDT of receive queue {} bumped before the queue was enabled", q));
            }
            set(off, v);
            return true;
        }
        if (off == regs::TDT(q)) {
            if (!txq_[q].enabled && v != peek(regs::TDH(q))) {
                violation(fmt::format("TDT of transmit queue {} bumped on a disabled queue", q));
            }
            set(off, v);
            if (txq_[q].enabled) transmit(q);
            return true;
        }
        return false;
    }

    // Fetches descriptors from TDH to TDT (82599 DS §7.2.3: advanced context and data).
    void transmit(uint32_t q) {
        using namespace ixgbe;
        const uint32_t n = peek(regs::TDLEN(q)) / 16;
        if (n == 0) return;
        Queue& tq = txq_[q];
        if (!bus_master_) {
            violation(fmt::format("descriptors fetched on queue {} with bus mastering off", q));
            return;
        }
        uint32_t head = peek(regs::TDH(q));
        const uint32_t tail = peek(regs::TDT(q)) % n;
        while (head != tail) {
            auto* d = desc<intel::AdvTxDesc>(peek(regs::TDBAL(q)), peek(regs::TDBAH(q)), head);
            const uint32_t ctl = d->read.cmd_type_len;
            if ((ctl & intel::adv_tx::DEXT) == 0) {
                violation(fmt::format("legacy transmit descriptor {} on queue {}", head, q));
            } else if ((ctl & (0xFu << 20)) == intel::adv_tx::DTYP_CTXT) {
                tq.ctx = *d;
                tq.has_ctx = true;
            } else {
                const uint32_t len = ctl & 0xFFFF;
                if (tq.frame.empty()) tq.olinfo = d->read.olinfo_status;
                const auto* p = reinterpret_cast<const uint8_t*>(d->read.buffer_addr);
                tq.frame.insert(tq.frame.end(), p, p + len);
                if ((ctl & intel::adv_tx::EOP) != 0) {
                    sent_.push_back(Sent{q, std::move(tq.frame), tq.olinfo, tq.has_ctx, tq.ctx});
                    tq.frame.clear();
                    bump(regs::QPTC(stat_counter(regs::TQSM(q / 4), q)));
                    bump(regs::GPTC);
                }
                if ((ctl & intel::adv_tx::RS) != 0) {
                    d->wb.status = intel::adv_tx::STA_DD;
                }
            }
            head = (head + 1) % n;
        }
        set(regs::TDH(q), head);
    }

    std::vector<uint32_t> regs_;
    std::vector<std::string> violations_;
    std::array<Queue, kQueues> rxq_{};
    std::array<Queue, kQueues> txq_{};
    std::vector<Sent> sent_;
    bool resetting_ = false;
    int reset_seen_ = 0;
    int resets_ = 0;
    bool saw_ard_ = false, saw_dma_ = false;
    bool link_pending_ = false;
    int link_seen_ = 0;
    int an_restarts_ = 0;
    uint32_t autoc_at_restart_ = 0;
    bool master_disabled_at_reset_ = false;
    int vanish_in_ = -1;  // reads until the device is gone; 0: gone; -1: never
    int reads_ = 0;
    bool bus_master_ = true;
    std::vector<std::string> events_;
};

}  // namespace shunt::test
