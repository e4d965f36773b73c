// The igb (82576) driver against a memory-backed register file. A small device thread plays
// what the bring-up waits for, as QEMU's model and the datasheet describe it: CTRL.RST clears
// itself, MDIC answers PHY accesses at address 1, the link comes up only after the driver
// restarts autonegotiation in the PHY's BMCR, EERD answers NVM reads. The test plays the rest of
// the NIC: it writes frames into the rings the driver set up and sets done bits.
#include "driver/igb/igb_nic.hpp"
#include "driver/igb/regs.hpp"
#include "driver/intel/adv_format.hpp"
#include "packet/packet_buf.hpp"
#include "tests/unit/drivers/fake_pci.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

namespace shunt::igb {
namespace {

using test::FakeNicState;
using test::FakePciFunction;

class IgbDevice {
  public:
    explicit IgbDevice(std::shared_ptr<FakeNicState> s) : s_(std::move(s)) {
        phy_[phy::BMCR] = 0x1140;  // 1000 Mb/s, full duplex, autonegotiation enabled
        thread_ = std::thread([this] { loop(); });
    }
    ~IgbDevice() {
        stop_ = true;
        thread_.join();
    }
    std::atomic<bool> resets{true};
    std::atomic<bool> mdio{true};
    std::atomic<int> an_restarts{0};
    std::atomic<int> master_disabled_at_reset{0};
    std::array<uint16_t, 64> nvm{};

