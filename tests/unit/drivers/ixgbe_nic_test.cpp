// The ixgbe (82599) driver against IxgbeFake, the register-level fake that enforces the
// datasheet's ordering rules and plays the device's side of the rings (ixgbe_fake.hpp). The
// first group proves the fake itself fails: each rule is broken on purpose through it. No
// emulator of the 82599 exists; this is all the proof the driver has (docs/drivers.md).
#include "tests/unit/drivers/ixgbe_fake.hpp"

#include "driver/intel/toeplitz.hpp"
#include "driver/ixgbe/ixgbe_nic.hpp"
#include "driver/ixgbe/regs.hpp"
#include "packet/memory.hpp"
#include "packet/packet_buf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace shunt::ixgbe {
namespace {

using test::IxgbeFake;

// A PCI function whose BAR is the fake and whose DMA memory is memfd (IOVA = virtual address).
class FakeFunction final : public PciFunction {
  public:
    explicit FakeFunction(IxgbeFake& fake) : fake_(fake) {}
    std::string address() const override { return "0000:03:00.0"; }
    Mmio bar0() override { return fake_.mmio(); }
    MemoryProvider& dma() override { return memfd_; }
    bool iommu() const override { return true; }
    unsigned irq_vectors(IrqKind) const override { return 0; }
    Result<PciInterrupt> enable_interrupt(IrqKind) override {
        return make_error("no interrupts in this fake");
    }
    void disable_interrupt() noexcept override {}
    void unmask_intx() noexcept override {}
    Status disable_bus_master() override {
        fake_.bus_master_off();
        return {};
    }

  private:
    IxgbeFake& fake_;
    MemfdProvider memfd_;
};

PciNicOptions small_options(uint16_t queues = 1) {
    PciNicOptions o;
    o.queues = queues;
    o.rx_ring = 8;
    o.tx_ring = 8;
    o.pool_buffers = 128;
    o.link_timeout = Duration(50'000);
    return o;
}

// A UDP/IPv4 frame 10.0.2.99:4242 -> 10.0.2.2:4243, checksums zero, like the stack emits.
std::vector<uint8_t> udp_frame(size_t size, uint8_t fill, uint16_t sport = 0x1092) {
    std::vector<uint8_t> f(size, fill);
    const uint8_t head[] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0x12, 0x34,
                            0x57, 0x08, 0x00, 0x45, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                            0x40, 0x11, 0x00, 0x00, 10,   0,    2,    99,   10,   0,    2,
                            2,    0x10, 0x92, 0x10, 0x93, 0x00, 0x00, 0x00, 0x00};
    std::memcpy(f.data(), head, sizeof(head));
    f[34] = static_cast<uint8_t>(sport >> 8);
    f[35] = static_cast<uint8_t>(sport);
    return f;
}

class IxgbeNicTest : public ::testing::Test {
  protected:
    Result<std::unique_ptr<IxgbeNic>> try_open(const PciNicOptions& o, uint16_t id = 0x10FB) {
        return IxgbeNic::create(std::make_unique<FakeFunction>(fake_), *find_model(0x8086, id), o);
    }
    IxgbeNic& open(const PciNicOptions& o = small_options(), uint16_t id = 0x10FB) {
        auto r = try_open(o, id);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        nic_ = std::move(r).value();
        return *nic_;
    }
    uint32_t reg(uint32_t off) const { return fake_.peek(off); }
    std::string violations() const {
        std::string s;
        for (const auto& v : fake_.violations()) s += v + "\n";
        return s;
    }

