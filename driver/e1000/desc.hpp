// Descriptor layouts shared by the 8254x and the 82574 (legacy formats; the 82574 uses them while
// RFCTL.EXTEN = 0 and RCTL.DTYP = 00). All fields little-endian, as the host (x86) is.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shunt::e1000 {

// Receive descriptor, SDM §3.2.3 (DS §7.1.4): the NIC writes length, checksum, status, errors.
struct RxDesc {
    uint64_t buffer_addr;
    uint16_t length;
    uint16_t csum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
};
static_assert(sizeof(RxDesc) == 16);
static_assert(offsetof(RxDesc, length) == 8 && offsetof(RxDesc, csum) == 10);
static_assert(offsetof(RxDesc, status) == 12 && offsetof(RxDesc, errors) == 13);
static_assert(offsetof(RxDesc, special) == 14);

namespace rxd_status {                     // SDM §3.2.3.1
inline constexpr uint8_t DD = 1u << 0;     // descriptor done
inline constexpr uint8_t EOP = 1u << 1;    // end of packet
inline constexpr uint8_t IXSM = 1u << 2;   // ignore checksum indication
inline constexpr uint8_t VP = 1u << 3;     // 802.1Q packet
inline constexpr uint8_t UDPCS = 1u << 4;  // UDP checksum calculated (82574)
inline constexpr uint8_t TCPCS = 1u << 5;  // TCP/UDP checksum calculated
inline constexpr uint8_t IPCS = 1u << 6;   // IPv4 checksum calculated
}  // namespace rxd_status

namespace rxd_errors {                    // SDM §3.2.3.2
inline constexpr uint8_t CE = 1u << 0;    // CRC or alignment error
inline constexpr uint8_t SE = 1u << 1;    // symbol error
inline constexpr uint8_t SEQ = 1u << 2;   // sequence error
inline constexpr uint8_t CXE = 1u << 4;   // carrier extension error
inline constexpr uint8_t TCPE = 1u << 5;  // TCP/UDP checksum error
inline constexpr uint8_t IPE = 1u << 6;   // IPv4 checksum error
inline constexpr uint8_t RXE = 1u << 7;   // RX data error
// Errors that make the frame itself bad (checksum errors only flag it).
inline constexpr uint8_t FRAME = CE | SE | SEQ | CXE | RXE;
}  // namespace rxd_errors

// Legacy transmit descriptor, SDM §3.3.3 (DS §7.2.10.1).
struct TxDesc {
    uint64_t buffer_addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    uint8_t status;
    uint8_t css;
    uint16_t special;
};
static_assert(sizeof(TxDesc) == 16);
static_assert(offsetof(TxDesc, length) == 8 && offsetof(TxDesc, cso) == 10);
static_assert(offsetof(TxDesc, cmd) == 11 && offsetof(TxDesc, status) == 12);
static_assert(offsetof(TxDesc, css) == 13 && offsetof(TxDesc, special) == 14);

namespace txd_cmd {                       // legacy CMD byte, SDM §3.3.3.1
inline constexpr uint8_t EOP = 1u << 0;   // end of packet
inline constexpr uint8_t IFCS = 1u << 1;  // insert FCS
inline constexpr uint8_t RS = 1u << 3;    // report status (write DD back)
inline constexpr uint8_t DEXT = 1u << 5;  // extension: 0 = legacy
}  // namespace txd_cmd

namespace txd_status {  // STA, SDM §3.3.3.2
inline constexpr uint8_t DD = 1u << 0;
}  // namespace txd_status

// TCP/IP context descriptor, SDM §3.3.6: no data, sets up checksum offload for the data
// descriptors that follow. Offsets are bytes from the start of the frame.
struct TxContextDesc {
    uint8_t ipcss;            // IP checksum start
    uint8_t ipcso;            // IP checksum offset (where to store it)
    uint16_t ipcse;           // IP checksum end (inclusive)
    uint8_t tucss;            // TCP/UDP checksum start
    uint8_t tucso;            // TCP/UDP checksum offset
    uint16_t tucse;           // TCP/UDP checksum end (inclusive; 0 = to the end of the frame)
    uint32_t cmd_and_length;  // PAYLEN 19:0, DTYP 23:20 (0000), TUCMD 31:24
    uint8_t status;
    uint8_t hdrlen;
    uint16_t mss;
};
static_assert(sizeof(TxContextDesc) == 16);
static_assert(offsetof(TxContextDesc, ipcse) == 2 && offsetof(TxContextDesc, tucss) == 4);
static_assert(offsetof(TxContextDesc, tucse) == 6);
static_assert(offsetof(TxContextDesc, cmd_and_length) == 8);
static_assert(offsetof(TxContextDesc, status) == 12 && offsetof(TxContextDesc, mss) == 14);

// TCP/IP data descriptor, SDM §3.3.7: a buffer sent with the context above.
struct TxDataDesc {
    uint64_t buffer_addr;
    uint32_t cmd_and_length;  // DTALEN 19:0, DTYP 23:20 (0001), DCMD 31:24
    uint8_t status;           // STA 3:0
    uint8_t popts;            // packet options
    uint16_t special;
};
static_assert(sizeof(TxDataDesc) == 16);
static_assert(offsetof(TxDataDesc, cmd_and_length) == 8 && offsetof(TxDataDesc, status) == 12);
static_assert(offsetof(TxDataDesc, popts) == 13 && offsetof(TxDataDesc, special) == 14);
// A context descriptor's status byte sits where the others keep theirs (byte 12).
static_assert(offsetof(TxContextDesc, status) == offsetof(TxDesc, status));
static_assert(offsetof(TxDataDesc, status) == offsetof(TxDesc, status));

namespace txd_ext {  // extended (context/data) command bits in cmd_and_length, SDM §3.3.6-7
inline constexpr uint32_t DTYP_CONTEXT = 0x0u << 20;
inline constexpr uint32_t DTYP_DATA = 0x1u << 20;
inline constexpr uint32_t EOP = 1u << 24;   // data: end of packet   (context: TCP)
inline constexpr uint32_t TCP = 1u << 24;   // context TUCMD.TCP: TCP (1) or UDP (0)
inline constexpr uint32_t IFCS = 1u << 25;  // data: insert FCS      (context: IP)
inline constexpr uint32_t IP = 1u << 25;    // context TUCMD.IP: IPv4 (1) or IPv6 (0)
inline constexpr uint32_t RS = 1u << 27;    // report status
inline constexpr uint32_t DEXT = 1u << 29;  // extended descriptor
inline constexpr uint32_t LENGTH_MASK = 0xFFFFFu;
}  // namespace txd_ext

namespace txd_popts {                     // data descriptor POPTS, SDM §3.3.7.2
inline constexpr uint8_t IXSM = 1u << 0;  // insert IP checksum
inline constexpr uint8_t TXSM = 1u << 1;  // insert TCP/UDP checksum
}  // namespace txd_popts

// The three transmit formats share one 16-byte ring slot.
union TxSlot {
    TxDesc legacy;
    TxContextDesc context;
    TxDataDesc data;
};
static_assert(sizeof(TxSlot) == 16);

}  // namespace shunt::e1000
