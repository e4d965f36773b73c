// The advanced descriptor format (driver/intel/adv_format.hpp) on the shared ring engine: the
// test plays the NIC on a RxQueue/TxQueue over memfd memory (IOVA = address) and a plain
// register array, writing descriptors byte by byte as the 82576 datasheet lays them out
// (§7.1.5.2 write-back, §7.2.2 transmit) and checking the bytes the driver side writes.
#include "driver/intel/adv_format.hpp"
#include "driver/desc_queue.hpp"
#include "packet/memory.hpp"
#include "packet/packet_buf.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

namespace shunt::intel {
namespace {

using RxQ = RxQueue<IgbFormat>;
using TxQ = TxQueue<IgbFormat>;

constexpr uint32_t kRdt = 0x18;
constexpr uint32_t kTdt = 0x40;

uint32_t le32_at(const void* desc, size_t off) {
    uint32_t v;
    std::memcpy(&v, static_cast<const uint8_t*>(desc) + off, 4);
    return v;
}
uint64_t le64_at(const void* desc, size_t off) {
    uint64_t v;
    std::memcpy(&v, static_cast<const uint8_t*>(desc) + off, 8);
    return v;
}
void put32(void* desc, size_t off, uint32_t v) {
    std::memcpy(static_cast<uint8_t*>(desc) + off, &v, 4);
}
void put16(void* desc, size_t off, uint16_t v) {
    std::memcpy(static_cast<uint8_t*>(desc) + off, &v, 2);
}

// A UDP/IPv4 frame of `size` bytes (checksums zero), like the stack emits.
std::vector<uint8_t> udp_frame(size_t size, uint8_t fill) {
    std::vector<uint8_t> f(size, fill);
    const uint8_t head[] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57, 0x52, 0x54, 0x00, 0x12, 0x34,
                            0x56, 0x08, 0x00, 0x45, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                            0x40, 0x11, 0x00, 0x00, 10,   0,    2,    99,   10,   0,    2,
                            2,    0x10, 0x92, 0x10, 0x93, 0x00, 0x00, 0x00, 0x00};
    std::memcpy(f.data(), head, sizeof(head));
    return f;
}

class AdvFormatTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(rx_.create(dma_, 8, 128, "t").ok());
        ASSERT_TRUE(tx_.create(dma_, 8, "t").ok());
        ASSERT_TRUE(rx_.start(&mmio_, kRdt, true).ok());
        TxQ::Config c;
        c.offload = true;
        tx_.start(&mmio_, kTdt, &rx_.pool(), c);
    }
    uint32_t reg(uint32_t off) { return regs_[off / 4]; }
    uint8_t* rx_desc(uint32_t i) { return reinterpret_cast<uint8_t*>(rx_.ring_iova()) + i * 16; }
    uint8_t* tx_desc(uint32_t i) { return reinterpret_cast<uint8_t*>(tx_.ring_iova()) + i * 16; }
    // Plays the 82576 writing a frame back into descriptor i (82576 DS §7.1.5.2 byte layout).
    void receive(uint32_t i, const std::vector<uint8_t>& frame, uint32_t status_error,
                 uint16_t pkt_info = 0, uint32_t rss = 0) {
        uint8_t* d = rx_desc(i);
        const uint64_t buf = le64_at(d, 0);
        std::memcpy(reinterpret_cast<void*>(buf), frame.data(), frame.size());
        put16(d, 0, pkt_info);
        put16(d, 2, 0);
        put32(d, 4, rss);
        put16(d, 12, static_cast<uint16_t>(frame.size()));
        put16(d, 14, 0);
        put32(d, 8, status_error);  // DD last, as the device does
    }
    // A frame in a buffer that does not cross a 4 KiB boundary (those go out in two pieces:
    // the last test).
    PacketBuf* make_tx(size_t size, uint16_t flags = 0, uint8_t l4 = l4_type::udp) {
        std::vector<PacketBuf*> crossing;
        PacketBuf* b = rx_.pool().alloc();
        while (b != nullptr && b->data_iova() % 4096 + size > 4096) {
            crossing.push_back(b);
            b = rx_.pool().alloc();
        }
        Mempool::unref_batch(crossing);
        auto f = udp_frame(size, 0x5A);
        std::memcpy(b->append(f.size()), f.data(), f.size());
        b->set_flags(flags);
        b->set_l2_len(14);
        b->set_l3_meta(20, l4, static_cast<uint16_t>(size - 34), 0xBEEF);
        return b;
    }
    // Plays the NIC finishing every descriptor that asked for status (DCMD.RS).
    void complete_tx() {
        for (uint32_t i = 0; i < 8; ++i) {
            if ((le32_at(tx_desc(i), 8) & adv_tx::RS) != 0) {
                put32(tx_desc(i), 12, le32_at(tx_desc(i), 12) | adv_tx::STA_DD);
            }
        }
    }

    MemfdProvider dma_;
    alignas(64) std::array<uint32_t, 64> regs_{};
    Mmio mmio_{reinterpret_cast<uint8_t*>(regs_.data()), sizeof(regs_)};
    RxQ rx_;
    TxQ tx_;
};

