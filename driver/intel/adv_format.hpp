// The advanced descriptor format of the Intel 82576 (igb) and 82599 (ixgbe) for the shared ring
// engine (driver/desc_queue.hpp): advanced one-buffer receive descriptors (read format: buffer
// address; write-back: RSS hash and type, status, errors, length) and, on transmit, advanced
// data descriptors and, for checksum offload, advanced context descriptors.
//
// Sections cited are from the Intel 82576EB GbE Controller Datasheet ("82576 DS"): §7.1.5
// (receive descriptors, advanced format), §7.2.2 (transmit descriptors, advanced format). The
// 82599 datasheet's §7.1.6 and §7.2.3 give the same layouts except the receive error bits, which
// the chip's Bits traits below say (IgbBits for the 82576, IxgbeBits for the 82599).
#pragma once

#include "packet/packet_buf.hpp"

#include <cstddef>
#include <cstdint>

namespace shunt::intel {

// Advanced receive descriptor, 82576 DS §7.1.5.1 (read) and §7.1.5.2 (write-back).
union AdvRxDesc {
    struct {
        uint64_t pkt_addr;  // packet buffer; bit 0 is the NSE (no-snoop) bit: IOVAs are even
        uint64_t hdr_addr;  // header buffer (header split only); its low dword is where the
                            // write-back puts status_error, so writing 0 clears DD
    } read;
    struct {
        uint16_t pkt_info;      // RSS type [3:0], packet type [16:4]
        uint16_t hdr_info;      // header length, split header
        uint32_t rss_hash;      // with RXCSUM.PCSD set; otherwise IP id and packet checksum
        uint32_t status_error;  // extended status [19:0], extended errors [31:20]
        uint16_t length;        // bytes written to this descriptor's buffer
        uint16_t vlan;
    } wb;
};
static_assert(sizeof(AdvRxDesc) == 16);
static_assert(offsetof(AdvRxDesc, wb.rss_hash) == 4 && offsetof(AdvRxDesc, wb.status_error) == 8);
static_assert(offsetof(AdvRxDesc, wb.length) == 12 && offsetof(AdvRxDesc, wb.vlan) == 14);

namespace adv_rx {                              // 82576 DS §7.1.5.2 extended status
inline constexpr uint32_t DD = 1u << 0;         // descriptor done
inline constexpr uint32_t EOP = 1u << 1;        // end of packet
inline constexpr uint32_t VP = 1u << 3;         // 802.1Q packet, tag stripped
inline constexpr uint32_t UDPCS = 1u << 4;      // the L4 checksum checked was UDP's
inline constexpr uint32_t L4CS = 1u << 5;       // L4 (TCP/UDP) checksum checked ("L4I")
inline constexpr uint32_t IPCS = 1u << 6;       // IPv4 header checksum checked
inline constexpr uint16_t RSS_TYPE_MASK = 0xF;  // pkt_info: 0 = no hash
}  // namespace adv_rx

// Advanced transmit descriptor, 82576 DS §7.2.2.3 (data, read format and write-back) and
// §7.2.2.2 (context).
union AdvTxDesc {
    struct {
        uint64_t buffer_addr;
        uint32_t cmd_type_len;   // DTALEN [15:0], DTYP [23:20], DCMD [31:24]
        uint32_t olinfo_status;  // STA [3:0], IDX [6:4], CC [7], POPTS [13:8], PAYLEN [31:14]
    } read;
    struct {
        uint64_t rsvd;
        uint32_t nxtseq_seed;
        uint32_t status;  // DD in bit 0 once the descriptor (with RS) is done
    } wb;
    struct {
        uint32_t vlan_macip_lens;  // IPLEN [8:0], MACLEN [15:9], VLAN [31:16]
        uint32_t seqnum_seed;
        uint32_t type_tucmd_mlhl;  // TUCMD [19:9], DTYP [23:20], DEXT [29]
        uint32_t mss_l4len_idx;    // IDX [6:4], L4LEN [15:8], MSS [31:16]
    } ctx;
};
static_assert(sizeof(AdvTxDesc) == 16);
static_assert(offsetof(AdvTxDesc, read.cmd_type_len) == 8);
static_assert(offsetof(AdvTxDesc, read.olinfo_status) == 12);
static_assert(offsetof(AdvTxDesc, wb.status) == 12);
static_assert(offsetof(AdvTxDesc, ctx.type_tucmd_mlhl) == 8);

namespace adv_tx {
// cmd_type_len (data) and type_tucmd_mlhl (context)
inline constexpr uint32_t DTYP_CTXT = 0x2u << 20;
inline constexpr uint32_t DTYP_DATA = 0x3u << 20;
inline constexpr uint32_t EOP = 1u << 24;   // DCMD.EOP: last descriptor of the packet
inline constexpr uint32_t IFCS = 1u << 25;  // DCMD.IFCS: append the Ethernet FCS
inline constexpr uint32_t RS = 1u << 27;    // DCMD.RS: write DD back when done
inline constexpr uint32_t DEXT = 1u << 29;  // advanced descriptor
inline constexpr uint32_t TUCMD_IPV4 = 1u << 10;
inline constexpr uint32_t TUCMD_L4T_UDP = 0u << 11;
inline constexpr uint32_t TUCMD_L4T_TCP = 1u << 11;
inline constexpr uint32_t MACLEN_SHIFT = 9;
// olinfo_status
inline constexpr uint32_t STA_DD = 1u << 0;
inline constexpr uint32_t POPTS_IXSM = 1u << 8;  // insert the IPv4 header checksum
inline constexpr uint32_t POPTS_TXSM = 1u << 9;  // insert the TCP/UDP checksum
inline constexpr uint32_t PAYLEN_SHIFT = 14;
}  // namespace adv_tx

// The receive error bits of the 82576 (82576 DS §7.1.5.2 extended errors): RXE (a frame with
// a CRC, symbol, sequence or carrier-extension error), IPE and L4E. The 82599 moved them.
struct IgbBits {
    static constexpr uint32_t frame_error = 1u << 31;  // RXE
    static constexpr uint32_t ip_error = 1u << 30;     // IPE
    static constexpr uint32_t l4_error = 1u << 29;     // L4E
};

// The receive error bits of the 82599 (82599 DS §7.1.6.2, extended errors [31:20]): RXE (any
// MAC error: CRC, length, undersize/oversize, symbol) in bit 29, L4E (TCP/UDP checksum) in 30,
// IPE (IPv4 header checksum) in 31 (Linux's ixgbe_type.h: IXGBE_RXDADV_ERR_RXE 0x20000000,
// _TCPE 0x40000000, _IPE 0x80000000). Bits 20-23 are Flow Director and header-split errors,
// which this driver does not enable.
struct IxgbeBits {
    static constexpr uint32_t frame_error = 1u << 29;  // RXE
    static constexpr uint32_t ip_error = 1u << 31;     // IPE
    static constexpr uint32_t l4_error = 1u << 30;     // L4E
};

template <typename Bits>
struct AdvFormat {
    using RxDesc = AdvRxDesc;
    using TxDesc = AdvTxDesc;
    // The context descriptor as the NIC sees it: two packets with equal bytes share one.
    struct TxContext {
        uint32_t vlan_macip_lens;
        uint32_t seqnum_seed;
        uint32_t type_tucmd_mlhl;
        uint32_t mss_l4len_idx;
    };

