// Descriptor layouts (bytes as the NIC reads them), ring index arithmetic, the model table and
// the clear-on-read statistics helper.
#include "driver/desc_queue.hpp"
#include "driver/e1000/desc.hpp"
#include "driver/e1000/e1000_nic.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>

namespace shunt::e1000 {
namespace {

template <typename T>
std::array<uint8_t, 16> bytes_of(const T& d) {
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), &d, 16);
    return b;
}

TEST(E1000Desc, LegacyTxDescriptorBytes) {
    TxDesc d{};
    d.buffer_addr = 0x1122334455667788ull;
    d.length = 0x05DC;
    d.cmd = txd_cmd::EOP | txd_cmd::IFCS | txd_cmd::RS;
    const std::array<uint8_t, 16> want = {0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
                                          0xDC, 0x05, 0x00, 0x0B, 0x00, 0x00, 0x00, 0x00};
    EXPECT_EQ(bytes_of(d), want);
}

TEST(E1000Desc, RxDescriptorFieldsSitWhereTheNicWritesThem) {
    std::array<uint8_t, 16> raw = {0,    0,    0,    0,    0,    0,    0,    0,
                                   0x3C, 0x00, 0xAA, 0xBB, 0x67, 0x40, 0x01, 0x02};
    RxDesc d;
    std::memcpy(&d, raw.data(), 16);
    EXPECT_EQ(d.length, 60);
    EXPECT_EQ(d.csum, 0xBBAA);
    EXPECT_EQ(d.status, rxd_status::DD | rxd_status::EOP | rxd_status::IXSM | rxd_status::TCPCS |
                            rxd_status::IPCS);
    EXPECT_EQ(d.errors, rxd_errors::IPE);
    EXPECT_EQ(d.special, 0x0201);
}

TEST(E1000Desc, ContextAndDataDescriptorBytes) {
    TxContextDesc c{};
    c.ipcss = 14;
    c.ipcso = 24;
    c.ipcse = 33;
    c.tucss = 34;
    c.tucso = 40;
    c.tucse = 0;
    c.cmd_and_length = txd_ext::DEXT | txd_ext::RS | txd_ext::IP | txd_ext::DTYP_CONTEXT;
    const std::array<uint8_t, 16> want_c = {14,   24,   33,   0,    34, 40, 0, 0,
                                            0x00, 0x00, 0x00, 0x2A, 0,  0,  0, 0};
    EXPECT_EQ(bytes_of(c), want_c);

    TxDataDesc d{};
    d.buffer_addr = 0x1000;
    d.cmd_and_length =
        60 | txd_ext::DTYP_DATA | txd_ext::DEXT | txd_ext::EOP | txd_ext::IFCS | txd_ext::RS;
    d.popts = txd_popts::IXSM | txd_popts::TXSM;
    const std::array<uint8_t, 16> want_d = {0x00, 0x10, 0,    0,    0,    0,    0, 0,
                                            0x3C, 0x00, 0x10, 0x2B, 0x00, 0x03, 0, 0};
    EXPECT_EQ(bytes_of(d), want_d);
}

TEST(E1000Ring, SizesArePowersOfTwoWithinLimits) {
    EXPECT_TRUE(valid_ring_size(8));
    EXPECT_TRUE(valid_ring_size(256));
    EXPECT_TRUE(valid_ring_size(4096));
    EXPECT_FALSE(valid_ring_size(0));
    EXPECT_FALSE(valid_ring_size(4));
    EXPECT_FALSE(valid_ring_size(24));
    EXPECT_FALSE(valid_ring_size(8192));
}

TEST(E1000Models, KnowsQemuDevicesAndRejectsOthers) {
    const Model* e1000 = find_model(0x8086, 0x100E);
    ASSERT_NE(e1000, nullptr);
    EXPECT_STREQ(e1000->driver, "e1000");
    EXPECT_STREQ(e1000->chip, "82540EM");
    EXPECT_FALSE(e1000->has_msi);
    EXPECT_FALSE(e1000->has_msix);
    const Model* e1000e = find_model(0x8086, 0x10D3);
    ASSERT_NE(e1000e, nullptr);
    EXPECT_STREQ(e1000e->driver, "e1000e");
    EXPECT_TRUE(e1000e->has_msi);
    EXPECT_TRUE(e1000e->has_msix);
    EXPECT_EQ(e1000e->eerd.done, 1u << 1);
    EXPECT_EQ(e1000->eerd.done, 1u << 4);
    EXPECT_EQ(find_model(0x8086, 0x1234), nullptr);
    EXPECT_EQ(find_model(0x1AF4, 0x100E), nullptr);      // right ID, wrong vendor
    EXPECT_FALSE(find_model(0x8086, 0x100C)->has_eerd);  // 82544GC
}

TEST(E1000Stats, ClearOnReadRegisterIsTakenAsIs) {
    ClearOnReadCounter c;
    EXPECT_EQ(c.account(0, [] { return 0u; }), 0u);  // zero says nothing yet
    EXPECT_EQ(c.account(5, [] { return 1u; }), 6u);  // cleared, one more event since
    EXPECT_TRUE(c.clears());
    EXPECT_EQ(c.account(7, [] { return 99u; }), 7u);  // no more re-reads once known
}

TEST(E1000Stats, StickyRegisterYieldsIncreases) {
    ClearOnReadCounter c;
    EXPECT_EQ(c.account(5, [] { return 5u; }), 5u);  // did not clear: QEMU's MPC, RNBC
    EXPECT_TRUE(c.sticky());
    EXPECT_EQ(c.account(9, [] { return 0u; }), 4u);
    EXPECT_EQ(c.account(9, [] { return 0u; }), 0u);
    EXPECT_EQ(c.account(2, [] { return 0u; }), (uint64_t{1} << 32) - 7);  // wrapped
}

}  // namespace
}  // namespace shunt::e1000