    IxgbeFake fake_;
    std::unique_ptr<IxgbeNic> nic_;  // destroyed before the fake
};

// --- The fake fails when the datasheet's order is broken (each rule, on purpose) ---

// Resets the fake and reads what the datasheet says to wait for, as a driver must.
void reset_and_wait(Mmio& m) {
    m.write32(regs::CTRL, ctrl::RST_MASK);
    for (int i = 0; i < 10 && (m.read32(regs::CTRL) & ctrl::RST_MASK) != 0; ++i) {
    }
    ASSERT_NE(m.read32(regs::EEC) & eec::ARD, 0u);
    ASSERT_NE(m.read32(regs::RDRXCTL) & rdrxctl::DMAIDONE, 0u);
}
void setup_rx_ring(Mmio& m, uint32_t q) {
    m.write32(regs::RDBAL(q), 0x1000);
    m.write32(regs::RDBAH(q), 0);
    m.write32(regs::RDLEN(q), 128);
}
void setup_tx_ring(Mmio& m, uint32_t q) {
    m.write32(regs::TDBAL(q), 0x2000);
    m.write32(regs::TDBAH(q), 0);
    m.write32(regs::TDLEN(q), 128);
}
void enable(Mmio& m, uint32_t dctl_reg) {
    m.write32(dctl_reg, dctl::ENABLE);
    for (int i = 0; i < 10 && (m.read32(dctl_reg) & dctl::ENABLE) == 0; ++i) {
    }
}

TEST(IxgbeFakeRules, TheRightOrderRaisesNothing) {
    IxgbeFake f;
    Mmio m = f.mmio();
    reset_and_wait(m);
    setup_rx_ring(m, 0);
    enable(m, regs::RXDCTL(0));
    m.write32(regs::RDT(0), 7);
    m.write32(regs::RXCTRL, rxctrl::RXEN);
    m.write32(regs::RTTDCS, rttdcs::ARBDIS);
    m.write32(regs::MTQC, 0);
    m.write32(regs::RTTDCS, 0);
    setup_tx_ring(m, 0);
    m.write32(regs::DMATXCTL, dmatxctl::TE);
    enable(m, regs::TXDCTL(0));
    EXPECT_TRUE(f.violations().empty()) << f.violations().front();
    EXPECT_NE(f.peek(regs::RXDCTL(0)) & dctl::ENABLE, 0u);
    EXPECT_NE(f.peek(regs::TXDCTL(0)) & dctl::ENABLE, 0u);
}

TEST(IxgbeFakeRules, AWriteWhileTheResetRunsIsCaught) {
    IxgbeFake f;
    Mmio m = f.mmio();
    m.write32(regs::CTRL, ctrl::RST_MASK);
    m.write32(regs::HLREG0, hlreg0::RXCRCSTRP);
    EXPECT_TRUE(f.violated("written while the reset runs"));
}

TEST(IxgbeFakeRules, AQueueRegisterBeforeAutoReadAndDmaInitIsCaught) {
    IxgbeFake f;
    Mmio m = f.mmio();
    m.write32(regs::CTRL, ctrl::RST_MASK);
    while ((m.read32(regs::CTRL) & ctrl::RST_MASK) != 0) {
    }
    (void)m.read32(regs::EEC);  // DMAIDONE never read
    setup_rx_ring(m, 0);
    EXPECT_TRUE(f.violated("before EEC.ARD and RDRXCTL.DMAIDONE"));
}

TEST(IxgbeFakeRules, RxdctlEnableBeforeTheRingIsCaught) {
    IxgbeFake f;
    Mmio m = f.mmio();
    reset_and_wait(m);
    m.write32(regs::RDBAL(2), 0x1000);  // no RDBAH, no RDLEN
    m.write32(regs::RXDCTL(2), dctl::ENABLE);
    EXPECT_TRUE(f.violated("RXDCTL.ENABLE of queue 2 before its RDBAL, RDBAH and RDLEN"));
}

TEST(IxgbeFakeRules, ARingChangedWhileItsQueueIsEnabledIsCaught) {
    IxgbeFake f;
    Mmio m = f.mmio();
    reset_and_wait(m);
    setup_rx_ring(m, 0);
    enable(m, regs::RXDCTL(0));
    m.write32(regs::RDLEN(0), 256);
    EXPECT_TRUE(f.violated("receive queue 0 ring register"));
}

TEST(IxgbeFakeRules, RdtBumpedBeforeTheQueueIsEnabledIsCaught) {
    IxgbeFake f;
    Mmio m = f.mmio();
    reset_and_wait(m);
    setup_rx_ring(m, 1);
    m.write32(regs::RDT(1), 7);
    EXPECT_TRUE(f.violated("RDT of receive queue 1 bumped before the queue was enabled"));
}

TEST(IxgbeFakeRules, RxenBeforeTheQueuesAreEnabledIsCaught) {
    IxgbeFake f;
    Mmio m = f.mmio();
    reset_and_wait(m);
    setup_rx_ring(m, 0);
    setup_rx_ring(m, 1);
    enable(m, regs::RXDCTL(0));  // queue 1 set up but not enabled
    m.write32(regs::RXCTRL, rxctrl::RXEN);
    EXPECT_TRUE(f.violated("RXCTRL.RXEN set before receive queue 1 was enabled"));
    IxgbeFake g;
    Mmio n = g.mmio();
    reset_and_wait(n);
    n.write32(regs::RXCTRL, rxctrl::RXEN);
    EXPECT_TRUE(g.violated("RXCTRL.RXEN set with no receive queue set up"));
}

TEST(IxgbeFakeRules, MtqcWithTheArbiterRunningIsCaught) {
    IxgbeFake f;
    Mmio m = f.mmio();
    reset_and_wait(m);
    m.write32(regs::MTQC, 0);
    EXPECT_TRUE(f.violated("MTQC written with the transmit arbiter enabled"));
}

TEST(IxgbeFakeRules, TxdctlEnableBeforeDmatxctlTeIsCaught) {
    IxgbeFake f;
    Mmio m = f.mmio();
    reset_and_wait(m);
    setup_tx_ring(m, 0);
    m.write32(regs::TXDCTL(0), dctl::ENABLE);
    EXPECT_TRUE(f.violated("TXDCTL.ENABLE of queue 0 before DMATXCTL.TE"));
    EXPECT_FALSE(f.violated("before its TDBAL"));
}

TEST(IxgbeFakeRules, TxdctlEnableBeforeTheRingIsCaught) {
    IxgbeFake f;
    Mmio m = f.mmio();
    reset_and_wait(m);
    m.write32(regs::DMATXCTL, dmatxctl::TE);
    m.write32(regs::TXDCTL(3), dctl::ENABLE);
    EXPECT_TRUE(f.violated("TXDCTL.ENABLE of queue 3 before its TDBAL, TDBAH and TDLEN"));
}

TEST(IxgbeFakeRules, TdtOnADisabledQueueIsCaught) {
    IxgbeFake f;
    Mmio m = f.mmio();
    reset_and_wait(m);
    setup_tx_ring(m, 0);
    m.write32(regs::TDT(0), 1);
    EXPECT_TRUE(f.violated("TDT of transmit queue 0 bumped on a disabled queue"));
}

// --- The driver against the fake ---

TEST_F(IxgbeNicTest, BringUpFollowsTheDatasheetOrderForEveryQueue) {
    IxgbeNic& nic = open(small_options(4));
    EXPECT_TRUE(fake_.violations().empty()) << violations();
    EXPECT_EQ(fake_.resets(), 1);
    EXPECT_TRUE(fake_.master_disabled_at_reset());
    EXPECT_EQ(fake_.an_restarts(), 1);
    // SFP+ (10FB): LMS = 10 GbE serial, the parallel PMA/PMD bits cleared.
    EXPECT_EQ(fake_.autoc_at_restart() & (autoc::LMS_MASK | autoc::PMA_PMD_10G_MASK),
              autoc::LMS_10G_SERIAL);
    EXPECT_TRUE(nic.link().up);
    EXPECT_EQ(nic.link().speed_mbps, 10'000u);
    EXPECT_EQ(nic.mac().to_string(), "52:54:00:12:34:56");
    EXPECT_EQ(nic.driver(), "ixgbe");
    EXPECT_EQ(nic.queue_count(), 4u);
    EXPECT_EQ(reg(regs::EIMC), 0x7FFFFFFFu);
    EXPECT_EQ(reg(regs::CTRL_EXT) & (ctrl_ext::NS_DIS | ctrl_ext::DRV_LOAD),
              ctrl_ext::NS_DIS | ctrl_ext::DRV_LOAD);
    EXPECT_EQ(reg(regs::RXPBSIZE(0)), 0x20000u);
    EXPECT_EQ(reg(regs::RXPBSIZE(1)), 0u);
    EXPECT_EQ(reg(regs::TXPBSIZE(0)), 0xA000u);
    EXPECT_EQ(reg(regs::DTXMXSZRQ), 0xFFFFu);
    EXPECT_EQ(reg(regs::RTTDCS) & rttdcs::ARBDIS, 0u);
    EXPECT_EQ(reg(regs::HLREG0) & (hlreg0::RXCRCSTRP | hlreg0::TXCRCEN | hlreg0::TXPADEN),
              hlreg0::RXCRCSTRP | hlreg0::TXCRCEN | hlreg0::TXPADEN);
    EXPECT_EQ(reg(regs::RDRXCTL),
              rdrxctl::DMAIDONE | rdrxctl::CRCSTRIP | rdrxctl::RSCACKC | rdrxctl::FCOE_WRFIX);
    EXPECT_EQ(reg(regs::FCTRL), fctrl::BAM);
    EXPECT_EQ(reg(regs::RXCTRL), rxctrl::RXEN);
    EXPECT_EQ(reg(regs::DMATXCTL), dmatxctl::TE);
    EXPECT_EQ(reg(regs::SECRXCTRL), 0u);
    for (uint16_t q = 0; q < 4; ++q) {
        SCOPED_TRACE(q);
        EXPECT_NE(reg(regs::RDBAL(q)) | reg(regs::RDBAH(q)), 0u);
        EXPECT_EQ(reg(regs::RDLEN(q)), 8u * 16);
        // Advanced one-buffer, 2 KiB, drop when full; the header-size bits left as reset.
        EXPECT_EQ(reg(regs::SRRCTL(q)), 0x400u | 1u << 25 | 2u | 1u << 28);
        EXPECT_EQ(reg(regs::DCA_RXCTRL(q)) & dca_rxctrl::BIT12, 0u);
        EXPECT_NE(reg(regs::RXDCTL(q)) & dctl::ENABLE, 0u);
        EXPECT_EQ(reg(regs::RDT(q)), 7u);
        EXPECT_EQ(reg(regs::TDLEN(q)), 8u * 16);
        EXPECT_EQ(reg(regs::TXDCTL(q)), dctl::ENABLE | 32u | 1u << 8);
        EXPECT_EQ(reg(regs::TDT(q)), 0u);
        if (q > 0) {
            EXPECT_NE(reg(regs::RDBAL(q)), reg(regs::RDBAL(0)));
            EXPECT_NE(&nic.tx_pool(q), &nic.tx_pool(0)) << "one pool per queue pair";
        }
    }
    EXPECT_EQ(reg(regs::RXDCTL(4)), 0u) << "queues past the count stay off";
    // Queue q counted in per-queue counter q.
    EXPECT_EQ(reg(regs::RQSMR(0)), 0x03020100u);
    EXPECT_EQ(reg(regs::TQSM(0)), 0x03020100u);
}

TEST_F(IxgbeNicTest, BackplaneAndNvmLinkModes) {
    open(small_options(), 0x10F7);  // KX4
    EXPECT_EQ(fake_.autoc_at_restart() & autoc::LMS_MASK, autoc::LMS_KX4_KX_KR);
    nic_.reset();
    IxgbeFake other;
    other.nvm_autoc = 1u << autoc::LMS_SHIFT | 1u << 7;  // what a XAUI LOM's NVM might load
    auto r = IxgbeNic::create(std::make_unique<FakeFunction>(other), *find_model(0x8086, 0x10FC),
                              small_options());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(other.autoc_at_restart(), other.nvm_autoc) << "AUTOC as the NVM loaded it";
    EXPECT_EQ(other.an_restarts(), 1);
    EXPECT_TRUE(other.violations().empty());
}

TEST_F(IxgbeNicTest, RssRegistersHoldTheKeyAndTheTable) {
    IxgbeNic& nic = open(small_options(4));
    EXPECT_EQ(reg(regs::MRQC), 1u | 1u << 16 | 1u << 17 | 1u << 22);
    EXPECT_EQ(reg(regs::RXCSUM), rxcsum::PCSD);
    EXPECT_EQ(reg(regs::RSSRK), 0xda565a6du);  // the Microsoft key, byte 0 low
    EXPECT_EQ(reg(regs::RSSRK + 36), 0xfa01acbeu);
    for (uint32_t i = 0; i < 32; ++i) EXPECT_EQ(reg(regs::RETA + 4 * i), 0x03020100u) << i;
    EXPECT_EQ(nic.reta()[6], 2u);
    EXPECT_EQ(nic.rss_key(), kDefaultRssKey);
    nic_.reset();
    IxgbeFake other;
    PciNicOptions o = small_options(3);
    o.rss_symmetric = true;
    auto r =
        IxgbeNic::create(std::make_unique<FakeFunction>(other), *find_model(0x8086, 0x10FB), o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(other.peek(regs::RSSRK + 4 * i), 0x5a6d5a6du);
    EXPECT_EQ(other.peek(regs::RETA), 0x00020100u);  // entries 0,1,2,0
}

TEST_F(IxgbeNicTest, FramesLandOnTheQueueTheirHashPicksWithTheHash) {
    IxgbeNic& nic = open(small_options(4));
    std::array<int, 4> seen{};
    for (uint16_t sport = 40000; sport < 40016; ++sport) {
        const uint32_t hash =
            intel::rss_hash_ipv4_l4(nic.rss_key(), {10, 0, 2, 99}, {10, 0, 2, 2}, sport, 4243);
        const uint32_t q = fake_.rss_queue(hash);
        ASSERT_EQ(q, nic.reta()[hash % 128]) << "the fake reads the RETA the driver wrote";
        const auto f = udp_frame(60 + sport % 7, static_cast<uint8_t>(sport), sport);
        ASSERT_TRUE(fake_.deliver(q, f, hash));
        std::array<PacketBuf*, 4> got{};
        for (uint16_t other = 0; other < 4; ++other) {
            if (other != q) {
                EXPECT_EQ(nic.rx_batch(other, got), 0u);
            }
        }
        ASSERT_EQ(nic.rx_batch(static_cast<uint16_t>(q), got), 1u);
        EXPECT_EQ(got[0]->length(), f.size());
        EXPECT_EQ(std::memcmp(got[0]->data(), f.data(), f.size()), 0);
        EXPECT_EQ(got[0]->rss_hash(), hash);
        EXPECT_EQ(got[0]->flags() & (rx_flags::ip_csum_good | rx_flags::l4_csum_good),
                  rx_flags::ip_csum_good | rx_flags::l4_csum_good);
        got[0]->unref();
        ++seen[q];
    }
    int used = 0;
    for (int n : seen) used += n > 0 ? 1 : 0;
    EXPECT_GE(used, 2) << "16 flows over 4 queues";
    EXPECT_EQ(nic.counters().rx_packets, 16u);
    uint64_t hw = 0;
    for (uint16_t q = 0; q < 4; ++q) hw += nic.queue_hw_stats(q).rx_packets;
    EXPECT_EQ(hw, 16u) << "QPRC per queue through RQSMR";
    EXPECT_TRUE(fake_.violations().empty()) << violations();
}

TEST_F(IxgbeNicTest, TheRingWrapsAndAFullRingDropsInTheDevice) {
    IxgbeNic& nic = open();
    const auto f = udp_frame(64, 1);
    std::array<PacketBuf*, 8> got{};
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 5; ++i) ASSERT_TRUE(fake_.deliver(0, f, 0)) << round << " " << i;
        ASSERT_EQ(nic.rx_batch(0, got), 5u);
        for (size_t i = 0; i < 5; ++i) got[i]->unref();
    }
    // Seven descriptors are the NIC's: the eighth frame finds the ring full.
    for (int i = 0; i < 7; ++i) ASSERT_TRUE(fake_.deliver(0, f, 0));
    EXPECT_FALSE(fake_.deliver(0, f, 0));
    EXPECT_EQ(nic.queue_hw_stats(0).rx_dropped, 1u);
    EXPECT_EQ(nic.counters().rx_dropped, 1u);
    EXPECT_EQ(nic.rx_batch(0, got), 7u);
    for (size_t i = 0; i < 7; ++i) got[i]->unref();
    // Nic::queue_counters (stats' nic.queues[]): the queue's own packets and its QPRDC drop.
    const QueueCounters q0 = nic.queue_counters(0);
    EXPECT_EQ(q0.rx_packets, 32u);
    EXPECT_EQ(q0.rx_bytes, 32u * f.size());
    EXPECT_EQ(q0.rx_dropped, 1u);
    EXPECT_EQ(nic.queue_counters(1).rx_packets, 0u);
}

TEST_F(IxgbeNicTest, DeviceWrittenErrorsAndLengthsAreNotTrusted) {
    IxgbeNic& nic = open();
    const auto f = udp_frame(60, 3);
    ASSERT_TRUE(fake_.deliver(0, f, 0, intel::IxgbeBits::frame_error));  // RXE
    ASSERT_TRUE(fake_.deliver(0, f, 0));
    // The device claims more bytes than the 2 KiB buffer holds.
    const uint64_t base = uint64_t{reg(regs::RDBAH(0))} << 32 | reg(regs::RDBAL(0));
    reinterpret_cast<intel::AdvRxDesc*>(base + 16)->wb.length = 4000;
    ASSERT_TRUE(fake_.deliver(0, f, 0, intel::adv_rx::IPCS | intel::IxgbeBits::ip_error));
    std::array<PacketBuf*, 8> got{};
    ASSERT_EQ(nic.rx_batch(0, got), 1u);
    EXPECT_EQ(got[0]->flags() & rx_flags::ip_csum_bad, rx_flags::ip_csum_bad)
        << "IPE in bit 31 on the 82599";
    got[0]->unref();
    EXPECT_EQ(nic.counters().rx_errors, 2u);
}

TEST_F(IxgbeNicTest, TransmitWithChecksumOffloadFromTxMeta) {
    IxgbeNic& nic = open(small_options(2));
    const auto f = udp_frame(100, 0x5A);
    std::array<PacketBuf*, 2> bufs{};
    for (PacketBuf*& b : bufs) {
        b = nic.tx_pool(1).alloc();
        ASSERT_NE(b, nullptr);
        std::memcpy(b->append(f.size()), f.data(), f.size());
        b->set_flags(tx_flags::ip_csum | tx_flags::l4_csum);
        b->set_l2_len(14);
        b->set_l3_meta(20, l4_type::udp, 100 - 34, 0xBEEF);
    }
    const uint32_t before = nic.tx_pool(1).available();
    ASSERT_EQ(nic.tx_batch(1, bufs), 2u);
    ASSERT_EQ(fake_.sent().size(), 2u);
    for (const auto& s : fake_.sent()) {
        EXPECT_EQ(s.queue, 1u);
        ASSERT_EQ(s.bytes.size(), 100u);
        EXPECT_EQ(s.bytes[40], 0xBE) << "the pseudo-header seed in the UDP checksum field";
        EXPECT_EQ(s.bytes[41], 0xEF);
        EXPECT_EQ(std::memcmp(s.bytes.data(), f.data(), 40), 0);
        EXPECT_EQ(s.olinfo, 100u << 14 | intel::adv_tx::POPTS_IXSM | intel::adv_tx::POPTS_TXSM);
        ASSERT_TRUE(s.has_ctx);
        EXPECT_EQ(s.ctx.ctx.vlan_macip_lens, 20u | 14u << 9);
        EXPECT_EQ(s.ctx.ctx.type_tucmd_mlhl, intel::adv_tx::DTYP_CTXT | intel::adv_tx::DEXT |
                                                 intel::adv_tx::TUCMD_IPV4 |
                                                 intel::adv_tx::TUCMD_L4T_UDP);
    }
    EXPECT_EQ(reg(regs::TDH(1)), 3u) << "one context for both frames, then two data";
    nic.tx_batch(1, {});  // reaps what the fake marked done
    EXPECT_EQ(nic.tx_pool(1).available(), before + 2);
    EXPECT_EQ(nic.counters().tx_packets, 2u);
    EXPECT_EQ(nic.queue_hw_stats(1).tx_packets, 2u) << "QPTC 1 through TQSM";
    EXPECT_EQ(nic.queue_hw_stats(0).tx_packets, 0u);
    EXPECT_TRUE(fake_.violations().empty()) << violations();
}

TEST_F(IxgbeNicTest, AResetThatNeverCompletesIsOneError) {
    fake_.reset_reads = -1;
    auto r = try_open(small_options());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("CTRL.RST|LNK_RST still set after 100 ms"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("CTRL="), std::string::npos);
}

TEST_F(IxgbeNicTest, NoEepromAutoReadOrDmaInitIsAnError) {
    fake_.auto_read_done = false;
    auto r = try_open(small_options());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("EEPROM auto-read not done"), std::string::npos)
        << r.error().message;
    IxgbeFake other;
    other.dma_init_done = false;
    auto s = IxgbeNic::create(std::make_unique<FakeFunction>(other), *find_model(0x8086, 0x10FB),
                              small_options());
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("DMA initialization not done"), std::string::npos)
        << s.error().message;
    EXPECT_TRUE(other.violations().empty()) << "no queue register touched before it";
}