TEST_F(AdvFormatTest, ArmedDescriptorsHoldTheBufferAndAZeroHeaderAddress) {
    for (uint32_t i = 0; i < 8; ++i) {
        const uint64_t addr = le64_at(rx_desc(i), 0);
        EXPECT_NE(addr, 0u);
        EXPECT_EQ(addr % 2, 0u) << "bit 0 is NSE";
        EXPECT_EQ(le64_at(rx_desc(i), 8), 0u) << "header address 0 clears DD";
    }
    std::array<PacketBuf*, 4> got{};
    EXPECT_EQ(rx_.rx_burst(got), 0u);
}

TEST_F(AdvFormatTest, WriteBackGivesLengthChecksumsAndTheRssHash) {
    const uint64_t buf0 = le64_at(rx_desc(0), 0);
    receive(0, udp_frame(60, 1), adv_rx::DD | adv_rx::EOP | adv_rx::IPCS | adv_rx::L4CS, 0x2,
            0x323e8fc2);
    receive(1, udp_frame(1514, 2),
            adv_rx::DD | adv_rx::EOP | adv_rx::IPCS | adv_rx::L4CS | IgbBits::l4_error);
    receive(2, udp_frame(100, 3), adv_rx::DD | adv_rx::EOP | adv_rx::IPCS | IgbBits::ip_error, 0x0,
            0xDEADBEEF);  // a hash without an RSS type is not a hash
    std::array<PacketBuf*, 8> got{};
    ASSERT_EQ(rx_.rx_burst(got), 3u);
    EXPECT_EQ(got[0]->length(), 60u);
    EXPECT_EQ(got[0]->data()[50], 1);
    EXPECT_EQ(got[0]->flags(), rx_flags::ip_csum_good | rx_flags::l4_csum_good);
    EXPECT_EQ(got[0]->rss_hash(), 0x323e8fc2u);
    EXPECT_EQ(got[1]->length(), 1514u);
    EXPECT_EQ(got[1]->flags(), rx_flags::ip_csum_good | rx_flags::l4_csum_bad);
    EXPECT_EQ(got[2]->flags(), rx_flags::ip_csum_bad);
    EXPECT_EQ(got[2]->rss_hash(), 0u);
    EXPECT_EQ(reg(kRdt), 2u);
    // Re-armed in the read format: a fresh buffer and DD cleared.
    EXPECT_NE(le64_at(rx_desc(0), 0), buf0);
    EXPECT_EQ(le32_at(rx_desc(0), 8) & adv_rx::DD, 0u);
    for (size_t i = 0; i < 3; ++i) got[i]->unref();
}

TEST_F(AdvFormatTest, FrameErrorsSpansAndBadLengthsAreDroppedAndCounted) {
    receive(0, udp_frame(60, 0), adv_rx::DD | adv_rx::EOP | IgbBits::frame_error);
    receive(1, udp_frame(60, 0), adv_rx::DD);  // first piece of a frame over two buffers
    receive(2, udp_frame(60, 0), adv_rx::DD | adv_rx::EOP);
    receive(3, udp_frame(60, 0), adv_rx::DD | adv_rx::EOP);
    put16(rx_desc(3), 12, 4000);  // a length beyond the 2 KiB buffer
    receive(4, udp_frame(60, 9), adv_rx::DD | adv_rx::EOP);
    std::array<PacketBuf*, 8> got{};
    ASSERT_EQ(rx_.rx_burst(got), 1u);
    EXPECT_EQ(got[0]->data()[50], 9);
    EXPECT_EQ(rx_.stats().errors, 3u);
    EXPECT_EQ(reg(kRdt), 4u);
    got[0]->unref();
}

