// The e1000/e1000e driver against a memory-backed register file: the test plays the NIC (it
// writes received frames and sets done bits in the rings the driver set up) and checks the
// registers and descriptors the driver programs.
#include "driver/e1000/e1000_nic.hpp"
#include "driver/e1000/bits.hpp"
#include "driver/e1000/regs.hpp"
#include "packet/packet_buf.hpp"
#include "tests/unit/drivers/fake_pci.hpp"
#include "tools/stack_loop.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

namespace shunt::e1000 {
namespace {

using test::DeviceModel;
using test::FakeNicState;
using test::FakePciFunction;

PciNicOptions small_options() {
    PciNicOptions o;
    o.rx_ring = 8;
    o.tx_ring = 8;
    o.pool_buffers = 128;
    o.link_timeout = Duration(100'000);
    return o;
}

// A UDP/IPv4 frame of `size` bytes with zeroed checksums.
std::vector<uint8_t> udp_frame(size_t size, uint8_t fill) {
    std::vector<uint8_t> f(size, fill);
    const uint8_t head[] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57, 0x52, 0x54, 0x00, 0x12, 0x34,
                            0x56, 0x08, 0x00, 0x45, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                            0x40, 0x11, 0x00, 0x00, 10,   0,    2,    99,   10,   0,    2,
                            2,    0x10, 0x92, 0x10, 0x93, 0x00, 0x00, 0x00, 0x00};
    std::memcpy(f.data(), head, sizeof(head));
    const auto ip_len = static_cast<uint16_t>(size - 14);
    f[16] = static_cast<uint8_t>(ip_len >> 8);
    f[17] = static_cast<uint8_t>(ip_len);
    const auto udp_len = static_cast<uint16_t>(ip_len - 20);
    f[38] = static_cast<uint8_t>(udp_len >> 8);
    f[39] = static_cast<uint8_t>(udp_len);
    return f;
}

class E1000NicTest : public ::testing::Test {
  protected:
    void SetUp() override {
        st_->write(regs::STATUS, status::LU | status::FD | 2u << status::SPEED_SHIFT);
        st_->write(regs::RAL0, 0x12005452);  // 52:54:00:12:34:56
        st_->write(regs::RAH0, 0x5634 | rah::AV);
        st_->write(0x00010, 1u << 9);  // EECD.AUTO_RD for the 82574
    }

    Result<std::unique_ptr<E1000Nic>> try_open(uint16_t device_id, const PciNicOptions& o) {
        if (!model_) model_ = std::make_unique<DeviceModel>(st_);
        st_->eerd_82574 = find_model(0x8086, device_id)->eerd.done == (1u << 1);
        return E1000Nic::create(std::make_unique<FakePciFunction>(st_),
                                *find_model(0x8086, device_id), o);
    }
    E1000Nic& open(uint16_t device_id = 0x100E, PciNicOptions o = small_options()) {
        auto r = try_open(device_id, o);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        nic_ = std::move(r).value();
        return *nic_;
    }

    uint32_t reg(uint32_t offset) { return st_->read(offset); }
    RxDesc* rx_ring() {
        return reinterpret_cast<RxDesc*>(uint64_t{reg(regs::RDBAH)} << 32 | reg(regs::RDBAL));
    }
    TxSlot* tx_ring() {
        return reinterpret_cast<TxSlot*>(uint64_t{reg(regs::TDBAH)} << 32 | reg(regs::TDBAL));
    }
    // Plays the NIC receiving `frame` into descriptor idx.
    void receive(uint32_t idx, const std::vector<uint8_t>& frame,
                 uint8_t status = rxd_status::DD | rxd_status::EOP, uint8_t errors = 0) {
        RxDesc& d = rx_ring()[idx];
        std::memcpy(reinterpret_cast<void*>(d.buffer_addr), frame.data(), frame.size());
        d.length = static_cast<uint16_t>(frame.size());
        d.errors = errors;
        d.status = status;
    }
    // Plays the NIC finishing TX slots [from, to): like the hardware, it writes the done bit
    // back only where the descriptor asked for it (RS; SDM §3.3.3.1).
    void complete_tx(uint32_t from, uint32_t to, uint32_t size = 8) {
        for (uint32_t i = from; i != to; i = (i + 1) % size) {
            if ((tx_ring()[i].legacy.cmd & txd_cmd::RS) != 0) tx_ring()[i].legacy.status |= 1;
        }
    }
    // The metadata the stack records for udp_frame(size) (l2 14, l3 20, UDP, its seed).
    static void set_udp_meta(PacketBuf* b, size_t size, uint16_t l2 = 14, uint16_t l3 = 20) {
        const auto l4_len = static_cast<uint16_t>(size - l2 - l3);
        b->set_l2_len(l2);
        b->set_l3_meta(l3, l4_type::udp, l4_len, static_cast<uint16_t>(kUdpSeedBase + l4_len));
    }
    // 10.0.2.99 + 10.0.2.2 + protocol 17: the seed without its length.
    static constexpr uint32_t kUdpSeedBase = 0x0A00 + 0x0263 + 0x0A00 + 0x0202 + 17;

    std::vector<PacketBuf*> make_tx(size_t n, size_t size = 60, uint16_t flags = 0) {
        std::vector<PacketBuf*> v;
        for (size_t i = 0; i < n; ++i) {
            PacketBuf* b = nic_->tx_pool(0).alloc();
            auto f = udp_frame(size, static_cast<uint8_t>(i));
            std::memcpy(b->append(f.size()), f.data(), f.size());
            b->set_flags(flags);
            if (flags != 0) set_udp_meta(b, size);
            v.push_back(b);
        }
        return v;
    }