TEST_F(IxgbeNicTest, ALinkThatNeverComesUpIsOneError) {
    fake_.link_reads = -1;
    auto r = try_open(small_options());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("link still down after 50 ms (LINKS=0x00000000"),
              std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("SFP+"), std::string::npos);
}

TEST_F(IxgbeNicTest, AQueueThatNeverEnablesIsAnError) {
    fake_.enable_reads = -1;
    auto r = try_open(small_options());
    ASSERT_FALSE(r.ok());
    // Transmit queues are enabled first (DS §4.6.8 ends with them; receive starts last).
    EXPECT_NE(r.error().message.find("transmit queue 0 did not enable (TXDCTL="), std::string::npos)
        << r.error().message;
}

TEST_F(IxgbeNicTest, BadOptionsAreRefused) {
    for (uint16_t q : {uint16_t{0}, uint16_t{17}}) {
        auto r = try_open(small_options(q));
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find("1 to 16 queue pairs"), std::string::npos);
    }
    PciNicOptions o = small_options();
    o.interrupts = true;
    auto r = try_open(o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("polls"), std::string::npos) << r.error().message;
    EXPECT_EQ(fake_.resets(), 0) << "refused before touching the device";
}

TEST_F(IxgbeNicTest, StatisticsClearOnReadAndAccumulate) {
    IxgbeNic& nic = open(small_options(2));
    fake_.set(regs::GPRC, 5);
    fake_.set(regs::MPC(3), 3);
    fake_.set(regs::QPRDC(1), 4);
    fake_.set(regs::CRCERRS, 2);
    fake_.set(regs::GORCL, 0x100);
    fake_.set(regs::GORCH, 0x1);
    const NicCounters c = nic.counters();
    EXPECT_EQ(c.rx_dropped, 3u + 4u);
    EXPECT_EQ(c.rx_errors, 2u);
    EXPECT_EQ(reg(regs::GPRC), 0u) << "read and cleared";
    fake_.set(regs::GPRC, 1);
    EXPECT_EQ(nic.hw_stats().gprc, 6u);
    EXPECT_EQ(nic.hw_stats().gorc, 0x100000100u);
    EXPECT_EQ(nic.queue_hw_stats(1).rx_dropped, 4u);
    EXPECT_EQ(nic.queue_hw_stats(0).rx_dropped, 0u);
}