TEST_F(AdvFormatTest, PlainFramesUseAdvancedDataDescriptorsWithPaylen) {
    std::array<PacketBuf*, 2> bufs{make_tx(60), make_tx(1000)};
    ASSERT_EQ(tx_.tx_burst(bufs), 2u);
    EXPECT_EQ(reg(kTdt), 2u);
    for (uint32_t i = 0; i < 2; ++i) {
        const uint32_t len = i == 0 ? 60 : 1000;
        EXPECT_EQ(le64_at(tx_desc(i), 0), bufs[i]->data_iova());
        const uint32_t cmd = le32_at(tx_desc(i), 8);
        EXPECT_EQ(cmd & ~adv_tx::RS,
                  len | 0x3u << 20 | 1u << 29 | 1u << 25 | 1u << 24);  // DTYP data, DEXT, IFCS, EOP
        EXPECT_EQ(le32_at(tx_desc(i), 12), len << 14) << "PAYLEN, no POPTS, STA clear";
    }
    EXPECT_NE(le32_at(tx_desc(1), 8) & adv_tx::RS, 0u) << "the burst's last asks for status";
    const uint32_t before = rx_.pool().available();
    tx_.clean();
    EXPECT_EQ(rx_.pool().available(), before) << "nothing done yet";
    complete_tx();
    tx_.clean();
    EXPECT_EQ(rx_.pool().available(), before + 2);
    EXPECT_TRUE(tx_.idle());
}

TEST_F(AdvFormatTest, ChecksumOffloadWritesOneContextAndSeedsTheField) {
    PacketBuf* a = make_tx(60, tx_flags::ip_csum | tx_flags::l4_csum);
    PacketBuf* b = make_tx(200, tx_flags::ip_csum | tx_flags::l4_csum);
    std::array<PacketBuf*, 2> bufs{a, b};
    ASSERT_EQ(tx_.tx_burst(bufs), 2u);
    EXPECT_EQ(reg(kTdt), 3u) << "one context, two data descriptors";
    // 82576 DS §7.2.2.2: IPLEN 20, MACLEN 14; DTYP context, DEXT, TUCMD IPv4, L4T UDP.
    EXPECT_EQ(le32_at(tx_desc(0), 0), 20u | 14u << 9);
    EXPECT_EQ(le32_at(tx_desc(0), 8), 0x2u << 20 | 1u << 29 | 1u << 10);
    EXPECT_EQ(le32_at(tx_desc(0), 12), 0u);
    // POPTS IXSM and TXSM in olinfo, the whole frame as PAYLEN.
    EXPECT_EQ(le32_at(tx_desc(1), 12), 60u << 14 | 1u << 8 | 1u << 9);
    EXPECT_EQ(le32_at(tx_desc(2), 12), 200u << 14 | 1u << 8 | 1u << 9);
    // The UDP checksum field (offset 34 + 6) holds the pseudo-header seed for the NIC to add to.
    EXPECT_EQ(a->data()[40], 0xBE);
    EXPECT_EQ(a->data()[41], 0xEF);
    EXPECT_EQ(tx_.stats().packets, 2u);
}

