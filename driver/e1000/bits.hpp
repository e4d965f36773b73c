// Bit fields of the registers in regs.hpp, named as in the 8254x SDM (rev 4.0) and the 82574
// datasheet. One namespace per register; only fields this driver uses.
#pragma once

#include <cstdint>

namespace shunt::e1000 {

namespace ctrl {                               // CTRL, SDM §13.4.1
inline constexpr uint32_t FD = 1u << 0;        // full duplex
inline constexpr uint32_t LRST = 1u << 3;      // link reset
inline constexpr uint32_t ASDE = 1u << 5;      // auto-speed detection enable
inline constexpr uint32_t SLU = 1u << 6;       // set link up
inline constexpr uint32_t ILOS = 1u << 7;      // invert loss-of-signal
inline constexpr uint32_t FRCSPD = 1u << 11;   // force speed
inline constexpr uint32_t FRCDPX = 1u << 12;   // force duplex
inline constexpr uint32_t RST = 1u << 26;      // device reset, self-clearing
inline constexpr uint32_t VME = 1u << 30;      // VLAN mode enable
inline constexpr uint32_t PHY_RST = 1u << 31;  // PHY reset
}  // namespace ctrl

namespace status {  // STATUS, SDM §13.4.2
inline constexpr uint32_t FD = 1u << 0;
inline constexpr uint32_t LU = 1u << 1;  // link up
inline constexpr uint32_t SPEED_SHIFT = 6;
inline constexpr uint32_t SPEED_MASK = 3u << SPEED_SHIFT;  // 00 10, 01 100, 1x 1000 Mb/s
}  // namespace status

// EERD differs between the families: SDM §13.4.4 (8254x, not on the 82544) and DS §10.2.2.
namespace eerd_8254x {
inline constexpr uint32_t START = 1u << 0;
inline constexpr uint32_t DONE = 1u << 4;
inline constexpr uint32_t ADDR_SHIFT = 8;
inline constexpr uint32_t DATA_SHIFT = 16;
}  // namespace eerd_8254x
namespace eerd_82574 {
inline constexpr uint32_t START = 1u << 0;
inline constexpr uint32_t DONE = 1u << 1;
inline constexpr uint32_t ADDR_SHIFT = 2;
inline constexpr uint32_t DATA_SHIFT = 16;
}  // namespace eerd_82574

namespace icr {                              // ICR/ICS/IMS/IMC share the layout, SDM §13.4.17
inline constexpr uint32_t TXDW = 1u << 0;    // transmit descriptor written back
inline constexpr uint32_t LSC = 1u << 2;     // link status change
inline constexpr uint32_t RXDMT0 = 1u << 4;  // receive descriptor minimum threshold
inline constexpr uint32_t RXO = 1u << 6;     // receiver overrun
inline constexpr uint32_t RXT0 = 1u << 7;    // receiver timer interrupt (frame stored)
// 82574 in MSI-X mode (DS §10.2.4.1): per-queue causes, and "other" for everything else (LSC).
inline constexpr uint32_t RXQ0 = 1u << 20;
inline constexpr uint32_t OTHER = 1u << 24;
inline constexpr uint32_t ALL = 0xFFFFFFFFu;
}  // namespace icr

namespace rctl {                          // RCTL, SDM §13.4.22
inline constexpr uint32_t EN = 1u << 1;   // receiver enable
inline constexpr uint32_t SBP = 1u << 2;  // store bad packets
inline constexpr uint32_t UPE = 1u << 3;  // unicast promiscuous
inline constexpr uint32_t MPE = 1u << 4;  // multicast promiscuous
inline constexpr uint32_t LPE = 1u << 5;  // long packet enable
inline constexpr uint32_t LBM_MASK = 3u << 6;
inline constexpr uint32_t RDMTS_HALF = 0u << 8;  // RXDMT0 at 1/2 of the ring free
inline constexpr uint32_t RDMTS_MASK = 3u << 8;
inline constexpr uint32_t DTYP_MASK = 3u << 10;  // 82574: 00 legacy/extended, 01 packet split
inline constexpr uint32_t MO_MASK = 3u << 12;
inline constexpr uint32_t BAM = 1u << 15;         // broadcast accept mode
inline constexpr uint32_t BSIZE_2048 = 0u << 16;  // with BSEX = 0
inline constexpr uint32_t BSIZE_MASK = 3u << 16;
inline constexpr uint32_t VFE = 1u << 18;    // VLAN filter enable
inline constexpr uint32_t BSEX = 1u << 25;   // buffer size extension
inline constexpr uint32_t SECRC = 1u << 26;  // strip Ethernet CRC
}  // namespace rctl

namespace tctl {  // TCTL, SDM §13.4.33 Table 13-76
inline constexpr uint32_t EN = 1u << 1;
inline constexpr uint32_t PSP = 1u << 3;  // pad short packets
inline constexpr uint32_t CT_SHIFT = 4;   // collision threshold, 11:4
inline constexpr uint32_t CT_MASK = 0xFFu << CT_SHIFT;
inline constexpr uint32_t COLD_SHIFT = 12;  // collision distance, 21:12
inline constexpr uint32_t COLD_MASK = 0x3FFu << COLD_SHIFT;
inline constexpr uint32_t CT_RECOMMENDED = 0x0F;    // §13.4.33
inline constexpr uint32_t COLD_FULL_DUPLEX = 0x40;  // 64-byte time, §13.4.33
}  // namespace tctl

namespace tipg {  // TIPG, SDM §13.4.34
inline constexpr uint32_t IPGR1_SHIFT = 10;
inline constexpr uint32_t IPGR2_SHIFT = 20;
}  // namespace tipg

namespace rxcsum {                          // RXCSUM, SDM §13.4.47
inline constexpr uint32_t IPOFL = 1u << 8;  // IPv4 header checksum offload
inline constexpr uint32_t TUOFL = 1u << 9;  // TCP/UDP checksum offload
}  // namespace rxcsum

namespace rah {                           // RAH, SDM §13.5.3
inline constexpr uint32_t AV = 1u << 31;  // address valid
}  // namespace rah

namespace ctrl_ext {                               // CTRL_EXT (82574), DS §10.2.2
inline constexpr uint32_t EIAME = 1u << 24;        // IAM applies on MSI-X messages too
inline constexpr uint32_t IAME = 1u << 27;         // interrupt acknowledge auto-mask
inline constexpr uint32_t PBA_SUPPORT = 1u << 31;  // MSI-X pending-bit array; set in MSI-X mode
}  // namespace ctrl_ext

namespace ivar {  // IVAR (82574), DS §10.2.4: 4-bit entries, vector number in bits 2:0
inline constexpr uint32_t VALID = 1u << 3;
inline constexpr uint32_t RXQ0_SHIFT = 0;
inline constexpr uint32_t TXQ0_SHIFT = 8;
inline constexpr uint32_t OTHER_SHIFT = 16;
}  // namespace ivar

namespace rfctl {                            // RFCTL (82574), DS §10.2.5
inline constexpr uint32_t EXTEN = 1u << 15;  // extended receive descriptors (we use legacy)
}  // namespace rfctl

namespace tarc {                              // TARC0 (82574), DS §10.2.6
inline constexpr uint32_t ENABLE = 1u << 10;  // queue 0 takes part in transmit arbitration
}  // namespace tarc

}  // namespace shunt::e1000