TEST_F(IxgbeNicTest, PromiscuousAtStartAndOnRequest) {
    PciNicOptions o = small_options();
    o.promiscuous = true;
    IxgbeNic& nic = open(o);
    EXPECT_EQ(reg(regs::FCTRL), fctrl::BAM | fctrl::UPE | fctrl::MPE);
    nic.set_promiscuous(false);
    EXPECT_EQ(reg(regs::FCTRL), fctrl::BAM);
    nic.set_promiscuous(true);
    EXPECT_EQ(reg(regs::FCTRL), fctrl::BAM | fctrl::UPE | fctrl::MPE);
}

TEST_F(IxgbeNicTest, StoppingTurnsReceiveAndEveryQueueOff) {
    IxgbeNic& nic = open(small_options(3));
    nic.stop();
    EXPECT_EQ(reg(regs::RXCTRL) & rxctrl::RXEN, 0u);
    EXPECT_EQ(fake_.resets(), 2) << "a reset after the queues are off";
    for (uint16_t q = 0; q < 3; ++q) {
        EXPECT_EQ(reg(regs::RXDCTL(q)) & dctl::ENABLE, 0u);
        EXPECT_EQ(reg(regs::TXDCTL(q)) & dctl::ENABLE, 0u);
    }
    nic.stop();  // idempotent
    EXPECT_EQ(fake_.resets(), 2);
    EXPECT_TRUE(fake_.violations().empty()) << violations();
}

