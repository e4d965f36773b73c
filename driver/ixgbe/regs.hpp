// Intel 82599 (ixgbe) register offsets and bit fields used by driver/ixgbe, with the
// datasheet's mnemonics. "DS" is the Intel 82599 10 GbE Controller Datasheet (331520); its
// chapter 8 lists the registers. Every offset and bit here was checked against ixy's
// src/driver/ixgbe_type.h (a copy of Intel's shared code) and Linux's ixgbe_type.h; where the
// 82599 has two addresses for a register (the 82598-compatible alias for queues 0-15 and the
// per-queue block), the one Linux's ixgbe writes on an 82599 is used and the other is named.
#pragma once

#include <cstdint>

namespace shunt::ixgbe {

namespace regs {
inline constexpr uint32_t CTRL = 0x00000;      // device control
inline constexpr uint32_t STATUS = 0x00008;    // device status
inline constexpr uint32_t CTRL_EXT = 0x00018;  // extended device control
inline constexpr uint32_t EICR = 0x00800;      // extended interrupt cause read
inline constexpr uint32_t EIMC = 0x00888;      // extended interrupt mask clear
constexpr uint32_t EIMC_EX(uint32_t n) {       // n = 0, 1: queue causes 16-63 (82599)
    return 0x00AB0 + 4 * n;
}
inline constexpr uint32_t RDRXCTL = 0x02F00;   // receive DMA control
inline constexpr uint32_t RXCTRL = 0x03000;    // receive control
inline constexpr uint32_t HLREG0 = 0x04240;    // MAC core control 0
inline constexpr uint32_t AUTOC = 0x042A0;     // auto-negotiation control
inline constexpr uint32_t LINKS = 0x042A4;     // link status
inline constexpr uint32_t RTTDCS = 0x04900;    // DCB transmit descriptor plane control
inline constexpr uint32_t DMATXCTL = 0x04A80;  // DMA transmit control
inline constexpr uint32_t RXCSUM = 0x05000;
inline constexpr uint32_t FCTRL = 0x05080;  // filter control
inline constexpr uint32_t MTA = 0x05200;    // multicast table, 128 registers
inline constexpr uint32_t RAL0 = 0x05400;   // receive address 0 (82599 also at 0x0A200)
inline constexpr uint32_t RAH0 = 0x05404;
inline constexpr uint32_t MRQC = 0x05818;       // multiple receive queues command
inline constexpr uint32_t RETA = 0x05C00;       // redirection table, 32 registers of 4 entries
inline constexpr uint32_t RSSRK = 0x05C80;      // RSS random key, 10 registers
inline constexpr uint32_t DTXMXSZRQ = 0x08100;  // DMA TX max total allowed size requests
inline constexpr uint32_t MTQC = 0x08120;       // multiple transmit queues command
inline constexpr uint32_t SECRXCTRL = 0x08D00;  // security RX control
inline constexpr uint32_t SECRXSTAT = 0x08D04;
inline constexpr uint32_t VFTA = 0x0A000;  // VLAN filter table, 128 registers
inline constexpr uint32_t EEC = 0x10010;   // EEPROM/flash control

constexpr uint32_t RXPBSIZE(uint32_t n) {  // n = 0..7 receive packet buffers
    return 0x03C00 + 4 * n;
}
constexpr uint32_t TXPBSIZE(uint32_t n) {  // n = 0..7 transmit packet buffers
    return 0x0CC00 + 4 * n;
}
// Queue statistics mapping: RQSMR n / TQSM n hold one byte per queue (queues 4n..4n+3), the
// statistics counter (0-15) that counts the queue. They reset to 0: every queue in counter 0.
constexpr uint32_t RQSMR(uint32_t n) {
    return 0x02300 + 4 * n;
}
constexpr uint32_t TQSM(uint32_t n) {
    return 0x08600 + 4 * n;
}

// Per-queue receive registers, queues 0..63: one 0x40 block each from 0x01000.
constexpr uint32_t RDBAL(uint32_t n) {
    return 0x01000 + 0x40 * n;
}
constexpr uint32_t RDBAH(uint32_t n) {
    return 0x01004 + 0x40 * n;
}
constexpr uint32_t RDLEN(uint32_t n) {
    return 0x01008 + 0x40 * n;
}
constexpr uint32_t RDH(uint32_t n) {
    return 0x01010 + 0x40 * n;
}
constexpr uint32_t RDT(uint32_t n) {
    return 0x01018 + 0x40 * n;
}
constexpr uint32_t RXDCTL(uint32_t n) {
    return 0x01028 + 0x40 * n;
}
// SRRCTL and DCA_RXCTRL of queues 0..15 at the addresses Linux's and ixy's ixgbe use
// (IXGBE_SRRCTL(i) = 0x02100 + 4i, IXGBE_DCA_RXCTRL(i) = 0x02200 + 4i for i <= 15); the
// datasheet also maps them into each queue's block (0x01014 / 0x0100C + 0x40 n).
constexpr uint32_t SRRCTL(uint32_t n) {
    return 0x02100 + 4 * n;
}
constexpr uint32_t DCA_RXCTRL(uint32_t n) {
    return 0x02200 + 4 * n;
}

// Per-queue transmit registers, queues 0..127: one 0x40 block each from 0x06000.
constexpr uint32_t TDBAL(uint32_t n) {
    return 0x06000 + 0x40 * n;
}
constexpr uint32_t TDBAH(uint32_t n) {
    return 0x06004 + 0x40 * n;
}
constexpr uint32_t TDLEN(uint32_t n) {
    return 0x06008 + 0x40 * n;
}
constexpr uint32_t TDH(uint32_t n) {
    return 0x06010 + 0x40 * n;
}
constexpr uint32_t TDT(uint32_t n) {
    return 0x06018 + 0x40 * n;
}
constexpr uint32_t TXDCTL(uint32_t n) {
    return 0x06028 + 0x40 * n;
}

// Statistics (DS §8.2.3.23), clear on read. The per-queue counters n = 0..15 count what the
// queue-to-counter mapping (RQSMR/TQSM) sends them.
inline constexpr uint32_t CRCERRS = 0x04000;
inline constexpr uint32_t ILLERRC = 0x04004;
inline constexpr uint32_t ERRBC = 0x04008;
inline constexpr uint32_t RLEC = 0x04040;
inline constexpr uint32_t GPRC = 0x04074;
inline constexpr uint32_t GPTC = 0x04080;
inline constexpr uint32_t GORCL = 0x04088;  // octets: the low half first, then the high
inline constexpr uint32_t GORCH = 0x0408C;
inline constexpr uint32_t GOTCL = 0x04090;
inline constexpr uint32_t GOTCH = 0x04094;
constexpr uint32_t MPC(uint32_t n) {  // missed packets per packet buffer, n = 0..7
    return 0x03FA0 + 4 * n;
}
constexpr uint32_t QPRC(uint32_t n) {
    return 0x01030 + 0x40 * n;
}
constexpr uint32_t QPRDC(uint32_t n) {
    return 0x01430 + 0x40 * n;
}
constexpr uint32_t QPTC(uint32_t n) {  // IXGBE_QPTC(i) in Linux's and ixy's ixgbe_type.h
    return 0x06030 + 0x40 * n;
}
}  // namespace regs

namespace ctrl {
inline constexpr uint32_t GIO_DIS = 1u << 2;  // master disable
inline constexpr uint32_t LNK_RST = 1u << 3;  // link reset
inline constexpr uint32_t RST = 1u << 26;     // device reset, self-clearing
inline constexpr uint32_t RST_MASK = LNK_RST | RST;
}  // namespace ctrl

namespace status {
inline constexpr uint32_t GIO = 1u << 19;  // master requests pending
}

namespace ctrl_ext {
inline constexpr uint32_t NS_DIS = 1u << 16;    // no snoop disable
inline constexpr uint32_t DRV_LOAD = 1u << 28;  // a driver runs (for the manageability firmware)
}  // namespace ctrl_ext

namespace eec {
inline constexpr uint32_t ARD = 1u << 9;  // EEPROM auto-read done
}

namespace rdrxctl {
inline constexpr uint32_t CRCSTRIP = 1u << 1;
inline constexpr uint32_t DMAIDONE = 1u << 3;         // DMA initialization cycle done
inline constexpr uint32_t RSCFRSTSIZE = 0x1Fu << 17;  // RSC first packet size: must be 0
inline constexpr uint32_t RSCACKC = 1u << 25;         // "must set 1" (ixgbe_type.h)
inline constexpr uint32_t FCOE_WRFIX = 1u << 26;      // "must set 1" (ixgbe_type.h)
}  // namespace rdrxctl

namespace rxctrl {
inline constexpr uint32_t RXEN = 1u << 0;
}

namespace secrxctrl {
inline constexpr uint32_t RX_DIS = 1u << 1;  // halt the receive data path (Linux: SECRX_DIS
}  // namespace secrxctrl
namespace secrxstat {
inline constexpr uint32_t SECRX_RDY = 1u << 0;
}

namespace hlreg0 {
inline constexpr uint32_t TXCRCEN = 1u << 0;    // append the CRC on transmit
inline constexpr uint32_t RXCRCSTRP = 1u << 1;  // strip the CRC on receive
inline constexpr uint32_t TXPADEN = 1u << 10;   // pad short frames
}  // namespace hlreg0

namespace autoc {
inline constexpr uint32_t AN_RESTART = 1u << 12;
inline constexpr uint32_t LMS_SHIFT = 13;
inline constexpr uint32_t LMS_MASK = 7u << LMS_SHIFT;        // link mode select
inline constexpr uint32_t LMS_10G_SERIAL = 3u << LMS_SHIFT;  // 10 GbE serial (SFI, SFP+)
inline constexpr uint32_t LMS_KX4_KX_KR = 4u << LMS_SHIFT;   // KX4/KX/KR autonegotiation
inline constexpr uint32_t PMA_PMD_10G_MASK = 3u << 7;        // 10G PMA/PMD: 00 = XAUI
}  // namespace autoc

namespace links {
inline constexpr uint32_t UP = 1u << 30;
inline constexpr uint32_t SPEED_MASK = 3u << 28;  // 01 100 Mb/s, 10 1 Gb/s, 11 10 Gb/s
inline constexpr uint32_t SPEED_10G = 3u << 28;
inline constexpr uint32_t SPEED_1G = 2u << 28;
inline constexpr uint32_t SPEED_100M = 1u << 28;
}  // namespace links

namespace rttdcs {
inline constexpr uint32_t ARBDIS = 1u << 6;  // transmit descriptor arbiter disabled
}

namespace mtqc {
inline constexpr uint32_t RT_ENA = 1u << 0;  // DCB
inline constexpr uint32_t VT_ENA = 1u << 1;  // virtualization
inline constexpr uint32_t Q64_1PB = 0;       // 64 queues, one packet buffer (no DCB, no VT)
}  // namespace mtqc

namespace dmatxctl {
inline constexpr uint32_t TE = 1u << 0;  // transmit enable
}

namespace fctrl {
inline constexpr uint32_t MPE = 1u << 8;   // multicast promiscuous
inline constexpr uint32_t UPE = 1u << 9;   // unicast promiscuous
inline constexpr uint32_t BAM = 1u << 10;  // accept broadcast
}  // namespace fctrl

namespace srrctl {
inline constexpr uint32_t BSIZEPACKET_MASK = 0x1F;  // in KiB
inline constexpr uint32_t DESCTYPE_MASK = 7u << 25;
inline constexpr uint32_t DESCTYPE_ADV_ONEBUF = 1u << 25;
inline constexpr uint32_t DROP_EN = 1u << 28;  // (the 82576 has it in bit 31)
}  // namespace srrctl

namespace dca_rxctrl {
// Reserved, reads 1 after reset; 82599 DS §4.6.7 asks software to clear it (ixy's "magic" bit).
inline constexpr uint32_t BIT12 = 1u << 12;
}  // namespace dca_rxctrl

namespace dctl {  // RXDCTL / TXDCTL
inline constexpr uint32_t PTHRESH_SHIFT = 0;
inline constexpr uint32_t HTHRESH_SHIFT = 8;
inline constexpr uint32_t WTHRESH_SHIFT = 16;
inline constexpr uint32_t THRESH_MASK = 0x7Fu | 0x7Fu << 8 | 0x7Fu << 16;
inline constexpr uint32_t ENABLE = 1u << 25;
}  // namespace dctl

namespace rxcsum {
inline constexpr uint32_t IPPCSE = 1u << 12;  // IP payload checksum (fragments); not used
inline constexpr uint32_t PCSD = 1u << 13;    // RSS hash in the write-back, not the checksum
}  // namespace rxcsum

namespace mrqc {
inline constexpr uint32_t RSSEN = 1u << 0;  // MRQE 0001b: RSS only
inline constexpr uint32_t TCP_IPV4 = 1u << 16;
inline constexpr uint32_t IPV4 = 1u << 17;
inline constexpr uint32_t UDP_IPV4 = 1u << 22;
}  // namespace mrqc

inline constexpr uint32_t RAH_AV = 1u << 31;  // address valid
inline constexpr uint32_t RXPBSIZE_128KB = 128u << 10;
inline constexpr uint32_t TXPBSIZE_40KB = 40u << 10;

}  // namespace shunt::ixgbe
