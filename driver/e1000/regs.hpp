// Register offsets of the Intel 8254x (PCI/PCI-X Family of Gigabit Ethernet Controllers Software
// Developer's Manual, rev 4.0, 317453-006, "SDM") and the 82574 (82574 GbE Controller Family
// Datasheet, rev 3.4, 317694, "DS"). Names are the manuals' mnemonics; only registers this driver
// touches are listed. Both parts keep the 8254x layout for everything used here; 82574-only
// registers say so. Offsets are bytes from the start of BAR 0 (memory-mapped CSR space).
#pragma once

#include <cstdint>

namespace shunt::e1000::regs {

// General (SDM §13.4, DS §10.2.2)
inline constexpr uint32_t CTRL = 0x00000;    // R/W  Device Control       SDM §13.4.1
inline constexpr uint32_t STATUS = 0x00008;  // RO   Device Status        SDM §13.4.2
inline constexpr uint32_t EERD = 0x00014;    // R/W  EEPROM Read          SDM §13.4.4
inline constexpr uint32_t FCAL = 0x00028;    // R/W  Flow Control Address Low   SDM §13.4.8
inline constexpr uint32_t FCAH = 0x0002C;    // R/W  Flow Control Address High  SDM §13.4.9
inline constexpr uint32_t FCT = 0x00030;     // R/W  Flow Control Type          SDM §13.4.10
inline constexpr uint32_t FCTTV = 0x00170;   // R/W  Flow Control Transmit Timer Value SDM §13.4.12

// Interrupts (SDM §13.4.17-21, DS §10.2.4; ITR is DS §10.2.4.2)
inline constexpr uint32_t ICR = 0x000C0;  // RC   Interrupt Cause Read (W1C on the 82574) §13.4.17
inline constexpr uint32_t ITR = 0x000C4;  // R/W  Interrupt Throttling, 256 ns units    §13.4.18
inline constexpr uint32_t IMS = 0x000D0;  // R/W  Interrupt Mask Set/Read              §13.4.20
inline constexpr uint32_t IMC = 0x000D8;  // WO   Interrupt Mask Clear                 §13.4.21
// MSI-X (82574 only, DS §10.2.4 and §7.4.2): causes are routed to vectors by IVAR, each vector
// throttled by its own EITR; CTRL_EXT holds the MSI-X mode bits.
inline constexpr uint32_t CTRL_EXT = 0x00018;  // R/W  Extended Device Control, DS §10.2.2
inline constexpr uint32_t EIAC = 0x000DC;      // R/W  Extended Interrupt Auto Clear
inline constexpr uint32_t IVAR = 0x000E4;      // R/W  Interrupt Vector Allocation
constexpr uint32_t EITR(uint32_t vector) {     // R/W  Extended Interrupt Throttle, 0..4
    return 0x000E8 + 4 * vector;
}

// Receive (SDM §13.4.22-31, §13.4.47; DS §10.2.5)
inline constexpr uint32_t RCTL = 0x00100;    // R/W  Receive Control                   §13.4.22
inline constexpr uint32_t RDBAL = 0x02800;   // R/W  RX Descriptor Base Address Low    §13.4.25
inline constexpr uint32_t RDBAH = 0x02804;   // R/W  RX Descriptor Base Address High   §13.4.26
inline constexpr uint32_t RDLEN = 0x02808;   // R/W  RX Descriptor Length (bytes)      §13.4.27
inline constexpr uint32_t RDH = 0x02810;     // R/W  RX Descriptor Head                §13.4.28
inline constexpr uint32_t RDT = 0x02818;     // R/W  RX Descriptor Tail                §13.4.29
inline constexpr uint32_t RDTR = 0x02820;    // R/W  RX Delay Timer                    §13.4.30
inline constexpr uint32_t RADV = 0x0282C;    // R/W  RX Interrupt Absolute Delay Timer §13.4.31
inline constexpr uint32_t RXCSUM = 0x05000;  // R/W  RX Checksum Control               §13.4.47
inline constexpr uint32_t RFCTL = 0x05008;  // R/W  Receive Filter Control (82574 only), DS §10.2.5

// Transmit (SDM §13.4.33-44, DS §10.2.6)
inline constexpr uint32_t TCTL = 0x00400;    // R/W  Transmit Control                   §13.4.33
inline constexpr uint32_t TIPG = 0x00410;    // R/W  Transmit Inter Packet Gap          §13.4.34
inline constexpr uint32_t TDBAL = 0x03800;   // R/W  TX Descriptor Base Address Low     §13.4.36
inline constexpr uint32_t TDBAH = 0x03804;   // R/W  TX Descriptor Base Address High    §13.4.37
inline constexpr uint32_t TDLEN = 0x03808;   // R/W  TX Descriptor Length (bytes)       §13.4.38
inline constexpr uint32_t TDH = 0x03810;     // R/W  TX Descriptor Head                 §13.4.39
inline constexpr uint32_t TDT = 0x03818;     // R/W  TX Descriptor Tail                 §13.4.40
inline constexpr uint32_t TIDV = 0x03820;    // R/W  TX Interrupt Delay Value           §13.4.41
inline constexpr uint32_t TXDCTL = 0x03828;  // R/W  TX Descriptor Control              §13.4.43
inline constexpr uint32_t TARC0 = 0x03840;  // R/W  TX Arbitration Count 0 (82574 only), DS §10.2.6

// Address filters (SDM §13.5, DS §10.2.7)
inline constexpr uint32_t MTA = 0x05200;  // R/W  Multicast Table Array, 128 x 32 bits   §13.5.1
inline constexpr uint32_t MTA_COUNT = 128;
inline constexpr uint32_t RAL0 = 0x05400;  // R/W  Receive Address Low, entry 0          §13.5.2
inline constexpr uint32_t RAH0 = 0x05404;  // R/W  Receive Address High, entry 0         §13.5.3

// Statistics, all clear-on-read (SDM §13.7, DS §10.2.8)
inline constexpr uint32_t CRCERRS = 0x04000;   // RC  CRC Error Count
inline constexpr uint32_t ALGNERRC = 0x04004;  // RC  Alignment Error Count
inline constexpr uint32_t RXERRC = 0x0400C;    // RC  RX Error Count
inline constexpr uint32_t MPC = 0x04010;       // RC  Missed Packets Count
inline constexpr uint32_t ECOL = 0x04018;      // RC  Excessive Collisions Count
inline constexpr uint32_t LATECOL = 0x04020;   // RC  Late Collisions Count
inline constexpr uint32_t RLEC = 0x04040;      // RC  Receive Length Error Count
inline constexpr uint32_t GPRC = 0x04074;      // RC  Good Packets Received Count
inline constexpr uint32_t GPTC = 0x04080;      // RC  Good Packets Transmitted Count
inline constexpr uint32_t GORCL = 0x04088;     // RC  Good Octets Received Count Low
inline constexpr uint32_t GORCH = 0x0408C;     // RC  Good Octets Received Count High (read after L)
inline constexpr uint32_t GOTCL = 0x04090;     // RC  Good Octets Transmitted Count Low
inline constexpr uint32_t GOTCH = 0x04094;     // RC  Good Octets Transmitted Count High
inline constexpr uint32_t RNBC = 0x040A0;      // RC  Receive No Buffers Count
inline constexpr uint32_t TORL = 0x040C0;      // RC  Total Octets Received Low
inline constexpr uint32_t TORH = 0x040C4;      // RC  Total Octets Received High (read after L)
inline constexpr uint32_t TOTL = 0x040C8;      // RC  Total Octets Transmitted Low
inline constexpr uint32_t TOTH = 0x040CC;      // RC  Total Octets Transmitted High
inline constexpr uint32_t TPR = 0x040D0;       // RC  Total Packets Received
inline constexpr uint32_t TPT = 0x040D4;       // RC  Total Packets Transmitted

}  // namespace shunt::e1000::regs