// --- Device faults (issue 11) ---

size_t first_index(const std::vector<std::string>& v, const std::string& what) {
    const auto it = std::find(v.begin(), v.end(), what);
    return it == v.end() ? std::string::npos : static_cast<size_t>(it - v.begin());
}
size_t last_index(const std::vector<std::string>& v, const std::string& what) {
    const auto it = std::find(v.rbegin(), v.rend(), what);
    return it == v.rend() ? std::string::npos : static_cast<size_t>(v.rend() - it - 1);
}

// At stop the queues go off, then bus mastering (so the device cannot reach memory whatever the
// reset does), then the reset; the fake plays no DMA once bus mastering is off and would record
// a violation if the driver still asked for some.
TEST_F(IxgbeNicTest, StopClearsBusMasteringBeforeTheReset) {
    open(small_options(2));
    nic_.reset();
    const auto& ev = fake_.events();
    ASSERT_NE(first_index(ev, "bus master off"), std::string::npos);
    EXPECT_LT(first_index(ev, "bus master off"), last_index(ev, "reset"));
    EXPECT_EQ(first_index(ev, "reset"), 0u) << "the bring-up's reset comes first";
    EXPECT_FALSE(fake_.bus_master());
    EXPECT_TRUE(fake_.violations().empty()) << violations();
}