TEST_F(AdvFormatTest, TcpGetsItsOwnContextAndPaddingGetsNoL4Offload) {
    PacketBuf* udp = make_tx(100, tx_flags::l4_csum);
    PacketBuf* tcp = make_tx(100, tx_flags::l4_csum, l4_type::tcp);
    PacketBuf* padded = make_tx(100, tx_flags::ip_csum | tx_flags::l4_csum);
    padded->set_l3_meta(20, l4_type::udp, 40, 0x1111);  // 26 bytes after the UDP datagram
    std::array<PacketBuf*, 3> bufs{udp, tcp, padded};
    ASSERT_EQ(tx_.tx_burst(bufs), 3u);
    EXPECT_EQ(le32_at(tx_desc(1), 12), 100u << 14 | 1u << 9);  // UDP: TXSM only
    EXPECT_EQ(le32_at(tx_desc(2), 8), 0x2u << 20 | 1u << 29 | 1u << 10 | 1u << 11)
        << "a TCP context";
    EXPECT_EQ(le32_at(tx_desc(3), 12), 100u << 14 | 1u << 9);
    EXPECT_EQ(tcp->data()[34 + 16], 0xBE);  // TCP checksum at offset 16 of its header
    // The padded frame: IP checksum only, and a context of its own (no L4 type).
    EXPECT_EQ(le32_at(tx_desc(4), 8), 0x2u << 20 | 1u << 29 | 1u << 10);
    EXPECT_EQ(le32_at(tx_desc(5), 12), 100u << 14 | 1u << 8);
    EXPECT_EQ(padded->data()[40], 0) << "no seed where no L4 checksum is inserted";
}

TEST_F(AdvFormatTest, AFrameAcrossA4KiBBoundaryGoesInTwoDescriptorsWithOnePaylen) {
    std::vector<PacketBuf*> others;
    PacketBuf* crossing = nullptr;
    while (crossing == nullptr) {
        PacketBuf* b = rx_.pool().alloc();
        ASSERT_NE(b, nullptr) << "no buffer crosses a 4 KiB boundary";
        const uint64_t at = b->data_iova() % 4096;
        if (at + 1514 > 4096 && at + 100 < 4096) {
            crossing = b;
        } else {
            others.push_back(b);
        }
    }
    Mempool::unref_batch(others);
    auto f = udp_frame(1514, 7);
    std::memcpy(crossing->append(f.size()), f.data(), f.size());
    crossing->set_l2_len(14);
    crossing->set_l3_meta(20, l4_type::udp, 1514 - 34, 0x1234);
    crossing->set_flags(tx_flags::l4_csum);
    std::array<PacketBuf*, 1> bufs{crossing};
    ASSERT_EQ(tx_.tx_burst(bufs), 1u);
    const uint32_t first = 4096 - crossing->data_iova() % 4096;
    EXPECT_EQ(le32_at(tx_desc(1), 8) & 0xFFFF, first);
    EXPECT_EQ(le32_at(tx_desc(1), 8) & adv_tx::EOP, 0u);
    EXPECT_EQ(le32_at(tx_desc(2), 8) & 0xFFFF, 1514 - first);
    EXPECT_NE(le32_at(tx_desc(2), 8) & adv_tx::EOP, 0u);
    EXPECT_EQ(le64_at(tx_desc(2), 0), crossing->data_iova() + first);
    for (uint32_t i : {1u, 2u}) EXPECT_EQ(le32_at(tx_desc(i), 12), 1514u << 14 | 1u << 9);
}

// A device that marks every descriptor done, again and again, with bad frames (nothing to
// deliver): one burst walks at most one lap of the ring and returns, instead of following the
// device forever. (The format gives up after 1000 looks, so a missing bound fails, not hangs.)
struct EndlesslyDoneFormat : IgbFormat {
    static inline int looks = 0;
    static bool rx_done(const RxDesc&) noexcept { return ++looks < 1000; }
    static RxInfo rx_read(const RxDesc& d, bool checksum) noexcept {
        RxInfo i = IgbFormat::rx_read(d, checksum);
        i.eop = true;
        i.error = true;
        return i;
    }
};

TEST(RxQueueBounds, ADeviceMarkingEverythingDoneCannotHoldABurst) {
    MemfdProvider dma;
    std::array<uint32_t, 64> regs{};
    Mmio mmio(reinterpret_cast<uint8_t*>(regs.data()), sizeof(regs));
    RxQueue<EndlesslyDoneFormat> rx;
    ASSERT_TRUE(rx.create(dma, 8, 64, "t").ok());
    ASSERT_TRUE(rx.start(&mmio, kRdt, true).ok());
    std::array<PacketBuf*, 4> out{};
    EndlesslyDoneFormat::looks = 0;
    EXPECT_EQ(rx.rx_burst(out), 0u);
    EXPECT_LE(EndlesslyDoneFormat::looks, 8);
    EXPECT_EQ(rx.stats().errors, 8u);
}

}  // namespace
}  // namespace shunt::intel