    struct RxInfo {
        uint16_t len;
        uint16_t flags;
        bool eop;
        bool error;
        uint32_t rss_hash;  // 0 when the NIC computed none (RSS type 0)
    };
    struct TxPlan {
        TxContext ctx;
        uint32_t popts;   // POPTS bits of olinfo_status, in every data descriptor of the packet
        uint8_t seed_at;  // offset of the TCP/UDP checksum field when TXSM is set
        uint16_t seed;
    };

    // The write-back dword holding DD; the NIC writes it behind the compiler's back.
    static uint32_t load32(const uint32_t& v) noexcept {
        return *static_cast<const volatile uint32_t*>(&v);
    }

    static bool rx_done(const RxDesc& d) noexcept {
        return (load32(d.wb.status_error) & adv_rx::DD) != 0;
    }
    // 82576 DS §7.1.5.2: IPCS/L4CS say which checksums were checked, IPE/L4E whether they
    // failed; the RSS type in pkt_info says whether rss_hash holds a hash (RXCSUM.PCSD set).
    static RxInfo rx_read(const RxDesc& d, bool checksum) noexcept {
        const uint32_t se = d.wb.status_error;
        RxInfo info{d.wb.length, 0, (se & adv_rx::EOP) != 0, (se & Bits::frame_error) != 0, 0};
        if (checksum) {
            if ((se & adv_rx::IPCS) != 0) {
                info.flags |=
                    (se & Bits::ip_error) != 0 ? rx_flags::ip_csum_bad : rx_flags::ip_csum_good;
            }
            if ((se & adv_rx::L4CS) != 0) {
                info.flags |=
                    (se & Bits::l4_error) != 0 ? rx_flags::l4_csum_bad : rx_flags::l4_csum_good;
            }
        }
        if ((d.wb.pkt_info & adv_rx::RSS_TYPE_MASK) != 0) info.rss_hash = d.wb.rss_hash;
        return info;
    }
    // 82576 DS §7.1.5.1: the read format; a zero header address also clears the DD bit the
    // previous write-back left in the same dword.
    static void rx_arm(RxDesc& d, uint64_t iova) noexcept {
        d.read.pkt_addr = iova;
        d.read.hdr_addr = 0;
    }