// A reset that does not complete at stop is logged with CTRL (bounded: 100 ms).
TEST_F(IxgbeNicTest, ResetFailureAtStopIsLogged) {
    open();
    fake_.reset_reads = -1;
    ::testing::internal::CaptureStderr();
    nic_.reset();
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("did not finish its reset at stop"), std::string::npos) << log;
    EXPECT_LT(first_index(fake_.events(), "bus master off"), last_index(fake_.events(), "reset"));
}

// The device vanishes in the middle of a statistics refresh: the first registers answered, the
// rest read all ones. STATUS read after the refresh shows it, and the totals stay what they
// were (no 0xffffffff counts from MPC, QPRDC, CRCERRS...). From then on nothing is written to
// the device (the fake records any write after it vanished as a violation), stop included.
TEST_F(IxgbeNicTest, DeviceGoneDuringAStatisticsRefreshKeepsTheTotalsAndStopsWrites) {
    IxgbeNic& nic = open(small_options(2));
    fake_.set(regs::MPC(0), 7);
    fake_.set(regs::CRCERRS, 2);
    const NicCounters before = nic.counters();
    ASSERT_EQ(before.rx_dropped, 7u);
    fake_.set(regs::MPC(0), 5);
    fake_.vanish(3);  // STATUS and GPRC answer; GPTC and everything after read all ones
    const NicCounters after = nic.counters();
    EXPECT_EQ(after.rx_dropped, before.rx_dropped);
    EXPECT_EQ(after.rx_errors, before.rx_errors);
    EXPECT_EQ(nic.queue_hw_stats(1).rx_dropped, 0u);
    EXPECT_EQ(nic.health(), NicHealth::gone);
    EXPECT_NE(nic.health_message().find("device gone: STATUS reads 0xffffffff"), std::string::npos)
        << nic.health_message();
    std::array<PacketBuf*, 2> bufs{nic.tx_pool(0).alloc(), nic.tx_pool(0).alloc()};
    for (PacketBuf* b : bufs) {
        auto f = udp_frame(60, 1);
        std::memcpy(b->append(f.size()), f.data(), f.size());
    }
    EXPECT_EQ(nic.tx_batch(0, bufs), 0u);
    Mempool::unref_batch(bufs);
    EXPECT_FALSE(nic.link().up);
    const int reads = fake_.reads();
    nic_.reset();
    EXPECT_EQ(fake_.reads(), reads) << "the stop reads nothing from a device that is gone";
    EXPECT_TRUE(fake_.violations().empty()) << violations();
    EXPECT_NE(first_index(fake_.events(), "bus master off"), std::string::npos);
}

TEST_F(IxgbeNicTest, ThePciFactoryPicksIxgbeByDeviceId) {
    for (uint16_t id : std::array<uint16_t, 11>{0x10FB, 0x10FC, 0x1517, 0x151C, 0x1529, 0x152A,
                                                0x1557, 0x154D, 0x10F7, 0x10F8, 0x10F9}) {
        SCOPED_TRACE(id);
        EXPECT_NE(describe_pci_nic(0x8086, static_cast<uint16_t>(id)).find("(ixgbe)"),
                  std::string::npos);
    }
    EXPECT_EQ(describe_pci_nic(0x8086, 0x10FB), "8086:10fb 82599 SFP+ (ixgbe)");
    auto r = open_pci_nic(std::make_unique<FakeFunction>(fake_), 0x8086, 0x10FB, small_options());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->driver(), "ixgbe");
    r->reset();
    auto bad = open_pci_nic(std::make_unique<FakeFunction>(fake_), 0x8086, 0x1234, small_options());
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("8086:10fb"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace shunt::ixgbe
