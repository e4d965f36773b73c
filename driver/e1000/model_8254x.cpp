// The 8254x parts this driver knows (copper and LOM variants; fiber/SerDes need a different
// link setup, SDM §14.6). Device IDs as listed in the SDM (Table 5-1).
#include "driver/e1000/bits.hpp"
#include "driver/e1000/e1000_nic.hpp"

namespace shunt::e1000 {

namespace {

constexpr EerdLayout kEerd{eerd_8254x::START, eerd_8254x::DONE, eerd_8254x::ADDR_SHIFT,
                           eerd_8254x::DATA_SHIFT};
// SDM §13.4.34 recommended TIPG for copper: IPGT 10, IPGR1 8, IPGR2 6.
constexpr uint32_t kTipg = 10 | 8u << tipg::IPGR1_SHIFT | 6u << tipg::IPGR2_SHIFT;
// The 82544 has no EERD register and recommends IPGT 8.
constexpr uint32_t kTipg82544 = 8 | 8u << tipg::IPGR1_SHIFT | 6u << tipg::IPGR2_SHIFT;

constexpr Model m(uint16_t id, const char* chip) {
    return Model{id, chip, "e1000", true, kEerd, false, false, kTipg, nullptr, nullptr};
}
constexpr Model m82544(uint16_t id, const char* chip) {
    return Model{id, chip, "e1000", false, kEerd, false, false, kTipg82544, nullptr, nullptr};
}

constexpr Model kModels[] = {
    m(0x100E, "82540EM"),  // QEMU's -device e1000
    m(0x1015, "82540EM"),      m(0x1016, "82540EP"),
    m(0x1017, "82540EP"),      m(0x101E, "82540EP"),
    m(0x100F, "82545EM"),  // QEMU's e1000-82545em
    m(0x1026, "82545GM"),      m(0x1010, "82546EB"),
    m(0x101D, "82546EB"),      m(0x1079, "82546GB"),
    m(0x1099, "82546GB"),      m(0x10B5, "82546GB"),
    m(0x1013, "82541EI"),      m(0x1018, "82541EI"),
    m(0x1014, "82541ER"),      m(0x1078, "82541ER"),
    m(0x1076, "82541GI"),      m(0x1077, "82541GI"),
    m(0x107C, "82541GI"),      m(0x1019, "82547EI"),
    m(0x101A, "82547EI"),      m(0x1075, "82547GI"),
    m82544(0x1008, "82544EI"), m82544(0x100C, "82544GC"),  // QEMU's e1000-82544gc
    m82544(0x100D, "82544GC"),
};

}  // namespace

std::span<const Model> models_8254x() {
    return kModels;
}

}  // namespace shunt::e1000
