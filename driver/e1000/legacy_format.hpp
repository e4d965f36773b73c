// The 8254x/82574 legacy descriptor format for the shared ring engine (driver/desc_queue.hpp):
// legacy receive descriptors, and on transmit legacy descriptors or, with checksum offload,
// TCP/IP context and data descriptors (SDM §3.2.3, §3.3.3, §3.3.6-7; DS §7.1.4, §7.2.10).
#pragma once

#include "driver/e1000/desc.hpp"
#include "packet/packet_buf.hpp"

#include <cstdint>

namespace shunt::e1000 {

struct LegacyFormat {
    using RxDesc = e1000::RxDesc;
    using TxDesc = TxSlot;
    using TxContext = TxContextDesc;

    struct RxInfo {
        uint16_t len;
        uint16_t flags;
        bool eop;
        bool error;
    };
    struct TxPlan {
        TxContextDesc ctx;
        uint8_t popts;    // POPTS of every data descriptor of the packet (SDM §3.3.7.2)
        uint8_t seed_at;  // offset of the TCP/UDP checksum field when TXSM is set
        uint16_t seed;
    };

    // The done bit lives in memory the NIC writes behind the compiler's back.
    static uint8_t load_status(const uint8_t& status) noexcept {
        return *static_cast<const volatile uint8_t*>(&status);
    }

    static bool rx_done(const RxDesc& d) noexcept {
        return (load_status(d.status) & rxd_status::DD) != 0;
    }
    static RxInfo rx_read(const RxDesc& d, bool checksum) noexcept {
        const uint8_t st = d.status;
        const uint8_t err = d.errors;
        RxInfo info{d.length, 0, (st & rxd_status::EOP) != 0, (err & rxd_errors::FRAME) != 0};
        // SDM §3.2.3.1: IXSM means no checksum result; IPCS/TCPCS say which were checked.
        if (checksum && (st & rxd_status::IXSM) == 0) {
            if ((st & rxd_status::IPCS) != 0) {
                info.flags |=
                    (err & rxd_errors::IPE) != 0 ? rx_flags::ip_csum_bad : rx_flags::ip_csum_good;
            }
            if ((st & rxd_status::TCPCS) != 0) {
                info.flags |=
                    (err & rxd_errors::TCPE) != 0 ? rx_flags::l4_csum_bad : rx_flags::l4_csum_good;
            }
        }
        return info;
    }
    static void rx_arm(RxDesc& d, uint64_t iova) noexcept {
        d.buffer_addr = iova;
        d.status = 0;
    }

    // The checksum-offload context of a frame, from the metadata the stack recorded on its
    // buffer (TxMeta), never from the frame's bytes. SDM §3.3.6 (DS §7.2.10.2): IPCSS/TUCSS
    // are where each checksum starts, IPCSO/TUCSO where it is stored, IPCSE/TUCSE where it
    // ends (inclusive; TUCSE 0 = the end of the frame). False when the frame goes out plain:
    // no offload asked, or metadata that does not describe an IPv4 frame of this length
    // (refused, never guessed at).
    static bool tx_plan(const PacketBuf& b, uint16_t len, TxPlan& p) noexcept {
        const uint16_t flags = b.flags();
        if ((flags & (tx_flags::ip_csum | tx_flags::l4_csum)) == 0) return false;
        const TxMeta& m = b.tx_meta();
        const uint32_t l3 = m.l2_len;
        const uint32_t l4 = l3 + m.l3_len;
        // IPCSS, IPCSO, TUCSS and TUCSO are 8-bit; an IPv4 header is 20..60 bytes.
        if (m.l3_len < 20 || m.l3_len > 60 || l4 > 255 - 16 || l4 > len) return false;
        p = TxPlan{};
        p.ctx.cmd_and_length = txd_ext::DEXT | txd_ext::DTYP_CONTEXT | txd_ext::IP;
        // The IP fields describe the layout even when only the L4 checksum is wanted, so
        // frames of one layout share one context whatever they ask for.
        p.ctx.ipcss = static_cast<uint8_t>(l3);
        p.ctx.ipcso = static_cast<uint8_t>(l3 + 10);  // RFC 791 checksum; the stack left it 0
        p.ctx.ipcse = static_cast<uint16_t>(l4 - 1);
        if ((flags & tx_flags::ip_csum) != 0) p.popts |= txd_popts::IXSM;
        const bool tcp = m.l4_type == l4_type::tcp;
        const uint32_t min_l4 = tcp ? 20 : 8;
        if ((flags & tx_flags::l4_csum) != 0 && m.l4_type != l4_type::none && m.l4_len >= min_l4 &&
            l4 + m.l4_len <= len) {
            p.popts |= txd_popts::TXSM;
            p.ctx.tucss = static_cast<uint8_t>(l4);
            p.ctx.tucso = static_cast<uint8_t>(l4 + (tcp ? 16 : 6));  // RFC 9293 / RFC 768
            const uint32_t end = l4 + m.l4_len;
            p.ctx.tucse = end == len ? uint16_t{0} : static_cast<uint16_t>(end - 1);  // padding
            if (tcp) p.ctx.cmd_and_length |= txd_ext::TCP;
            p.seed_at = p.ctx.tucso;
            p.seed = m.l4_csum_seed;
        }
        return p.popts != 0;
    }
    // The NIC adds the segment to what the checksum field holds (SDM §3.3.6): the
    // pseudo-header seed, in network order (seed_at + 2 <= len: tx_plan checked l4_len).
    static void tx_commit(PacketBuf& b, const TxPlan& p) noexcept {
        if ((p.popts & txd_popts::TXSM) == 0) return;
        b.data()[p.seed_at] = static_cast<uint8_t>(p.seed >> 8);
        b.data()[p.seed_at + 1] = static_cast<uint8_t>(p.seed);
    }
    static void tx_context(TxDesc& s, const TxPlan& p) noexcept { s.context = p.ctx; }
    // One TX descriptor: a data descriptor when checksum offload is wanted (its POPTS repeated
    // in every descriptor of the packet), else a legacy one; EOP on the packet's last.
    static void tx_data(TxDesc& s, uint64_t iova, uint16_t len, uint16_t /*frame_len*/,
                        const TxPlan* p, bool eop) noexcept {
        if (p != nullptr) {
            s.data = TxDataDesc{};
            s.data.buffer_addr = iova;
            s.data.cmd_and_length = len | txd_ext::DTYP_DATA | txd_ext::DEXT | txd_ext::IFCS |
                                    (eop ? txd_ext::EOP : 0u);
            s.data.popts = p->popts;
        } else {
            s.legacy = e1000::TxDesc{};
            s.legacy.buffer_addr = iova;
            s.legacy.length = len;
            s.legacy.cmd = static_cast<uint8_t>(txd_cmd::IFCS | (eop ? txd_cmd::EOP : 0));
        }
    }
    // RS is bit 3 of the command byte (byte 11) in all three formats (legacy CMD.RS, DCMD.RS,
    // TUCMD.RS: SDM §3.3.3.1, §3.3.7.1, §3.3.6.1).
    static void tx_set_rs(TxDesc& s) noexcept { s.legacy.cmd |= txd_cmd::RS; }
    static bool tx_done(const TxDesc& s) noexcept {
        return (load_status(s.legacy.status) & txd_status::DD) != 0;
    }
};

static_assert(txd_ext::RS == uint32_t{txd_cmd::RS} << 24, "RS sits in byte 11 in every format");

}  // namespace shunt::e1000