    // The checksum-offload context of a frame from the metadata the stack recorded (TxMeta),
    // never from the frame's bytes. 82576 DS §7.2.2.2: MACLEN (7 bits) is where the IP header
    // starts, IPLEN (9 bits) its length; TUCMD says IPv4 and TCP or UDP; the L4 checksum runs
    // to the end of the packet, so a frame with bytes after its L4 segment (padding) gets no L4
    // offload (the stack never pads; the NIC does, TCTL.PSP). False: the frame goes out plain.
    static bool tx_plan(const PacketBuf& b, uint16_t len, TxPlan& p) noexcept {
        const uint16_t flags = b.flags();
        if ((flags & (tx_flags::ip_csum | tx_flags::l4_csum)) == 0) return false;
        const TxMeta& m = b.tx_meta();
        const uint32_t l3 = m.l2_len;
        const uint32_t l4 = l3 + m.l3_len;
        if (l3 < 14 || l3 > 127 || m.l3_len < 20 || m.l3_len > 60 || l4 > len) return false;
        p = TxPlan{};
        p.ctx.vlan_macip_lens = m.l3_len | l3 << adv_tx::MACLEN_SHIFT;
        p.ctx.type_tucmd_mlhl = adv_tx::DTYP_CTXT | adv_tx::DEXT | adv_tx::TUCMD_IPV4;
        if ((flags & tx_flags::ip_csum) != 0) p.popts |= adv_tx::POPTS_IXSM;
        const bool tcp = m.l4_type == l4_type::tcp;
        const uint32_t min_l4 = tcp ? 20 : 8;
        if ((flags & tx_flags::l4_csum) != 0 && m.l4_type != l4_type::none && m.l4_len >= min_l4 &&
            l4 + m.l4_len == len) {
            p.popts |= adv_tx::POPTS_TXSM;
            p.ctx.type_tucmd_mlhl |= tcp ? adv_tx::TUCMD_L4T_TCP : adv_tx::TUCMD_L4T_UDP;
            p.seed_at = static_cast<uint8_t>(l4 + (tcp ? 16 : 6));  // RFC 9293 / RFC 768
            p.seed = m.l4_csum_seed;
        }
        return p.popts != 0;
    }
    // The NIC adds the segment to what the checksum field holds (82576 DS §7.2.4): the
    // pseudo-header seed, in network order (seed_at + 2 <= len: tx_plan checked l4_len).
    static void tx_commit(PacketBuf& b, const TxPlan& p) noexcept {
        if ((p.popts & adv_tx::POPTS_TXSM) == 0) return;
        b.data()[p.seed_at] = static_cast<uint8_t>(p.seed >> 8);
        b.data()[p.seed_at + 1] = static_cast<uint8_t>(p.seed);
    }
    static void tx_context(TxDesc& s, const TxPlan& p) noexcept {
        s.ctx.vlan_macip_lens = p.ctx.vlan_macip_lens;
        s.ctx.seqnum_seed = p.ctx.seqnum_seed;
        s.ctx.type_tucmd_mlhl = p.ctx.type_tucmd_mlhl;
        s.ctx.mss_l4len_idx = p.ctx.mss_l4len_idx;  // IDX 0: one context slot per queue
    }
    // One advanced data descriptor (82576 DS §7.2.2.3); there is no legacy fallback, every
    // packet uses them. PAYLEN is the whole packet's length and POPTS repeat in each of its
    // descriptors; EOP on the last.
    static void tx_data(TxDesc& s, uint64_t iova, uint16_t len, uint16_t frame_len, const TxPlan* p,
                        bool eop) noexcept {
        s.read.buffer_addr = iova;
        s.read.cmd_type_len =
            len | adv_tx::DTYP_DATA | adv_tx::DEXT | adv_tx::IFCS | (eop ? adv_tx::EOP : 0u);
        s.read.olinfo_status =
            uint32_t{frame_len} << adv_tx::PAYLEN_SHIFT | (p != nullptr ? p->popts : 0u);
    }
    static void tx_set_rs(TxDesc& s) noexcept { s.read.cmd_type_len |= adv_tx::RS; }
    static bool tx_done(const TxDesc& s) noexcept {
        return (load32(s.wb.status) & adv_tx::STA_DD) != 0;
    }
};

using IgbFormat = AdvFormat<IgbBits>;
using IxgbeFormat = AdvFormat<IxgbeBits>;

}  // namespace shunt::intel