    // A TX buffer whose first `size` bytes of data would cross a 4 KiB IOVA boundary (at least
    // 100 bytes before it), or null; the buffers passed over go back to the pool.
    PacketBuf* alloc_across_4k(size_t size) {
        std::vector<PacketBuf*> others;
        PacketBuf* found = nullptr;
        while (found == nullptr) {
            PacketBuf* b = nic_->tx_pool(0).alloc();
            if (b == nullptr) break;
            const uint64_t at = b->data_iova() % 4096;
            if (at + size > 4096 && at + 100 < 4096) {
                found = b;
            } else {
                others.push_back(b);
            }
        }
        Mempool::unref_batch(others);
        return found;
    }
    std::shared_ptr<FakeNicState> st_ = std::make_shared<FakeNicState>();
    std::unique_ptr<DeviceModel> model_;
    std::unique_ptr<E1000Nic> nic_;  // destroyed before the device model
};

TEST_F(E1000NicTest, BringUpProgramsRingsAndControlRegisters) {
    E1000Nic& nic = open();
    EXPECT_EQ(nic.name(), "pci:0000:00:02.0");
    EXPECT_EQ(nic.driver(), "e1000");
    EXPECT_EQ(nic.mac().to_string(), "52:54:00:12:34:56");
    EXPECT_EQ(reg(regs::RAH0), 0x5634u | rah::AV);
    EXPECT_TRUE(nic.link().up);
    EXPECT_EQ(nic.link().speed_mbps, 1000u);
    EXPECT_EQ(reg(regs::CTRL) & (ctrl::SLU | ctrl::ASDE | ctrl::RST | ctrl::PHY_RST | ctrl::LRST),
              ctrl::SLU | ctrl::ASDE);
    const uint32_t rctl = reg(regs::RCTL);
    EXPECT_EQ(rctl & (rctl::EN | rctl::BAM | rctl::SECRC), rctl::EN | rctl::BAM | rctl::SECRC);
    EXPECT_EQ(rctl & (rctl::BSIZE_MASK | rctl::BSEX | rctl::LPE | rctl::UPE | rctl::MPE), 0u);
    EXPECT_EQ(reg(regs::RDLEN), 8u * 16);
    EXPECT_EQ(reg(regs::RDH), 0u);
    EXPECT_EQ(reg(regs::RDT), 7u);
    EXPECT_EQ(reg(regs::TDLEN), 8u * 16);
    EXPECT_EQ(reg(regs::TDT), 0u);
    EXPECT_EQ(reg(regs::TCTL), tctl::EN | tctl::PSP | 0x0Fu << 4 | 0x40u << 12);
    EXPECT_EQ(reg(regs::RXCSUM), rxcsum::IPOFL | rxcsum::TUOFL);
    EXPECT_EQ(reg(regs::IMS), 0u);  // poll mode: nothing unmasked
    EXPECT_EQ(reg(regs::IMC), icr::ALL);
    EXPECT_EQ(nic.wait_fd(0), -1);
    for (uint32_t i = 0; i < 8; ++i) {
        EXPECT_NE(rx_ring()[i].buffer_addr, 0u);
        EXPECT_EQ(rx_ring()[i].status, 0u);
    }
    const NicCaps caps = nic.caps();
    EXPECT_TRUE(caps.rx_ip_csum && caps.rx_l4_csum && caps.tx_ip_csum && caps.tx_l4_csum);
}

TEST_F(E1000NicTest, MacFromEepromWhenReceiveAddressIsNotValid8254x) {
    st_->write(regs::RAH0, 0);
    st_->write(regs::RAL0, 0);
    st_->eeprom[0] = 0x1B02;
    st_->eeprom[1] = 0x3D2C;
    st_->eeprom[2] = 0x5F4E;
    E1000Nic& nic = open(0x100E);
    EXPECT_EQ(nic.mac().to_string(), "02:1b:2c:3d:4e:5f");
    EXPECT_EQ(reg(regs::RAL0), 0x3D2C1B02u);
    EXPECT_EQ(reg(regs::RAH0), 0x5F4Eu | rah::AV);
}

TEST_F(E1000NicTest, MacFromEepromWhenReceiveAddressIsNotValid82574) {
    st_->write(regs::RAH0, 0);
    st_->eeprom[0] = 0x1B02;
    st_->eeprom[1] = 0x3D2C;
    st_->eeprom[2] = 0x5F4E;
    E1000Nic& nic = open(0x10D3);
    EXPECT_EQ(nic.driver(), "e1000e");
    EXPECT_EQ(nic.mac().to_string(), "02:1b:2c:3d:4e:5f");
}

TEST_F(E1000NicTest, ResetThatNeverCompletesIsAnErrorWithTheRegisters) {
    st_->model_resets = false;
    auto r = try_open(0x100E, small_options());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("CTRL.RST still set"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("CTRL=0x"), std::string::npos);
    EXPECT_NE(r.error().message.find("STATUS=0x"), std::string::npos);
    st_->model_resets = true;  // let the failed open's shutdown finish quickly
}

TEST_F(E1000NicTest, BadRingSizesAreRejected) {
    PciNicOptions o = small_options();
    o.rx_ring = 100;
    auto r = try_open(0x100E, o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("powers of two"), std::string::npos);
}

TEST_F(E1000NicTest, UnsupportedDeviceIdIsNamed) {
    auto r = open_pci_nic(std::make_unique<FakePciFunction>(st_), 0x8086, 0x1234, small_options());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("8086:1234"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("8086:100e"), std::string::npos);  // lists what works
    EXPECT_EQ(describe_pci_nic(0x8086, 0x10d3), "8086:10d3 82574L (e1000e)");
}

TEST_F(E1000NicTest, ReceivesFramesAndReturnsDescriptorsInOneTailWrite) {
    E1000Nic& nic = open();
    std::array<PacketBuf*, 8> got{};
    EXPECT_EQ(nic.rx_batch(0, got), 0u);
    EXPECT_EQ(reg(regs::RDT), 7u);  // nothing consumed, no tail write
    const uint64_t old_addr0 = rx_ring()[0].buffer_addr;
    receive(0, udp_frame(60, 0xAA));
    receive(1, udp_frame(1514, 0xBB));
    receive(2, udp_frame(100, 0xCC),
            rxd_status::DD | rxd_status::EOP | rxd_status::IPCS | rxd_status::TCPCS,
            rxd_errors::TCPE);
    ASSERT_EQ(nic.rx_batch(0, got), 3u);
    EXPECT_EQ(got[0]->length(), 60u);
    EXPECT_EQ(got[0]->data()[50], 0xAA);
    EXPECT_EQ(got[1]->length(), 1514u);
    EXPECT_EQ(got[1]->bytes().back(), 0xBB);
    EXPECT_EQ(got[0]->flags(), 0u);
    EXPECT_EQ(got[2]->flags(), rx_flags::ip_csum_good | rx_flags::l4_csum_bad);
    EXPECT_EQ(reg(regs::RDT), 2u);                   // the last re-armed descriptor
    EXPECT_NE(rx_ring()[0].buffer_addr, old_addr0);  // a fresh buffer behind it
    EXPECT_EQ(rx_ring()[0].status, 0u);
    EXPECT_EQ(nic.counters().rx_packets, 3u);
    EXPECT_EQ(nic.counters().rx_bytes, 60u + 1514 + 100);
    for (size_t i = 0; i < 3; ++i) got[i]->unref();
}

TEST_F(E1000NicTest, ReceiveWrapsAroundTheRing) {
    E1000Nic& nic = open();
    std::array<PacketBuf*, 8> got{};
    for (uint32_t round = 0; round < 3; ++round) {
        for (uint32_t k = 0; k < 5; ++k) receive((round * 5 + k) % 8, udp_frame(64, 1));
        ASSERT_EQ(nic.rx_batch(0, got), 5u) << "round " << round;
        EXPECT_EQ(reg(regs::RDT), (round * 5 + 4) % 8);
        for (size_t i = 0; i < 5; ++i) got[i]->unref();
    }
    EXPECT_EQ(nic.counters().rx_packets, 15u);
}

TEST_F(E1000NicTest, IgnoreChecksumIndicationGivesNoFlags) {
    E1000Nic& nic = open();
    std::array<PacketBuf*, 1> got{};
    receive(0, udp_frame(60, 0),
            rxd_status::DD | rxd_status::EOP | rxd_status::IXSM | rxd_status::IPCS,
            rxd_errors::IPE);  // QEMU's e1000 always sets IXSM
    ASSERT_EQ(nic.rx_batch(0, got), 1u);
    EXPECT_EQ(got[0]->flags(), 0u);
    got[0]->unref();
}

TEST_F(E1000NicTest, BadAndMultiDescriptorFramesAreDroppedAndCounted) {
    E1000Nic& nic = open();
    std::array<PacketBuf*, 8> got{};
    receive(0, udp_frame(60, 0), rxd_status::DD | rxd_status::EOP, rxd_errors::CE);
    receive(1, udp_frame(60, 0), rxd_status::DD);  // first piece of a long frame
    receive(2, udp_frame(60, 0), rxd_status::DD);
    receive(3, udp_frame(60, 0), rxd_status::DD | rxd_status::EOP);  // its last piece
    receive(4, udp_frame(60, 7));
    ASSERT_EQ(nic.rx_batch(0, got), 1u);
    EXPECT_EQ(got[0]->data()[50], 7);
    EXPECT_EQ(reg(regs::RDT), 4u);  // all five descriptors went back to the NIC
    EXPECT_EQ(nic.counters().rx_errors, 2u);
    got[0]->unref();
}

TEST_F(E1000NicTest, EmptyPoolDropsTheFrameAndKeepsTheRingFull) {
    E1000Nic& nic = open();
    std::vector<PacketBuf*> hog;
    while (PacketBuf* b = nic.tx_pool(0).alloc()) hog.push_back(b);
    const uint64_t addr = rx_ring()[0].buffer_addr;
    receive(0, udp_frame(60, 0));
    std::array<PacketBuf*, 4> got{};
    EXPECT_EQ(nic.rx_batch(0, got), 0u);
    EXPECT_EQ(rx_ring()[0].buffer_addr, addr);  // same buffer re-armed
    EXPECT_EQ(reg(regs::RDT), 0u);
    EXPECT_EQ(nic.counters().rx_dropped, 1u);
    Mempool::unref_batch(hog);
}

TEST_F(E1000NicTest, TransmitsWithLegacyDescriptorsAndOneDoorbell) {
    E1000Nic& nic = open();
    auto bufs = make_tx(3, 60);
    ASSERT_EQ(nic.tx_batch(0, bufs), 3u);
    EXPECT_EQ(reg(regs::TDT), 3u);
    for (uint32_t i = 0; i < 3; ++i) {
        const TxDesc& d = tx_ring()[i].legacy;
        EXPECT_EQ(d.buffer_addr, bufs[i]->data_iova());
        EXPECT_EQ(d.length, 60u);
        // Report status every rs_thresh (8 / 4 = 2) descriptors and on the burst's last.
        const uint8_t rs = i == 0 ? 0 : txd_cmd::RS;
        EXPECT_EQ(d.cmd, txd_cmd::EOP | txd_cmd::IFCS | rs) << i;
    }
    EXPECT_EQ(nic.counters().tx_status_reports, 2u);
    EXPECT_EQ(nic.counters().tx_doorbells, 1u);
    const uint32_t before = nic.tx_pool(0).available();
    complete_tx(0, 2);                   // slot 2 not done yet
    st_->write(regs::TDH, 3);            // a head that ran ahead of the done bits must not matter
    EXPECT_EQ(nic.tx_batch(0, {}), 0u);  // reaps
    EXPECT_EQ(nic.tx_pool(0).available(), before + 2);
    complete_tx(2, 3);
    nic.tx_batch(0, {});
    EXPECT_EQ(nic.tx_pool(0).available(), before + 3);
    EXPECT_EQ(nic.counters().tx_packets, 3u);
}

// QEMU's e1000e/igb drop a frame whose buffer crosses an IOMMU page (one DMA map per
// descriptor): such a frame goes out in two descriptors split at the 4 KiB boundary, EOP on
// the second, and its buffer is reaped once, with the second.
TEST_F(E1000NicTest, AFrameAcrossA4KiBBoundaryUsesTwoDescriptors) {
    E1000Nic& nic = open();
    constexpr size_t kSize = 1514;
    PacketBuf* crossing = alloc_across_4k(kSize);
    ASSERT_NE(crossing, nullptr) << "no buffer in the pool crosses a 4 KiB boundary";
    const auto f = udp_frame(kSize, 7);
    std::memcpy(crossing->append(f.size()), f.data(), f.size());
    const uint64_t iova = crossing->data_iova();
    const auto first = static_cast<uint16_t>(4096 - iova % 4096);
    std::array<PacketBuf*, 1> v{crossing};
    ASSERT_EQ(nic.tx_batch(0, v), 1u);
    EXPECT_EQ(reg(regs::TDT), 2u);
    const TxDesc& a = tx_ring()[0].legacy;
    const TxDesc& b = tx_ring()[1].legacy;
    EXPECT_EQ(a.buffer_addr, iova);
    EXPECT_EQ(a.length, first);
    EXPECT_EQ(a.cmd, txd_cmd::IFCS);  // no EOP: the frame goes on; no RS: mid-packet
    EXPECT_EQ(b.buffer_addr, iova + first);
    EXPECT_EQ(b.length, kSize - first);
    EXPECT_EQ(b.cmd, txd_cmd::EOP | txd_cmd::IFCS | txd_cmd::RS);
    EXPECT_EQ((b.buffer_addr + b.length - 1) / 4096, b.buffer_addr / 4096);  // one page each
    const uint32_t before = nic.tx_pool(0).available();
    complete_tx(0, 1);
    nic.tx_batch(0, {});
    EXPECT_EQ(nic.tx_pool(0).available(), before);  // not home before its last descriptor
    complete_tx(1, 2);
    nic.tx_batch(0, {});
    EXPECT_EQ(nic.tx_pool(0).available(), before + 1);
    EXPECT_EQ(nic.counters().tx_packets, 1u);
}

// With checksum offload the two pieces are data descriptors with the same POPTS.
TEST_F(E1000NicTest, AnOffloadedFrameAcrossA4KiBBoundaryRepeatsItsOptions) {
    E1000Nic& nic = open();
    constexpr size_t kSize = 1000;
    PacketBuf* crossing = alloc_across_4k(kSize);
    ASSERT_NE(crossing, nullptr) << "no buffer in the pool crosses a 4 KiB boundary";
    const auto f = udp_frame(kSize, 3);
    std::memcpy(crossing->append(f.size()), f.data(), f.size());
    crossing->set_flags(tx_flags::ip_csum | tx_flags::l4_csum);
    set_udp_meta(crossing, kSize);
    std::array<PacketBuf*, 1> v{crossing};
    ASSERT_EQ(nic.tx_batch(0, v), 1u);
    EXPECT_EQ(reg(regs::TDT), 3u);  // context + two data descriptors
    const TxDataDesc& a = tx_ring()[1].data;
    const TxDataDesc& b = tx_ring()[2].data;
    const auto first = static_cast<uint32_t>(4096 - crossing->data_iova() % 4096);
    EXPECT_EQ(a.cmd_and_length, first | txd_ext::DTYP_DATA | txd_ext::DEXT | txd_ext::IFCS);
    EXPECT_EQ(b.cmd_and_length, (kSize - first) | txd_ext::DTYP_DATA | txd_ext::DEXT |
                                    txd_ext::EOP | txd_ext::IFCS | txd_ext::RS);
    EXPECT_EQ(a.popts, txd_popts::IXSM | txd_popts::TXSM);
    EXPECT_EQ(b.popts, txd_popts::IXSM | txd_popts::TXSM);
}

TEST_F(E1000NicTest, FullRingTakesOnlyWhatFitsAndLeavesTheRestToTheCaller) {
    E1000Nic& nic = open();
    auto bufs = make_tx(10);
    EXPECT_EQ(nic.tx_batch(0, bufs), 7u);  // 8 slots, one always empty
    EXPECT_EQ(reg(regs::TDT), 7u);
    EXPECT_EQ(nic.tx_batch(0, {bufs.data() + 7, 3}), 0u);
    complete_tx(0, 4);
    EXPECT_EQ(nic.tx_batch(0, {bufs.data() + 7, 3}), 3u);
    EXPECT_EQ(reg(regs::TDT), 2u);  // wrapped
}

TEST_F(E1000NicTest, OversizedAndEmptyFramesAreTakenAndDropped) {
    E1000Nic& nic = open();
    PacketBuf* big = nic.tx_pool(0).alloc();
    big->append(1519);
    PacketBuf* empty = nic.tx_pool(0).alloc();
    std::array<PacketBuf*, 2> v{big, empty};
    EXPECT_EQ(nic.tx_batch(0, v), 2u);
    EXPECT_EQ(reg(regs::TDT), 0u);
    EXPECT_EQ(nic.counters().tx_dropped, 2u);
}

TEST_F(E1000NicTest, ChecksumOffloadUsesOneContextForFramesWithTheSameLayout) {
    E1000Nic& nic = open();
    auto bufs = make_tx(2, 100, tx_flags::ip_csum | tx_flags::l4_csum);
    ASSERT_EQ(nic.tx_batch(0, bufs), 2u);
    EXPECT_EQ(reg(regs::TDT), 3u);  // context + 2 data descriptors
    const TxContextDesc& c = tx_ring()[0].context;
    EXPECT_EQ(c.ipcss, 14);
    EXPECT_EQ(c.ipcso, 24);
    EXPECT_EQ(c.ipcse, 33);
    EXPECT_EQ(c.tucss, 34);
    EXPECT_EQ(c.tucso, 40);
    EXPECT_EQ(c.tucse, 0);
    EXPECT_EQ(c.cmd_and_length, txd_ext::DEXT | txd_ext::IP | txd_ext::DTYP_CONTEXT);  // UDP
    for (uint32_t i = 1; i < 3; ++i) {
        const TxDataDesc& d = tx_ring()[i].data;
        EXPECT_EQ(d.buffer_addr, bufs[i - 1]->data_iova());
        EXPECT_EQ(d.cmd_and_length & ~txd_ext::RS,
                  100u | txd_ext::DTYP_DATA | txd_ext::DEXT | txd_ext::EOP | txd_ext::IFCS);
        EXPECT_EQ(d.popts, txd_popts::IXSM | txd_popts::TXSM);
    }
    const uint8_t* f = bufs[0]->data();
    EXPECT_EQ(f[24], 0);  // the IP checksum is left as the stack wrote it (zero)
    EXPECT_EQ(f[25], 0);
    // UDP checksum field seeded from the metadata: 10.0.2.99 + 10.0.2.2 + 17 + 66.
    EXPECT_EQ(f[40] << 8 | f[41], static_cast<int>(kUdpSeedBase + 66));
    complete_tx(0, 3);  // the context slot has no buffer; reaping must step over it
    const uint32_t before = nic.tx_pool(0).available();
    nic.tx_batch(0, {});
    EXPECT_EQ(nic.tx_pool(0).available(), before + 2);
}

TEST_F(E1000NicTest, TcpAndIpOnlyOffloadChoosesItsFields) {
    E1000Nic& nic = open();
    auto bufs = make_tx(2, 80);
    bufs[0]->set_flags(tx_flags::ip_csum | tx_flags::l4_csum);  // TCP, full offload
    bufs[0]->set_l2_len(14);
    bufs[0]->set_l3_meta(20, l4_type::tcp, 46, 0x1234);
    bufs[1]->set_flags(tx_flags::ip_csum);  // UDP, IP header only
    set_udp_meta(bufs[1], 80);
    ASSERT_EQ(nic.tx_batch(0, bufs), 2u);
    EXPECT_EQ(reg(regs::TDT), 4u);  // two different contexts
    EXPECT_EQ(tx_ring()[0].context.tucso, 34 + 16);
    EXPECT_EQ(tx_ring()[0].context.cmd_and_length & txd_ext::TCP, txd_ext::TCP);
    EXPECT_EQ(tx_ring()[1].data.popts, txd_popts::IXSM | txd_popts::TXSM);
    EXPECT_EQ(bufs[0]->data()[50] << 8 | bufs[0]->data()[51], 0x1234);  // the TCP seed
    EXPECT_EQ(tx_ring()[3].data.popts, txd_popts::IXSM);
    EXPECT_EQ(bufs[1]->data()[40] << 8 | bufs[1]->data()[41], 0);  // no L4 offload: untouched
}

// The context comes from the buffer's metadata alone: the frame's bytes are not read (here they
// claim ARP), so headers of any length the stack records (IPv4 options, a VLAN tag) and
// trailing padding come out right.
TEST_F(E1000NicTest, OffloadContextComesFromMetadataNotFromTheFrame) {
    E1000Nic& nic = open();
    auto bufs = make_tx(3, 120);
    for (PacketBuf* b : bufs) {
        b->data()[12] = 0x08;
        b->data()[13] = 0x06;  // ARP: a parser would send these plain
        b->set_flags(tx_flags::ip_csum | tx_flags::l4_csum);
    }
    bufs[0]->set_l2_len(14);
    bufs[0]->set_l3_meta(24, l4_type::tcp, 120 - 38, 0x0101);  // IPv4 with 4 bytes of options
    bufs[1]->set_l2_len(18);
    bufs[1]->set_l3_meta(20, l4_type::udp, 120 - 38, 0x0202);  // one 802.1Q tag
    bufs[2]->set_l2_len(14);
    bufs[2]->set_l3_meta(20, l4_type::udp, 40, 0x0303);  // 46 bytes of padding after the UDP
    ASSERT_EQ(nic.tx_batch(0, bufs), 3u);
    EXPECT_EQ(reg(regs::TDT), 6u);  // three layouts, three contexts
    const TxContextDesc& opt = tx_ring()[0].context;
    EXPECT_EQ(opt.ipcss, 14);
    EXPECT_EQ(opt.ipcse, 14 + 24 - 1);
    EXPECT_EQ(opt.tucss, 38);
    EXPECT_EQ(opt.tucso, 38 + 16);
    EXPECT_EQ(opt.tucse, 0);
    EXPECT_EQ(bufs[0]->data()[54] << 8 | bufs[0]->data()[55], 0x0101);
    const TxContextDesc& vlan = tx_ring()[2].context;
    EXPECT_EQ(vlan.ipcss, 18);
    EXPECT_EQ(vlan.ipcso, 28);
    EXPECT_EQ(vlan.ipcse, 37);
    EXPECT_EQ(vlan.tucss, 38);
    EXPECT_EQ(vlan.tucso, 44);
    EXPECT_EQ(vlan.cmd_and_length & txd_ext::TCP, 0u);
    EXPECT_EQ(bufs[1]->data()[44] << 8 | bufs[1]->data()[45], 0x0202);
    const TxContextDesc& padded = tx_ring()[4].context;
    EXPECT_EQ(padded.tucss, 34);
    EXPECT_EQ(padded.tucse, 34 + 40 - 1);  // the checksum stops before the padding
    for (uint32_t i : {1u, 3u, 5u}) {
        EXPECT_EQ(tx_ring()[i].data.popts, txd_popts::IXSM | txd_popts::TXSM) << i;
    }
}

// Metadata that cannot describe the frame (none recorded, an L3 header beyond the frame, an
// L4 segment longer than the frame, a fragment) is refused: the frame goes out without that
// offload, and the checksum fields are not written.
TEST_F(E1000NicTest, MetadataThatDoesNotFitTheFrameIsRefused) {
    E1000Nic& nic = open();
    auto bufs = make_tx(4, 60);
    for (PacketBuf* b : bufs) b->set_flags(tx_flags::ip_csum | tx_flags::l4_csum);
    // bufs[0]: no metadata (a frame the IPv4 layer did not build, e.g. ARP)
    bufs[1]->set_l2_len(14);
    bufs[1]->set_l3_meta(60, l4_type::udp, 8, 0x1111);  // header ends past the 60-byte frame
    bufs[2]->set_l2_len(14);
    bufs[2]->set_l3_meta(20, l4_type::udp, 27, 0x2222);  // one byte longer than the frame
    bufs[3]->set_l2_len(14);
    bufs[3]->set_l3_meta(20, l4_type::none, 26, 0);  // a fragment: IP checksum only
    ASSERT_EQ(nic.tx_batch(0, bufs), 4u);
    EXPECT_EQ(tx_ring()[0].legacy.cmd & txd_cmd::DEXT, 0);
    EXPECT_EQ(tx_ring()[1].legacy.cmd & txd_cmd::DEXT, 0);
    EXPECT_EQ(tx_ring()[2].context.tucss, 0);  // IP-only context
    EXPECT_EQ(tx_ring()[3].data.popts, txd_popts::IXSM);
    EXPECT_EQ(tx_ring()[4].data.popts, txd_popts::IXSM);  // same context reused
    EXPECT_EQ(reg(regs::TDT), 5u);
    for (PacketBuf* b : bufs) EXPECT_EQ(b->data()[40] << 8 | b->data()[41], 0);
}

// DPDK em's tx_rs_thresh: a burst of 40 one-descriptor frames on a ring of 64 asks for status
// every 16 descriptors and on its last frame, rings the doorbell once, and a done bit on a
// report-status descriptor brings home every buffer up to it.
TEST_F(E1000NicTest, ReportStatusEveryThresholdAndOneDoorbellPerBurst) {
    PciNicOptions o = small_options();
    o.tx_ring = 64;
    E1000Nic& nic = open(0x100E, o);
    EXPECT_EQ(nic.tx_queue(0)->rs_thresh(), 16u);
    auto bufs = make_tx(40);
    ASSERT_EQ(nic.tx_batch(0, bufs), 40u);
    EXPECT_EQ(reg(regs::TDT), 40u);
    for (uint32_t i = 0; i < 40; ++i) {
        const bool rs = i == 15 || i == 31 || i == 39;
        EXPECT_EQ((tx_ring()[i].legacy.cmd & txd_cmd::RS) != 0, rs) << i;
    }
    NicCounters c = nic.counters();
    EXPECT_EQ(c.tx_doorbells, 1u);
    EXPECT_EQ(c.tx_status_reports, 3u);
    const uint32_t before = nic.tx_pool(0).available();
    complete_tx(0, 20, 64);  // done bits up to slot 15 only (RS)
    nic.tx_batch(0, {});
    EXPECT_EQ(nic.tx_pool(0).available(), before + 16);
    complete_tx(20, 40, 64);
    nic.tx_batch(0, {});
    EXPECT_EQ(nic.tx_pool(0).available(), before + 40);
    EXPECT_EQ(nic.counters().tx_doorbells, 1u) << "a burst that queues nothing rings nothing";
}

// The queue objects a shard would own: one pair on these chips, with the NIC's pool.
TEST_F(E1000NicTest, HandsOutOneQueuePair) {
    E1000Nic& nic = open();
    EXPECT_EQ(nic.queue_count(), 1u);
    ASSERT_NE(nic.rx_queue(0), nullptr);
    ASSERT_NE(nic.tx_queue(0), nullptr);
    EXPECT_EQ(nic.rx_queue(1), nullptr);
    EXPECT_EQ(nic.tx_queue(1), nullptr);
    EXPECT_EQ(&nic.tx_queue(0)->pool(), &nic.tx_pool(0));
    EXPECT_EQ(&nic.rx_queue(0)->pool(), &nic.tx_pool(0));
    EXPECT_EQ(nic.rx_queue(0)->ring_iova(), uint64_t{reg(regs::RDBAH)} << 32 | reg(regs::RDBAL));
    EXPECT_EQ(nic.tx_queue(0)->ring_iova(), uint64_t{reg(regs::TDBAH)} << 32 | reg(regs::TDBAL));
    std::array<PacketBuf*, 4> out{};
    EXPECT_EQ(nic.rx_batch(1, out), 0u);
    EXPECT_EQ(nic.tx_batch(1, {}), 0u);
}

// A length the device wrote is bounded before use: more than the 2 KiB data room (or zero)
// is an error, and the descriptor goes back with its buffer.
TEST_F(E1000NicTest, ReceiveLengthsBeyondTheBufferAreRefused) {
    E1000Nic& nic = open();
    receive(0, udp_frame(60, 1));
    rx_ring()[0].length = PacketBuf::kDataRoom + 1;
    receive(1, udp_frame(60, 2));
    rx_ring()[1].length = 0;
    receive(2, udp_frame(60, 3));
    std::array<PacketBuf*, 4> out{};
    ASSERT_EQ(nic.rx_batch(0, out), 1u);
    EXPECT_EQ(out[0]->length(), 60u);
    EXPECT_EQ(out[0]->data()[50], 3);
    EXPECT_EQ(nic.counters().rx_errors, 2u);
    EXPECT_EQ(reg(regs::RDT), 2u);
    out[0]->unref();
}

TEST_F(E1000NicTest, InterruptModeArmsCausesAndRearmsWhenIdle) {
    PciNicOptions o = small_options();
    o.interrupts = true;
    o.itr_interval_us = 100;
    E1000Nic& nic = open(0x100E, o);
    const int fd = nic.wait_fd(0);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(reg(regs::IMS), icr::RXT0 | icr::RXDMT0 | icr::RXO | icr::LSC);
    EXPECT_EQ(reg(regs::ITR), 100u * 1000 / 256);
    const uint64_t one = 1;
    ASSERT_EQ(::write(fd, &one, sizeof(one)), 8);  // an interrupt came
    std::array<PacketBuf*, 4> got{};
    EXPECT_EQ(nic.rx_batch(0, got), 0u);  // nothing there: drain, ack, unmask
    EXPECT_EQ(st_->unmasks.load(), 1);
    uint64_t v = 0;
    EXPECT_LT(::read(fd, &v, sizeof(v)), 0);  // drained
    receive(0, udp_frame(60, 0));
    ASSERT_EQ(nic.rx_batch(0, got), 1u);
    got[0]->unref();
    EXPECT_EQ(st_->unmasks.load(), 1);            // no re-arm while there was work
    EXPECT_EQ(st_->enabled_kind, IrqKind::intx);  // the 82540EM has neither MSI nor MSI-X
}

TEST_F(E1000NicTest, The82574UsesMsixWithQueueAndOtherCausesOnVectorZero) {
    PciNicOptions o = small_options();
    o.interrupts = true;
    o.itr_interval_us = 100;
    E1000Nic& nic = open(0x10D3, o);
    EXPECT_EQ(st_->enabled_kind, IrqKind::msix);
    EXPECT_GE(nic.wait_fd(0), 0);
    EXPECT_EQ(reg(regs::IVAR), 0x8u | 0x8u << 16);  // RxQ0 -> 0, other -> 0, both valid
    EXPECT_EQ(reg(regs::EIAC), 0u);                 // no auto-clear
    EXPECT_EQ(reg(regs::CTRL_EXT) & (ctrl_ext::PBA_SUPPORT | ctrl_ext::IAME | ctrl_ext::EIAME),
              ctrl_ext::PBA_SUPPORT);
    EXPECT_EQ(reg(regs::EITR(0)), 100u * 1000 / 256);
    EXPECT_EQ(reg(regs::IMS), icr::RXQ0 | icr::OTHER | icr::LSC | icr::RXO);
    std::array<PacketBuf*, 4> got{};
    EXPECT_EQ(nic.rx_batch(0, got), 0u);
    EXPECT_EQ(st_->unmasks.load(), 0);  // only INTx is unmasked by hand
}

TEST_F(E1000NicTest, IrqModeFallsBackToMsiThenIntxOrHonoursAnExactRequest) {
    PciNicOptions o = small_options();
    o.interrupts = true;
    st_->msix_vectors = 0;
    open(0x10D3, o);
    EXPECT_EQ(st_->enabled_kind, IrqKind::msi);
    EXPECT_EQ(reg(regs::IMS), icr::RXT0 | icr::RXDMT0 | icr::RXO | icr::LSC);
    nic_.reset();
    st_->msi_vectors = 0;
    open(0x10D3, o);
    EXPECT_EQ(st_->enabled_kind, IrqKind::intx);
    nic_.reset();
    st_->msix_vectors = st_->msi_vectors = 5;
    o.irq_mode = IrqMode::msi;
    open(0x10D3, o);
    EXPECT_EQ(st_->enabled_kind, IrqKind::msi);
}

TEST_F(E1000NicTest, AnIrqKindTheChipLacksIsAClearError) {
    PciNicOptions o = small_options();
    o.interrupts = true;
    o.irq_mode = IrqMode::msix;
    auto r = try_open(0x100E, o);  // the 82540EM has no MSI-X capability
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, ::testing::HasSubstr("MSI-X interrupts were asked for"));
    EXPECT_THAT(r.error().message, ::testing::HasSubstr("82540EM"));
}

TEST(IrqMode, ParsesTheFourNames) {
    EXPECT_EQ(parse_irq_mode("best"), IrqMode::best);
    EXPECT_EQ(parse_irq_mode("msix"), IrqMode::msix);
    EXPECT_EQ(parse_irq_mode("msi"), IrqMode::msi);
    EXPECT_EQ(parse_irq_mode("intx"), IrqMode::intx);
    EXPECT_EQ(parse_irq_mode("MSI-X"), std::nullopt);
    EXPECT_STREQ(to_string(IrqKind::msix), "MSI-X");
}

TEST_F(E1000NicTest, FrameLandingDuringRearmSignalsTheFdItself) {
    PciNicOptions o = small_options();
    o.interrupts = true;
    E1000Nic& nic = open(0x10D3, o);
    // The driver looks at the ring, finds nothing to take, then re-arms; a frame that landed in
    // between must leave the fd readable. A zero-sized batch takes nothing, like that window.
    receive(0, udp_frame(60, 0));
    std::array<PacketBuf*, 1> got{};
    EXPECT_EQ(nic.rx_batch(0, {got.data(), 0}), 0u);  // zero-sized batch: nothing taken
    uint64_t v = 0;
    EXPECT_EQ(::read(nic.wait_fd(0), &v, sizeof(v)), 8);
    EXPECT_EQ(v, 1u);
}

TEST_F(E1000NicTest, PromiscuousModeOnRequest) {
    PciNicOptions o = small_options();
    o.promiscuous = true;
    E1000Nic& nic = open(0x100E, o);
    EXPECT_EQ(reg(regs::RCTL) & (rctl::UPE | rctl::MPE), rctl::UPE | rctl::MPE);
    nic.set_promiscuous(false);
    EXPECT_EQ(reg(regs::RCTL) & (rctl::UPE | rctl::MPE | rctl::EN), rctl::EN);
}

TEST_F(E1000NicTest, HardwareStatisticsAccumulateIntoCounters) {
    E1000Nic& nic = open();
    st_->write(regs::MPC, 3);  // sticky in this fake (like QEMU): counted once
    st_->write(regs::CRCERRS, 2);
    st_->write(regs::GPRC, 10);
    NicCounters c = nic.counters();
    EXPECT_EQ(c.rx_dropped, 3u);
    EXPECT_EQ(c.rx_errors, 2u);
    c = nic.counters();
    EXPECT_EQ(c.rx_dropped, 3u);
    st_->write(regs::MPC, 5);
    EXPECT_EQ(nic.counters().rx_dropped, 5u);
    EXPECT_EQ(nic.hw_stats().gprc, 10u);
}

TEST_F(E1000NicTest, The82574ModelSetsLegacyDescriptorsAndEnablesQueueZero) {
    st_->write(regs::RFCTL, rfctl::EXTEN);
    st_->write(regs::TARC0, 0x3);
    open(0x10D3);
    EXPECT_EQ(reg(regs::RFCTL) & rfctl::EXTEN, 0u);
    EXPECT_EQ(reg(regs::TARC0), 0x3u | tarc::ENABLE);
}

TEST_F(E1000NicTest, ClosingStopsTheNic) {
    open();
    nic_.reset();
    EXPECT_EQ(reg(regs::RCTL) & rctl::EN, 0u);
    EXPECT_EQ(reg(regs::TCTL) & tctl::EN, 0u);
}

// --- Device faults (issue 11): a device that is gone, the kernel asking for it back, stop ---

// Position of the first event starting with `prefix` in the fake's record, or npos.
size_t first_event(const std::vector<std::string>& events, const std::string& prefix) {
    for (size_t i = 0; i < events.size(); ++i) {
        if (events[i].rfind(prefix, 0) == 0) return i;
    }
    return std::string::npos;
}

size_t count_of(const std::string& text, const std::string& part) {
    size_t n = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

// A removed PCIe function answers every read with all ones. The driver must notice it (STATUS),
// say so once, stop writing to the BAR (not one register changes from all ones, through
// receive, transmit, counters, link and the stop), and keep its counters where they were
// instead of adding 0xffffffff "counts" from the clear-on-read registers.
TEST_F(E1000NicTest, DeviceGoneStopsAllRegisterWritesKeepsCountersAndIsReportedOnce) {
    E1000Nic& nic = open();
    st_->write(regs::MPC, 3);
    st_->write(regs::CRCERRS, 2);
    st_->write(regs::GPRC, 10);
    const NicCounters before = nic.counters();
    ASSERT_EQ(before.rx_dropped, 3u);
    EXPECT_EQ(nic.health(), NicHealth::ok);
    EXPECT_EQ(nic.health_message(), "");
    receive(0, udp_frame(60, 1));  // a frame the device wrote just before it went

    st_->vanish();
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(nic.health(), NicHealth::gone);
    EXPECT_EQ(nic.health(), NicHealth::gone);
    std::array<PacketBuf*, 4> got{};
    EXPECT_EQ(nic.rx_batch(0, got), 0u);  // taking it would mean an RDT write
    auto tx = make_tx(2);
    EXPECT_EQ(nic.tx_batch(0, tx), 0u);  // the caller keeps them
    Mempool::unref_batch(tx);
    const NicCounters after = nic.counters();
    EXPECT_FALSE(nic.link().up);
    nic.set_promiscuous(true);
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(after.rx_dropped, before.rx_dropped);
    EXPECT_EQ(after.rx_errors, before.rx_errors);
    EXPECT_EQ(after.rx_packets, 0u);
    EXPECT_EQ(nic.hw_stats().gprc, 10u);
    EXPECT_THAT(nic.health_message(),
                ::testing::HasSubstr("pci:0000:00:02.0: device gone: STATUS reads 0xffffffff"));
    EXPECT_EQ(count_of(log, "device gone"), 1u) << log;
    nic_.reset();  // the stop touches no register either
    EXPECT_TRUE(st_->all_ones());
    // Bus mastering is config space (the kernel's side), still cleared before memory goes.
    const auto ev = st_->recorded();
    EXPECT_LT(first_event(ev, "bus master off"), first_event(ev, "free "));
}

// With interrupts, the re-arm reads ICR first: all ones there is the same signature. No ICR
// write-back, no INTx unmask.
TEST_F(E1000NicTest, AllOnesIcrInTheInterruptRearmIsTheDeviceGone) {
    PciNicOptions o = small_options();
    o.interrupts = true;
    E1000Nic& nic = open(0x100E, o);
    st_->vanish();
    std::array<PacketBuf*, 4> got{};
    EXPECT_EQ(nic.rx_batch(0, got), 0u);  // empty ring: re-arm reads ICR
    EXPECT_EQ(st_->unmasks.load(), 0);
    EXPECT_THAT(nic.health_message(), ::testing::HasSubstr("ICR reads 0xffffffff"));
    EXPECT_EQ(nic.health(), NicHealth::gone);
    EXPECT_TRUE(st_->all_ones());
}

// The ordering at stop: bus mastering is off before any DMA region (rings, packet pool) is
// freed, so nothing the device still does can land in memory that is no longer ours; with an
// IOMMU the device stays open until the regions are unmapped (unmapping needs it attached).
TEST_F(E1000NicTest, StopClearsBusMasteringBeforeAnyDmaMemoryIsFreed) {
    open();
    EXPECT_TRUE(st_->bus_master);
    nic_.reset();
    EXPECT_FALSE(st_->bus_master);
    EXPECT_FALSE(st_->closed);
    const auto ev = st_->recorded();
    ASSERT_NE(first_event(ev, "bus master off"), std::string::npos);
    ASSERT_NE(first_event(ev, "free shunt-rx-"), std::string::npos);
    ASSERT_NE(first_event(ev, "free shunt-tx-"), std::string::npos);
    ASSERT_NE(first_event(ev, "free shunt-pool-"), std::string::npos);
    EXPECT_LT(first_event(ev, "bus master off"), first_event(ev, "free "));
    EXPECT_EQ(reg(regs::RCTL) & rctl::EN, 0u);
}

// A reset that never completes at stop is logged with CTRL; bus mastering is still cleared
// first and the memory is still freed only after it (the stop is bounded: 500 ms).
TEST_F(E1000NicTest, ResetFailureAtStopIsLoggedAndMemoryGoesOnlyAfterBusMasteringIsOff) {
    open();
    st_->model_resets = false;
    ::testing::internal::CaptureStderr();
    const Instant t0 = Instant::now();
    nic_.reset();
    const Duration took = Instant::now() - t0;
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(log, ::testing::HasSubstr("did not finish its reset at stop"));
    EXPECT_THAT(log, ::testing::HasSubstr("CTRL=0x"));
    EXPECT_LT(took, Duration(2'000'000));
    const auto ev = st_->recorded();
    ASSERT_NE(first_event(ev, "bus master off"), std::string::npos);
    EXPECT_LT(first_event(ev, "bus master off"), first_event(ev, "free "));
}

// A failure to clear bus mastering is logged, and the stop goes on (reset, buffers back).
TEST_F(E1000NicTest, BusMasterClearFailureAtStopIsLogged) {
    open();
    st_->bus_master_clear_fails = true;
    ::testing::internal::CaptureStderr();
    nic_.reset();
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(log, ::testing::HasSubstr("clearing bus mastering at stop: config write"));
    EXPECT_EQ(reg(regs::RCTL) & rctl::EN, 0u);
}

// No IOMMU: nothing but the device's own state keeps a late write out of freed memory, so the
// device is closed (vfio-pci disables it) before any buffer or region goes.
TEST_F(E1000NicTest, NoIommuClosesTheDeviceBeforeAnyDmaMemoryIsFreed) {
    st_->iommu = false;
    open();
    nic_.reset();
    const auto ev = st_->recorded();
    const size_t off = first_event(ev, "bus master off");
    const size_t closed = first_event(ev, "close");
    ASSERT_NE(closed, std::string::npos);
    EXPECT_LT(off, closed);
    EXPECT_LT(closed, first_event(ev, "free "));
}

// A device that is already gone at open: the reset never completes, and the error says why.
TEST_F(E1000NicTest, OpeningADeviceThatDoesNotAnswerSaysSo) {
    st_->vanish();
    auto r = try_open(0x100E, small_options());
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, ::testing::HasSubstr("CTRL=0xffffffff"));
    EXPECT_THAT(r.error().message, ::testing::HasSubstr("the device does not answer"));
}

// The kernel's request interrupt (an unbind waiting): reported once, the device still works
// until the owner destroys the Nic.
TEST_F(E1000NicTest, KernelReleaseRequestIsReported) {
    E1000Nic& nic = open();
    EXPECT_EQ(nic.health(), NicHealth::ok);
    st_->release_request = true;
    EXPECT_EQ(nic.health(), NicHealth::release_requested);
    EXPECT_THAT(nic.health_message(), ::testing::HasSubstr("asks for the device back"));
    receive(0, udp_frame(60, 4));
    std::array<PacketBuf*, 4> got{};
    ASSERT_EQ(nic.rx_batch(0, got), 1u);
    got[0]->unref();
    // Vanishing afterwards still stops the register writes.
    st_->vanish();
    EXPECT_EQ(nic.health(), NicHealth::gone);
    EXPECT_THAT(nic.health_message(), ::testing::HasSubstr("asks for the device back"));
    nic_.reset();
    EXPECT_TRUE(st_->all_ones());
}

// Lengths the device writes are bounded by the 2 KiB data room whatever they are (the largest
// 16-bit value, a frame spread over descriptors whose pieces claim more than a buffer): dropped
// and counted, the byte count untouched, the next good frame delivered.
TEST_F(E1000NicTest, DeviceWrittenLengthsNeverReachPastTheBuffer) {
    E1000Nic& nic = open();
    receive(0, udp_frame(60, 1));
    rx_ring()[0].length = 0xFFFF;
    receive(1, udp_frame(60, 2), rxd_status::DD);  // a span: no EOP, a huge length
    rx_ring()[1].length = 0xFFFF;
    receive(2, udp_frame(60, 2), rxd_status::DD | rxd_status::EOP);  // its end, plausible length
    receive(3, udp_frame(60, 3));
    rx_ring()[3].length = PacketBuf::kDataRoom;  // exactly the room: taken whole
    receive(4, udp_frame(64, 4));
    std::array<PacketBuf*, 8> out{};
    ASSERT_EQ(nic.rx_batch(0, out), 2u);
    EXPECT_EQ(out[0]->length(), PacketBuf::kDataRoom);
    EXPECT_EQ(out[1]->length(), 64u);
    EXPECT_EQ(out[1]->data()[50], 4);
    const NicCounters c = nic.counters();
    EXPECT_EQ(c.rx_errors, 2u);
    EXPECT_EQ(c.rx_bytes, PacketBuf::kDataRoom + 64u);
    out[0]->unref();
    out[1]->unref();
}

// The tools' side: NicWatch asks health() at most once per period and, once the device is
// gone, says so for good with the driver's line (the tools exit 1 with it).
TEST_F(E1000NicTest, ToolsWatchAskTheNicOncePerPeriodAndKeepTheVerdict) {
    E1000Nic& nic = open();
    tools::NicWatch watch(nic, Duration(100'000));
    const Instant t0 = Instant::now();
    EXPECT_TRUE(watch.ok(t0));
    st_->vanish();
    EXPECT_TRUE(watch.ok(t0 + Duration(50'000))) << "not asked again within the period";
    EXPECT_FALSE(watch.ok(t0 + Duration(100'000)));
    EXPECT_EQ(watch.health(), NicHealth::gone);
    EXPECT_FALSE(watch.ok(t0 + Duration(150'000)));
    EXPECT_THAT(watch.message(), ::testing::HasSubstr("device gone"));
}

}  // namespace
}  // namespace shunt::e1000
