// The 82574 (e1000e) as a model of the shared e1000 driver: its own EERD layout, MSI and MSI-X, and
// the few steps the 82574 datasheet adds to the 8254x sequence.
#include "base/log.hpp"
#include "driver/e1000/bits.hpp"
#include "driver/e1000/e1000_nic.hpp"
#include "driver/e1000/regs.hpp"

namespace shunt::e1000 {

namespace {

constexpr uint32_t EECD = 0x00010;          // R/W  EEPROM/Flash Control, DS §10.2.2
constexpr uint32_t EECD_AUTO_RD = 1u << 9;  // NVM auto-read done

// DS §4.6.2: after a global reset the NVM is read again before the MAC address and the PHY
// settings are valid; wait for EECD.AUTO_RD (bounded).
Status after_reset(Mmio& mmio) {
    uint32_t eecd = 0;
    if (!mmio.wait_set(EECD, EECD_AUTO_RD, Duration(10'000), &eecd)) {
        return make_error("82574: NVM auto-read not done 10 ms after reset (EECD={:#010x})", eecd);
    }
    return {};
}

// DS §10.2.5 RFCTL / §10.2.6 TARC: legacy receive descriptors (EXTEN off, RCTL.DTYP 00) and
// transmit queue 0 enabled in the arbiter (its reset default).
void before_rings(Mmio& mmio) {
    mmio.clear_bits(regs::RFCTL, rfctl::EXTEN);
    const uint32_t tarc = mmio.read32(regs::TARC0);
    if ((tarc & tarc::ENABLE) == 0) {
        log::warn("82574: TARC0.ENABLE was clear ({:#010x}); setting it", tarc);
        mmio.write32(regs::TARC0, tarc | tarc::ENABLE);
    }
}

constexpr EerdLayout kEerd{eerd_82574::START, eerd_82574::DONE, eerd_82574::ADDR_SHIFT,
                           eerd_82574::DATA_SHIFT};
// DS §10.2.6 TIPG reset value: IPGT 8, IPGR1 8, IPGR2 6.
constexpr uint32_t kTipg = 8 | 8u << tipg::IPGR1_SHIFT | 6u << tipg::IPGR2_SHIFT;

constexpr Model kModels[] = {
    {0x10D3, "82574L", "e1000e", true, kEerd, true, true, kTipg, after_reset, before_rings},
    {0x10F6, "82574LA", "e1000e", true, kEerd, true, true, kTipg, after_reset, before_rings},
};

}  // namespace

std::span<const Model> models_82574() {
    return kModels;
}

}  // namespace shunt::e1000
