// Intel 82576 (igb) register offsets and bit fields used by driver/igb, with the datasheet's
// mnemonics. "DS" is the Intel 82576EB GbE Controller Datasheet; chapter 8 lists the registers
// (offsets cross-checked against QEMU's hw/net/igb_regs.h and Linux's igb headers, facts only).
// The per-queue blocks are the 82576's own (RX at 0xC000, TX at 0xE000, 0x40 apart); the
// 8254x-compatible aliases of queues 0-3 at 0x2800/0x3800 are not used.
#pragma once

#include <cstdint>

namespace shunt::igb {

namespace regs {
inline constexpr uint32_t CTRL = 0x0000;      // device control
inline constexpr uint32_t STATUS = 0x0008;    // device status
inline constexpr uint32_t EECD = 0x0010;      // EEPROM/flash control
inline constexpr uint32_t EERD = 0x0014;      // EEPROM read
inline constexpr uint32_t CTRL_EXT = 0x0018;  // extended device control
inline constexpr uint32_t MDIC = 0x0020;      // MDI (PHY register) control
inline constexpr uint32_t FCAL = 0x0028;      // flow control address low/high, type
inline constexpr uint32_t FCAH = 0x002C;
inline constexpr uint32_t FCT = 0x0030;
inline constexpr uint32_t ICR = 0x00C0;  // interrupt cause read
inline constexpr uint32_t IMS = 0x00D0;  // interrupt mask set
inline constexpr uint32_t IMC = 0x00D8;  // interrupt mask clear
inline constexpr uint32_t RCTL = 0x0100;
inline constexpr uint32_t FCTTV = 0x0170;
inline constexpr uint32_t TCTL = 0x0400;
inline constexpr uint32_t TIPG = 0x0410;
inline constexpr uint32_t GPIE = 0x1514;  // general purpose interrupt enable
inline constexpr uint32_t EIMS = 0x1524;  // extended interrupt mask set
inline constexpr uint32_t EIMC = 0x1528;  // extended interrupt mask clear
inline constexpr uint32_t EIAC = 0x152C;  // extended interrupt auto clear
inline constexpr uint32_t EICR = 0x1580;  // extended interrupt cause read
inline constexpr uint32_t RXCSUM = 0x5000;
inline constexpr uint32_t MTA = 0x5200;  // multicast table, 128 registers
inline constexpr uint32_t RAL0 = 0x5400;
inline constexpr uint32_t RAH0 = 0x5404;
inline constexpr uint32_t VFTA = 0x5600;   // VLAN filter table, 128 registers
inline constexpr uint32_t MRQC = 0x5818;   // multiple receive queues command
inline constexpr uint32_t RETA = 0x5C00;   // redirection table, 32 registers of 4 entries
inline constexpr uint32_t RSSRK = 0x5C80;  // RSS random key, 10 registers

// IVAR n routes queues n and n + 8 to MSI-X vectors (n = 0..7); EITR n throttles vector n.
constexpr uint32_t IVAR(uint32_t n) {
    return 0x1700 + 4 * n;
}
constexpr uint32_t EITR(uint32_t n) {
    return 0x1680 + 4 * n;
}

// Per-queue registers (n = 0..15).
constexpr uint32_t RDBAL(uint32_t n) {
    return 0xC000 + 0x40 * n;
}
constexpr uint32_t RDBAH(uint32_t n) {
    return 0xC004 + 0x40 * n;
}
constexpr uint32_t RDLEN(uint32_t n) {
    return 0xC008 + 0x40 * n;
}
constexpr uint32_t SRRCTL(uint32_t n) {
    return 0xC00C + 0x40 * n;
}
constexpr uint32_t RDH(uint32_t n) {
    return 0xC010 + 0x40 * n;
}
constexpr uint32_t RDT(uint32_t n) {
    return 0xC018 + 0x40 * n;
}
constexpr uint32_t RXDCTL(uint32_t n) {
    return 0xC028 + 0x40 * n;
}
constexpr uint32_t RQDPC(uint32_t n) {
    return 0xC030 + 0x40 * n;
}  // queue drop count
constexpr uint32_t TDBAL(uint32_t n) {
    return 0xE000 + 0x40 * n;
}
constexpr uint32_t TDBAH(uint32_t n) {
    return 0xE004 + 0x40 * n;
}
constexpr uint32_t TDLEN(uint32_t n) {
    return 0xE008 + 0x40 * n;
}
constexpr uint32_t TDH(uint32_t n) {
    return 0xE010 + 0x40 * n;
}
constexpr uint32_t TDT(uint32_t n) {
    return 0xE018 + 0x40 * n;
}
constexpr uint32_t TXDCTL(uint32_t n) {
    return 0xE028 + 0x40 * n;
}

// Statistics (DS §8.19), at the 8254x offsets.
inline constexpr uint32_t CRCERRS = 0x4000;
inline constexpr uint32_t ALGNERRC = 0x4004;
inline constexpr uint32_t RXERRC = 0x400C;
inline constexpr uint32_t MPC = 0x4010;
inline constexpr uint32_t ECOL = 0x4018;
inline constexpr uint32_t LATECOL = 0x4020;
inline constexpr uint32_t RLEC = 0x4040;
inline constexpr uint32_t GPRC = 0x4074;
inline constexpr uint32_t GPTC = 0x4080;
inline constexpr uint32_t GORCL = 0x4088;
inline constexpr uint32_t GORCH = 0x408C;
inline constexpr uint32_t GOTCL = 0x4090;
inline constexpr uint32_t GOTCH = 0x4094;
inline constexpr uint32_t RNBC = 0x40A0;
inline constexpr uint32_t TORL = 0x40C0;
inline constexpr uint32_t TORH = 0x40C4;
inline constexpr uint32_t TOTL = 0x40C8;
inline constexpr uint32_t TOTH = 0x40CC;
inline constexpr uint32_t TPR = 0x40D0;
inline constexpr uint32_t TPT = 0x40D4;
}  // namespace regs

namespace ctrl {
inline constexpr uint32_t GIO_MASTER_DISABLE = 1u << 2;  // stop issuing bus-master requests
inline constexpr uint32_t LRST = 1u << 3;
inline constexpr uint32_t SLU = 1u << 6;  // set link up
inline constexpr uint32_t FRCSPD = 1u << 11;
inline constexpr uint32_t FRCDPX = 1u << 12;
inline constexpr uint32_t RST = 1u << 26;  // global reset, self-clearing
inline constexpr uint32_t VME = 1u << 30;
inline constexpr uint32_t PHY_RST = 1u << 31;
}  // namespace ctrl

namespace status {
inline constexpr uint32_t FD = 1u << 0;
inline constexpr uint32_t LU = 1u << 1;
inline constexpr uint32_t SPEED_SHIFT = 6;
inline constexpr uint32_t SPEED_MASK = 3u << SPEED_SHIFT;
inline constexpr uint32_t GIO_MASTER_ENABLE = 1u << 19;  // bus-master requests still pending
}  // namespace status

namespace eecd {
inline constexpr uint32_t AUTO_RD = 1u << 9;  // NVM auto-read done
}

namespace eerd {  // the 82575/82576 layout (as the 82574's)
inline constexpr uint32_t START = 1u << 0;
inline constexpr uint32_t DONE = 1u << 1;
inline constexpr uint32_t ADDR_SHIFT = 2;
inline constexpr uint32_t DATA_SHIFT = 16;
}  // namespace eerd

namespace ctrl_ext {
inline constexpr uint32_t DRV_LOAD = 1u << 28;  // tells the manageability firmware a driver runs
}

namespace mdic {
inline constexpr uint32_t REG_SHIFT = 16;
inline constexpr uint32_t PHY_SHIFT = 21;
inline constexpr uint32_t OP_WRITE = 1u << 26;
inline constexpr uint32_t OP_READ = 2u << 26;
inline constexpr uint32_t READY = 1u << 28;
inline constexpr uint32_t ERROR = 1u << 30;
inline constexpr uint32_t PHY_ADDR = 1;  // the internal copper PHY
}  // namespace mdic

namespace phy {  // IEEE 802.3 clause 22 registers of the internal PHY
inline constexpr uint32_t BMCR = 0;
inline constexpr uint16_t BMCR_ANRESTART = 1u << 9;
inline constexpr uint16_t BMCR_AUTOEN = 1u << 12;
}  // namespace phy

namespace gpie {
inline constexpr uint32_t NSICR = 1u << 0;         // non-selective interrupt clear on read
inline constexpr uint32_t MSIX_MODE = 1u << 4;     // causes go to EICR bits per IVAR vector
inline constexpr uint32_t PBA_SUPPORT = 1u << 31;  // MSI-X pending bits (required with MSI-X)
}  // namespace gpie

namespace ivar {  // one byte per queue and direction: RX queue n in bits 7:0 of IVAR n
inline constexpr uint32_t VALID = 0x80;
}

namespace eitr {
inline constexpr uint32_t INTERVAL_SHIFT = 2;  // interval in microseconds, bits 14:2
inline constexpr uint32_t INTERVAL_MASK = 0x7FFC;
}  // namespace eitr

namespace rctl {
inline constexpr uint32_t EN = 1u << 1;
inline constexpr uint32_t UPE = 1u << 3;     // unicast promiscuous
inline constexpr uint32_t MPE = 1u << 4;     // multicast promiscuous
inline constexpr uint32_t LPE = 1u << 5;     // long packets
inline constexpr uint32_t BAM = 1u << 15;    // accept broadcast
inline constexpr uint32_t SECRC = 1u << 26;  // strip the Ethernet CRC
}  // namespace rctl

namespace tctl {
inline constexpr uint32_t EN = 1u << 1;
inline constexpr uint32_t PSP = 1u << 3;  // pad short packets
inline constexpr uint32_t CT_SHIFT = 4;
inline constexpr uint32_t COLD_SHIFT = 12;
inline constexpr uint32_t RTLC = 1u << 24;  // retransmit on late collision
}  // namespace tctl

namespace srrctl {
inline constexpr uint32_t BSIZEPACKET_SHIFT = 0;  // in KiB
inline constexpr uint32_t DESCTYPE_ADV_ONEBUF = 1u << 25;
inline constexpr uint32_t DESCTYPE_MASK = 7u << 25;
inline constexpr uint32_t DROP_EN = 1u << 31;  // drop when the ring has no free descriptor
}  // namespace srrctl

namespace dctl {  // RXDCTL / TXDCTL
inline constexpr uint32_t PTHRESH_SHIFT = 0;
inline constexpr uint32_t HTHRESH_SHIFT = 8;
inline constexpr uint32_t WTHRESH_SHIFT = 16;
inline constexpr uint32_t ENABLE = 1u << 25;
}  // namespace dctl

namespace rxcsum {
inline constexpr uint32_t IPOFLD = 1u << 8;  // IPv4 header checksum
inline constexpr uint32_t TUOFLD = 1u << 9;  // TCP/UDP checksum
inline constexpr uint32_t PCSD = 1u << 13;   // packet checksum disable: RSS hash in write-back
}  // namespace rxcsum

namespace mrqc {
inline constexpr uint32_t ENABLE_RSS = 2u;  // MRQE 010b: RSS, no VMDq
inline constexpr uint32_t TCP_IPV4 = 1u << 16;
inline constexpr uint32_t IPV4 = 1u << 17;
inline constexpr uint32_t UDP_IPV4 = 1u << 22;
}  // namespace mrqc

inline constexpr uint32_t RAH_AV = 1u << 31;  // address valid

}  // namespace shunt::igb