  private:
    void loop() {
        while (!stop_) {
            std::atomic_ref<uint32_t> ctrl(s_->reg(regs::CTRL));
            if (resets && (ctrl.load() & ctrl::RST) != 0) {
                // The reset clears GIO_MASTER_DISABLE too (a value set before it is recorded).
                if ((ctrl.load() & ctrl::GIO_MASTER_DISABLE) != 0) ++master_disabled_at_reset;
                ctrl.fetch_and(~(ctrl::RST | ctrl::GIO_MASTER_DISABLE));
            }
            std::atomic_ref<uint32_t> mdic(s_->reg(regs::MDIC));
            const uint32_t m = mdic.load();
            if (mdio && (m & (mdic::OP_READ | mdic::OP_WRITE)) != 0 && (m & mdic::READY) == 0) {
                const uint32_t reg = (m >> mdic::REG_SHIFT) & 0x1F;
                uint32_t out = m & ~0xFFFFu;
                if (((m >> mdic::PHY_SHIFT) & 0x1F) != mdic::PHY_ADDR) {
                    out |= mdic::ERROR;
                } else if ((m & mdic::OP_READ) != 0) {
                    out |= phy_[reg];
                } else {
                    const auto data = static_cast<uint16_t>(m);
                    if (reg == phy::BMCR && (data & phy::BMCR_ANRESTART) != 0 &&
                        (data & phy::BMCR_AUTOEN) != 0) {
                        ++an_restarts;
                        s_->write(regs::STATUS,
                                  status::LU | status::FD | 2u << status::SPEED_SHIFT);
                    }
                    phy_[reg] = data & ~phy::BMCR_ANRESTART;
                }
                mdic.store(out | mdic::READY);
            }
            std::atomic_ref<uint32_t> eerd(s_->reg(regs::EERD));
            const uint32_t e = eerd.load();
            if ((e & eerd::START) != 0 && (e & eerd::DONE) == 0) {
                const uint32_t word = (e >> eerd::ADDR_SHIFT) & 0x3FFF;
                const uint16_t data = word < nvm.size() ? nvm[word] : 0xFFFF;
                eerd.store((e & ~eerd::START) | eerd::DONE | uint32_t{data} << eerd::DATA_SHIFT);
            }
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    }

    std::shared_ptr<FakeNicState> s_;
    std::array<uint16_t, 32> phy_{};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

PciNicOptions small_options(uint16_t queues = 1) {
    PciNicOptions o;
    o.queues = queues;
    o.rx_ring = 8;
    o.tx_ring = 8;
    o.pool_buffers = 128;
    o.link_timeout = Duration(500'000);
    return o;
}

std::vector<uint8_t> frame(size_t size, uint8_t fill) {
    std::vector<uint8_t> f(size, fill);
    const uint8_t head[] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52,
                            0x54, 0x00, 0x12, 0x34, 0x57, 0x08, 0x00};
    std::memcpy(f.data(), head, sizeof(head));
    return f;
}

class IgbNicTest : public ::testing::Test {
  protected:
    void SetUp() override {
        st_->write(regs::RAL0, 0x12005452);  // 52:54:00:12:34:56
        st_->write(regs::RAH0, 0x5634 | RAH_AV);
        // What a previous user left: queue 0 enabled (QEMU's reset value), stale tails.
        st_->write(regs::RXDCTL(0), dctl::ENABLE);
        st_->write(regs::TXDCTL(0), dctl::ENABLE);
    }
    Result<std::unique_ptr<IgbNic>> try_open(const PciNicOptions& o, uint16_t id = 0x10C9) {
        return IgbNic::create(std::make_unique<FakePciFunction>(st_), *find_model(0x8086, id), o);
    }
    IgbNic& open(const PciNicOptions& o = small_options()) {
        auto r = try_open(o);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        nic_ = std::move(r).value();
        return *nic_;
    }
    uint32_t reg(uint32_t off) { return st_->read(off); }
    uint8_t* rx_desc(uint16_t q, uint32_t i) {
        const uint64_t base = uint64_t{reg(regs::RDBAH(q))} << 32 | reg(regs::RDBAL(q));
        return reinterpret_cast<uint8_t*>(base) + 16 * i;
    }
    uint8_t* tx_desc(uint16_t q, uint32_t i) {
        const uint64_t base = uint64_t{reg(regs::TDBAH(q))} << 32 | reg(regs::TDBAL(q));
        return reinterpret_cast<uint8_t*>(base) + 16 * i;
    }
    // Plays the 82576 writing a received frame back into descriptor i of queue q.
    void receive(uint16_t q, uint32_t i, const std::vector<uint8_t>& f, uint32_t hash,
                 uint32_t status_error = intel::adv_rx::DD | intel::adv_rx::EOP) {
        auto* d = reinterpret_cast<intel::AdvRxDesc*>(rx_desc(q, i));
        std::memcpy(reinterpret_cast<void*>(d->read.pkt_addr), f.data(), f.size());
        d->wb.pkt_info = hash != 0 ? 1 : 0;  // RSS type TCP/IPv4
        d->wb.rss_hash = hash;
        d->wb.length = static_cast<uint16_t>(f.size());
        d->wb.status_error = status_error;
    }

    std::shared_ptr<FakeNicState> st_ = std::make_shared<FakeNicState>();
    IgbDevice dev_{st_};
    std::unique_ptr<IgbNic> nic_;  // destroyed before the device thread
};

TEST_F(IgbNicTest, BringUpRestartsAutonegotiationAndProgramsEveryQueue) {
    IgbNic& nic = open(small_options(4));
    EXPECT_EQ(dev_.an_restarts.load(), 1);
    EXPECT_TRUE(nic.link().up);
    EXPECT_EQ(nic.link().speed_mbps, 1000u);
    EXPECT_EQ(nic.mac().to_string(), "52:54:00:12:34:56");
    EXPECT_EQ(nic.queue_count(), 4u);
    EXPECT_EQ(nic.driver(), "igb");
    EXPECT_NE(reg(regs::CTRL) & ctrl::SLU, 0u);
    EXPECT_EQ(reg(regs::CTRL) & (ctrl::FRCSPD | ctrl::FRCDPX | ctrl::LRST), 0u);
    EXPECT_EQ(dev_.master_disabled_at_reset.load(), 1) << "bus mastering stopped before CTRL.RST";
    EXPECT_EQ(reg(regs::CTRL) & ctrl::GIO_MASTER_DISABLE, 0u) << "and never left stopped";
    EXPECT_NE(reg(regs::CTRL_EXT) & ctrl_ext::DRV_LOAD, 0u);
    for (uint16_t q = 0; q < 4; ++q) {
        SCOPED_TRACE(q);
        EXPECT_NE(reg(regs::RDBAL(q)) | reg(regs::RDBAH(q)), 0u);
        EXPECT_EQ(reg(regs::RDLEN(q)), 8u * 16);
        EXPECT_EQ(reg(regs::SRRCTL(q)), 2u | 1u << 25 | 1u << 31);  // 2 KiB, adv one-buffer, drop
        EXPECT_NE(reg(regs::RXDCTL(q)) & dctl::ENABLE, 0u);
        EXPECT_EQ(reg(regs::RDH(q)), 0u);
        EXPECT_EQ(reg(regs::RDT(q)), 7u);
        EXPECT_EQ(reg(regs::TDLEN(q)), 8u * 16);
        EXPECT_NE(reg(regs::TXDCTL(q)) & dctl::ENABLE, 0u);
        EXPECT_EQ(reg(regs::TDT(q)), 0u);
        // Each queue's ring is its own memory.
        if (q > 0) {
            EXPECT_NE(reg(regs::RDBAL(q)), reg(regs::RDBAL(0)));
            EXPECT_NE(&nic.tx_pool(q), &nic.tx_pool(0)) << "one pool per queue pair";
        }
    }
    EXPECT_EQ(reg(regs::RXDCTL(4)), 0u) << "queues past the count stay untouched";
    EXPECT_EQ(reg(regs::RCTL), rctl::EN | rctl::BAM | rctl::SECRC);
    EXPECT_EQ(reg(regs::TCTL) & (tctl::EN | tctl::PSP), tctl::EN | tctl::PSP);
    EXPECT_EQ(reg(regs::RXCSUM), rxcsum::PCSD | rxcsum::IPOFLD | rxcsum::TUOFLD);
    EXPECT_EQ(reg(regs::MRQC), 2u | 1u << 16 | 1u << 17 | 1u << 22);
    // The Microsoft key, byte 0 in the low byte of RSSRK0 (QEMU and Linux agree).
    EXPECT_EQ(reg(regs::RSSRK), 0xda565a6du);
    EXPECT_EQ(reg(regs::RSSRK + 36), 0xfa01acbeu);
    // RETA entry i -> queue i % 4, four entries per register, entry 0 in the low byte.
    EXPECT_EQ(reg(regs::RETA), 0x03020100u);
    EXPECT_EQ(reg(regs::RETA + 124), 0x03020100u);
    EXPECT_EQ(nic.reta()[5], 1u);
}

TEST_F(IgbNicTest, ALinkAlreadyUpIsNotRenegotiated) {
    st_->write(regs::STATUS, status::LU | status::FD | 1u << status::SPEED_SHIFT);
    IgbNic& nic = open();
    EXPECT_EQ(dev_.an_restarts.load(), 0);
    EXPECT_EQ(nic.link().speed_mbps, 100u);
}

TEST_F(IgbNicTest, TheSymmetricKeyOptionProgramsIt) {
    PciNicOptions o = small_options(2);
    o.rss_symmetric = true;
    IgbNic& nic = open(o);
    for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(reg(regs::RSSRK + 4 * i), 0x5a6d5a6du) << i;
    EXPECT_EQ(nic.rss_key(), intel::kSymmetricRssKey);
}

TEST_F(IgbNicTest, MacFromTheNvmWhenTheReceiveAddressIsNotValid) {
    st_->write(regs::RAH0, 0);
    st_->write(regs::RAL0, 0);
    dev_.nvm[0] = 0x1B00;
    dev_.nvm[1] = 0x4D21;
    dev_.nvm[2] = 0x0A0C;
    IgbNic& nic = open();
    EXPECT_EQ(nic.mac().to_string(), "00:1b:21:4d:0c:0a");
    EXPECT_EQ(reg(regs::RAH0), 0x0A0Cu | RAH_AV);
}

TEST_F(IgbNicTest, AResetThatNeverCompletesIsAnErrorWithTheRegisters) {
    dev_.resets = false;
    auto r = try_open(small_options());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("CTRL.RST still set"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("STATUS="), std::string::npos);
}

TEST_F(IgbNicTest, APhyThatNeverAnswersIsAnError) {
    dev_.mdio = false;
    auto r = try_open(small_options());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("MDIC="), std::string::npos) << r.error().message;
}

TEST_F(IgbNicTest, BadOptionsAreRefused) {
    for (uint16_t q : {uint16_t{0}, uint16_t{9}}) {
        auto r = try_open(small_options(q));
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find("queue pairs"), std::string::npos);
    }
    PciNicOptions o = small_options();
    o.rx_ring = 12;
    EXPECT_FALSE(try_open(o).ok());
}

TEST_F(IgbNicTest, EachQueueReceivesIntoItsOwnPoolWithTheHashTheNicWrote) {
    IgbNic& nic = open(small_options(4));
    receive(2, 0, frame(60, 0xA2), 0x51ccc178);
    receive(2, 1, frame(1514, 0xB2), 0x12345678);
    std::array<PacketBuf*, 8> got{};
    EXPECT_EQ(nic.rx_batch(0, got), 0u);
    EXPECT_EQ(nic.rx_batch(1, got), 0u);
    ASSERT_EQ(nic.rx_batch(2, got), 2u);
    EXPECT_EQ(got[0]->length(), 60u);
    EXPECT_EQ(got[0]->data()[40], 0xA2);
    EXPECT_EQ(got[0]->rss_hash(), 0x51ccc178u);
    EXPECT_EQ(got[1]->rss_hash(), 0x12345678u);
    EXPECT_EQ(reg(regs::RDT(2)), 1u);
    EXPECT_EQ(reg(regs::RDT(0)), 7u);
    const uint32_t before = nic.tx_pool(2).available();
    got[0]->unref();
    EXPECT_EQ(nic.tx_pool(2).available(), before + 1) << "the buffer came from queue 2's pool";
    got[1]->unref();
    EXPECT_EQ(nic.counters().rx_packets, 2u);
    EXPECT_EQ(nic.rx_batch(7, got), 0u) << "a queue past the count";
}

TEST_F(IgbNicTest, AFrameLongerThanTheBufferIsRefused) {
    IgbNic& nic = open();
    receive(0, 0, frame(60, 1), 0);
    reinterpret_cast<intel::AdvRxDesc*>(rx_desc(0, 0))->wb.length = 2049;
    receive(0, 1, frame(64, 2), 0);
    std::array<PacketBuf*, 4> got{};
    ASSERT_EQ(nic.rx_batch(0, got), 1u);
    EXPECT_EQ(got[0]->length(), 64u);
    EXPECT_EQ(nic.counters().rx_errors, 1u);
    got[0]->unref();
}

TEST_F(IgbNicTest, TransmitsOnTheQueueAskedWithAdvancedDescriptors) {
    IgbNic& nic = open(small_options(2));
    PacketBuf* b = nic.tx_pool(1).alloc();
    auto f = frame(60, 0x33);
    std::memcpy(b->append(f.size()), f.data(), f.size());
    std::array<PacketBuf*, 1> bufs{b};
    ASSERT_EQ(nic.tx_batch(1, bufs), 1u);
    EXPECT_EQ(reg(regs::TDT(1)), 1u);
    EXPECT_EQ(reg(regs::TDT(0)), 0u);
    auto* d = reinterpret_cast<intel::AdvTxDesc*>(tx_desc(1, 0));
    EXPECT_EQ(d->read.buffer_addr, b->data_iova());
    EXPECT_EQ(d->read.cmd_type_len, 60u | intel::adv_tx::DTYP_DATA | intel::adv_tx::DEXT |
                                        intel::adv_tx::IFCS | intel::adv_tx::EOP |
                                        intel::adv_tx::RS);
    EXPECT_EQ(d->read.olinfo_status, 60u << 14);
    const uint32_t before = nic.tx_pool(1).available();
    d->wb.status = intel::adv_tx::STA_DD;  // the NIC is done
    nic.tx_batch(1, {});
    EXPECT_EQ(nic.tx_pool(1).available(), before + 1);
    EXPECT_EQ(nic.counters().tx_packets, 1u);
}

TEST_F(IgbNicTest, StatisticsAndPerQueueDropsAccumulate) {
    IgbNic& nic = open(small_options(2));
    st_->write(regs::GPRC, 5);
    st_->write(regs::MPC, 3);
    st_->write(regs::RQDPC(1), 4);
    st_->write(regs::CRCERRS, 2);
    const NicCounters c = nic.counters();
    EXPECT_EQ(nic.hw_stats().gprc, 5u);
    EXPECT_EQ(c.rx_dropped, 3u + 4u);
    EXPECT_EQ(c.rx_errors, 2u);
    EXPECT_EQ(nic.rx_queue_drops(1), 4u);
    EXPECT_EQ(nic.rx_queue_drops(0), 0u);
}

// Nic::queue_counters (stats' nic.queues[]): each queue pair's own packets, bytes and drops
// (its software counts plus its RQDPC); port-wide drops (MPC) stay in counters() alone.
TEST_F(IgbNicTest, QueueCountersAreEachQueuesOwn) {
    IgbNic& nic = open(small_options(2));
    receive(1, 0, frame(60, 0xA1), 0);
    receive(1, 1, frame(100, 0xB1), 0);
    std::array<PacketBuf*, 4> got{};
    ASSERT_EQ(nic.rx_batch(1, got), 2u);
    got[0]->unref();
    got[1]->unref();
    PacketBuf* b = nic.tx_pool(1).alloc();
    auto f = frame(70, 0x33);
    std::memcpy(b->append(f.size()), f.data(), f.size());
    std::array<PacketBuf*, 1> bufs{b};
    ASSERT_EQ(nic.tx_batch(1, bufs), 1u);
    st_->write(regs::MPC, 3);
    st_->write(regs::RQDPC(1), 4);
    const QueueCounters q1 = nic.queue_counters(1);
    EXPECT_EQ(q1.rx_packets, 2u);
    EXPECT_EQ(q1.rx_bytes, 160u);
    EXPECT_EQ(q1.rx_dropped, 4u);
    EXPECT_EQ(q1.tx_packets, 1u);
    EXPECT_EQ(q1.tx_bytes, 70u);
    EXPECT_EQ(q1.tx_dropped, 0u);
    const QueueCounters q0 = nic.queue_counters(0);
    EXPECT_EQ(q0.rx_packets + q0.tx_packets + q0.rx_dropped, 0u);
    EXPECT_EQ(nic.counters().rx_dropped, 7u);  // MPC is the port's, not a queue's
    EXPECT_EQ(nic.queue_counters(2).rx_packets, 0u) << "a queue past the count";
}

TEST_F(IgbNicTest, PromiscuousOnRequestAndAtStart) {
    IgbNic& nic = open();
    nic.set_promiscuous(true);
    EXPECT_EQ(reg(regs::RCTL) & (rctl::UPE | rctl::MPE), rctl::UPE | rctl::MPE);
    nic.set_promiscuous(false);
    EXPECT_EQ(reg(regs::RCTL) & (rctl::UPE | rctl::MPE), 0u);
}

TEST_F(IgbNicTest, StoppingDisablesEveryQueueAndReceiveAndTransmit) {
    IgbNic& nic = open(small_options(3));
    nic.stop();
    EXPECT_EQ(reg(regs::RCTL), 0u);
    EXPECT_EQ(reg(regs::TCTL), 0u);
    for (uint16_t q = 0; q < 3; ++q) {
        EXPECT_EQ(reg(regs::RXDCTL(q)), 0u);
        EXPECT_EQ(reg(regs::TXDCTL(q)), 0u);
    }
    nic.stop();  // idempotent
}

// --- Device faults (issue 11) ---

// A removed 82576: STATUS all ones. Reported once, counters kept (RQDPC too), no register
// written afterwards (rx, tx, the stop), and bus mastering still cleared (config space, the
// kernel's side) before the rings and pools are freed.
TEST_F(IgbNicTest, DeviceGoneStopsRegisterWritesKeepsCountersAndIsReported) {
    IgbNic& nic = open(small_options(2));
    st_->write(regs::MPC, 3);
    st_->write(regs::RQDPC(1), 4);
    const NicCounters before = nic.counters();
    ASSERT_EQ(before.rx_dropped, 7u);
    receive(1, 0, frame(60, 1), 0);  // written just before it went (the ring is in memory)
    dev_.resets = false;
    st_->vanish();
    EXPECT_EQ(nic.health(), NicHealth::gone);
    EXPECT_NE(nic.health_message().find("device gone: STATUS reads 0xffffffff"), std::string::npos);
    const NicCounters after = nic.counters();
    EXPECT_EQ(after.rx_dropped, before.rx_dropped);
    EXPECT_EQ(nic.rx_queue_drops(1), 4u);
    std::array<PacketBuf*, 4> got{};
    EXPECT_EQ(nic.rx_batch(1, got), 0u);
    EXPECT_FALSE(nic.link().up);
    nic_.reset();
    EXPECT_TRUE(st_->all_ones());
    const auto ev = st_->recorded();
    const auto at = [&](const std::string& prefix) {
        for (size_t i = 0; i < ev.size(); ++i) {
            if (ev[i].rfind(prefix, 0) == 0) return i;
        }
        return std::string::npos;
    };
    ASSERT_NE(at("bus master off"), std::string::npos);
    EXPECT_LT(at("bus master off"), at("free "));
}

// The ordering at stop on a present device: queues off, bus mastering off, then the reset, and
// only after all that any DMA memory freed; in no-IOMMU mode the device is closed before that.
TEST_F(IgbNicTest, StopOrderBusMasterThenCloseThenMemory) {
    st_->iommu = false;
    open(small_options(2));
    nic_.reset();
    const auto ev = st_->recorded();
    const auto at = [&](const std::string& prefix) {
        for (size_t i = 0; i < ev.size(); ++i) {
            if (ev[i].rfind(prefix, 0) == 0) return i;
        }
        return std::string::npos;
    };
    ASSERT_NE(at("bus master off"), std::string::npos);
    ASSERT_NE(at("close"), std::string::npos);
    EXPECT_LT(at("bus master off"), at("close"));
    EXPECT_LT(at("close"), at("free "));
    EXPECT_EQ(reg(regs::RCTL), 0u);
}

TEST_F(IgbNicTest, InterruptModeGivesEachQueuePairItsOwnMsixVector) {
    PciNicOptions o = small_options(4);
    o.interrupts = true;
    o.itr_interval_us = 50;
    IgbNic& nic = open(o);
    EXPECT_EQ(st_->enabled_kind, IrqKind::msix);
    EXPECT_EQ(st_->enabled_vectors, 4u);
    EXPECT_EQ(reg(regs::GPIE) & (gpie::MSIX_MODE | gpie::PBA_SUPPORT),
              gpie::MSIX_MODE | gpie::PBA_SUPPORT);
    for (uint16_t q = 0; q < 4; ++q) {
        SCOPED_TRACE(q);
        // RX queue q on vector q (low byte of IVAR q), its TX entry left invalid.
        EXPECT_EQ(reg(regs::IVAR(q)), ivar::VALID | q);
        EXPECT_EQ(reg(regs::EITR(q)), 50u << 2);
        EXPECT_GE(nic.wait_fd(q), 0);
        if (q > 0) {
            EXPECT_NE(nic.wait_fd(q), nic.wait_fd(0));
        }
    }
    EXPECT_EQ(reg(regs::EIMS), 0xFu);
    EXPECT_EQ(reg(regs::EIAC), 0xFu) << "auto-clear: no register write to re-arm";
    EXPECT_EQ(nic.wait_fd(4), -1);

    // The queue's eventfd reads like a socket: drained when its ring is empty...
    const int fd = nic.wait_fd(3);
    const uint64_t one = 1;
    ASSERT_EQ(::write(fd, &one, sizeof(one)), 8);  // the vector fired
    std::array<PacketBuf*, 4> got{};
    EXPECT_EQ(nic.rx_batch(3, got), 0u);
    uint64_t v = 0;
    EXPECT_LT(::read(fd, &v, sizeof(v)), 0) << "drained on an empty ring";
    // ...and signalled again when a frame is waiting beyond what the caller took.
    receive(3, 0, frame(60, 1), 0);
    receive(3, 1, frame(60, 2), 0);
    std::array<PacketBuf*, 1> one_buf{};
    ASSERT_EQ(nic.rx_batch(3, one_buf), 1u);
    one_buf[0]->unref();
    std::array<PacketBuf*, 0> none{};
    EXPECT_EQ(nic.rx_batch(3, none), 0u);
    EXPECT_EQ(::read(fd, &v, sizeof(v)), 8) << "a frame still waits: the fd stays readable";
    nic.stop();
    EXPECT_EQ(reg(regs::EIAC), 0u);
}

TEST_F(IgbNicTest, InterruptsNeedAnMsixVectorPerQueuePair) {
    PciNicOptions o = small_options(8);
    o.interrupts = true;
    st_->msix_vectors = 5;
    auto r = try_open(o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("8 queue pairs need 8 MSI-X vectors, the function offers 5"),
              std::string::npos)
        << r.error().message;
    o = small_options(1);
    o.interrupts = true;
    o.irq_mode = IrqMode::msi;
    r = try_open(o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("MSI interrupts are not supported"), std::string::npos)
        << r.error().message;
}

TEST_F(IgbNicTest, ThePciFactoryPicksIgbByDeviceId) {
    auto r = open_pci_nic(std::make_unique<FakePciFunction>(st_), 0x8086, 0x10C9, small_options());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->driver(), "igb");
    EXPECT_EQ(describe_pci_nic(0x8086, 0x10C9), "8086:10c9 82576 (igb)");
    auto bad =
        open_pci_nic(std::make_unique<FakePciFunction>(st_), 0x8086, 0x1234, small_options());
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("8086:10c9"), std::string::npos) << bad.error().message;
    // The e1000 driver refuses a second queue pair instead of ignoring it.
    auto e = open_pci_nic(std::make_unique<FakePciFunction>(st_), 0x8086, 0x100E, small_options(2));
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("one queue pair"), std::string::npos);
}

}  // namespace
}  // namespace shunt::igb
