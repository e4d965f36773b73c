// TCP segments (RFC 9293 §3.1): the header as a view, and a repr whose parse/emit handle the
// options this stack speaks (RFC 9293 §3.2 MSS, RFC 7323 window scale and timestamps,
// RFC 2018 SACK) and the checksum over the IPv4 pseudo header.
#pragma once

#include "base/byte_order.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/error.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace shunt::wire {

namespace tcp_field {
inline constexpr size_t kSrcPort = 0;
inline constexpr size_t kDstPort = 2;
inline constexpr size_t kSeq = 4;
inline constexpr size_t kAck = 8;
inline constexpr size_t kDataOffset = 12;  // data offset (high 4 bits) in 32-bit words, Rsrvd
inline constexpr size_t kFlags = 13;       // CWR ECE URG ACK PSH RST SYN FIN
inline constexpr size_t kWindow = 14;
inline constexpr size_t kChecksum = 16;
inline constexpr size_t kUrgent = 18;
inline constexpr size_t kOptions = 20;
}  // namespace tcp_field

// The control bits (RFC 9293 §3.1; ECE and CWR from RFC 3168 §6.1).
namespace tcp_flag {
inline constexpr uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10, urg = 0x20,
                         ece = 0x40, cwr = 0x80;
}  // namespace tcp_flag

// Option kinds (IANA "TCP Option Kind Numbers") and their total lengths in bytes, kind and
// length octets included. SACK's length is kSackBase + n * kSackBlock.
namespace tcp_option {
inline constexpr uint8_t eol = 0, nop = 1, mss = 2, window_scale = 3, sack_permitted = 4, sack = 5,
                         timestamps = 8;
inline constexpr size_t kMssLen = 4;            // RFC 9293 §3.2
inline constexpr size_t kWindowScaleLen = 3;    // RFC 7323 §2.2
inline constexpr size_t kSackPermittedLen = 2;  // RFC 2018 §2
inline constexpr size_t kSackBase = 2;          // RFC 2018 §3
inline constexpr size_t kSackBlock = 8;         // left edge, right edge
inline constexpr size_t kTimestampsLen = 10;    // RFC 7323 §3.2
inline constexpr size_t kMaxSackBlocks = 4;     // (40 - 2) / 8
inline constexpr uint8_t kMaxWindowScale = 14;  // RFC 7323 §2.3
}  // namespace tcp_option

class TcpView {
  public:
    static constexpr size_t kMinHeaderLen = 20;
    static constexpr size_t kMaxHeaderLen = 60;  // data offset 15
    static constexpr size_t kMaxOptionsLen = kMaxHeaderLen - kMinHeaderLen;

    TcpView() = default;
    // The span is the whole segment (the IPv4 payload): TCP has no length field of its
    // own, so the payload runs to the end of the span and the checksum covers all of it.
    explicit TcpView(std::span<uint8_t> bytes) noexcept : bytes_(bytes) {}

    // truncated if < 20 bytes; bad_header_len if the data offset is < 5 or data offset * 4
    // > span; bad_length if the span is longer than 65535 bytes (no IPv4 datagram carries
    // that much, and the pseudo header's length could not express it). The checksum and the
    // options are not checked here. After a successful check every accessor is in bounds.
    static Parsed<TcpView> check(std::span<uint8_t> bytes) noexcept;

    uint16_t src_port() const noexcept { return load_be16(at(tcp_field::kSrcPort)); }
    uint16_t dst_port() const noexcept { return load_be16(at(tcp_field::kDstPort)); }
    uint32_t seq_number() const noexcept { return load_be32(at(tcp_field::kSeq)); }
    uint32_t ack_number() const noexcept { return load_be32(at(tcp_field::kAck)); }
    // In 32-bit words (RFC 9293 §3.1 "Data Offset"); header_len() is the same in bytes.
    uint8_t data_offset() const noexcept {
        return static_cast<uint8_t>(*at(tcp_field::kDataOffset) >> 4);
    }
    size_t header_len() const noexcept { return size_t{data_offset()} * 4; }
    // The 8 control bits; test them with the tcp_flag masks. The 4 reserved bits before
    // them are ignored on receipt (RFC 9293 §3.1 "Rsrvd").
    uint8_t flags() const noexcept { return *at(tcp_field::kFlags); }
    bool has(uint8_t flag_mask) const noexcept { return (flags() & flag_mask) != 0; }
    uint16_t window() const noexcept { return load_be16(at(tcp_field::kWindow)); }
    uint16_t checksum() const noexcept { return load_be16(at(tcp_field::kChecksum)); }
    uint16_t urgent_pointer() const noexcept { return load_be16(at(tcp_field::kUrgent)); }
    // [20, header_len): the raw option bytes, padding included.
    std::span<uint8_t> options() const noexcept {
        return bytes_.subspan(tcp_field::kOptions, header_len() - tcp_field::kOptions);
    }
    // [header_len, end of the span).
    std::span<uint8_t> payload() const noexcept { return bytes_.subspan(header_len()); }

    // RFC 9293 §3.1 "Checksum": the sum over the pseudo header (src, dst, 0, 6, segment
    // length) and the whole segment. src/dst are the IPv4 addresses of the datagram.
    bool verify_checksum(Ipv4Addr src, Ipv4Addr dst) const noexcept;
    void fill_checksum(Ipv4Addr src, Ipv4Addr dst) noexcept;

    void set_src_port(uint16_t v) noexcept { store_be16(at(tcp_field::kSrcPort), v); }
    void set_dst_port(uint16_t v) noexcept { store_be16(at(tcp_field::kDstPort), v); }
    void set_seq_number(uint32_t v) noexcept { store_be32(at(tcp_field::kSeq), v); }
    void set_ack_number(uint32_t v) noexcept { store_be32(at(tcp_field::kAck), v); }
    // Writes data offset = header_len / 4 (header_len a multiple of 4, 20..60) and zeroes
    // the reserved bits ("must be zero in generated segments", RFC 9293 §3.1).
    void set_header_len(size_t header_len) noexcept {
        *at(tcp_field::kDataOffset) = static_cast<uint8_t>(((header_len / 4) & 0x0fu) << 4);
    }
    void set_flags(uint8_t v) noexcept { *at(tcp_field::kFlags) = v; }
    void set_window(uint16_t v) noexcept { store_be16(at(tcp_field::kWindow), v); }
    void set_checksum(uint16_t v) noexcept { store_be16(at(tcp_field::kChecksum), v); }
    void set_urgent_pointer(uint16_t v) noexcept { store_be16(at(tcp_field::kUrgent), v); }

    std::span<uint8_t> bytes() const noexcept { return bytes_; }

  private:
    uint8_t* at(size_t off) const noexcept { return bytes_.data() + off; }
    std::span<uint8_t> bytes_;
};

// The value to store in the checksum field of `segment` (header + payload, with the
// checksum field zero), summed with the IPv4 pseudo header. Unlike UDP, a computed 0 is
// sent as 0: TCP has no "no checksum" value.
uint16_t tcp_checksum(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> segment) noexcept;

// RFC 7323 §3: TSval and TSecr, raw 32-bit timestamp clock values.
struct TcpTimestamps {
    uint32_t tsval = 0;
    uint32_t tsecr = 0;

    bool operator==(const TcpTimestamps&) const = default;
};

// RFC 2018 §3: one block of received, non-contiguous data, [left, right) in raw sequence
// numbers (the TCP layer wraps them in tcp::SeqNum).
struct SackBlock {
    uint32_t left = 0;
    uint32_t right = 0;

    bool operator==(const SackBlock&) const = default;
};

struct TcpRepr {
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint32_t seq = 0;
    uint32_t ack = 0;  // as on the wire; meaningful only with tcp_flag::ack
    uint8_t flags = 0;
    uint16_t window = 0;  // the raw field, before any window scaling
    uint16_t urgent = 0;  // meaningful only with tcp_flag::urg
    // Options. Parse takes them from any segment; which ones count (MSS and window scale
    // only on SYN, RFC 9293 §3.2 and RFC 7323 §2.2) is the TCP layer's decision.
    std::optional<uint16_t> mss{};
    std::optional<uint8_t> window_scale{};  // shift count; parse clamps it to 14
    bool sack_permitted = false;
    std::optional<TcpTimestamps> timestamps{};
    std::array<SackBlock, tcp_option::kMaxSackBlocks> sack{};  // [0, sack_count) are used
    uint8_t sack_count = 0;
    uint16_t payload_len = 0;

    // Re-runs TcpView::check's length rules (so any view is safe); then bad_checksum if
    // asked to verify and the sum over pseudo header + segment fails; then bad_option if an
    // option has a length < 2 or past the header (RFC 9293 §3.2 MUST-7), or a known kind
    // has the wrong length (MSS 4, WS 3, SACK-permitted 2, timestamps 10, SACK 2 + 8n with
    // n >= 1). Unknown kinds are skipped by their length (MUST-5); EOL ends the list.
    // A window scale above 14 is taken as 14 (RFC 7323 §2.3). If an option repeats, the
    // last one counts, except SACK, whose blocks accumulate (at most 4 fit anyway).
    static Parsed<TcpRepr> parse(const TcpView& view, Ipv4Addr src, Ipv4Addr dst,
                                 bool verify_checksum = true) noexcept;

    // SACK blocks that emit writes: sack_count, less any that would not fit in the 40 bytes
    // of option space after the other options (as Linux does, it keeps the first blocks:
    // RFC 2018 §4 puts the most recent first).
    size_t emitted_sack_count() const noexcept;
    // 20 + options in the layout emit writes (always a multiple of 4, at most 60).
    size_t header_len() const noexcept;
    // SEG.LEN (RFC 9293 §3.4): the payload plus one for SYN and one for FIN.
    uint32_t segment_len() const noexcept {
        return uint32_t{payload_len} + ((flags & tcp_flag::syn) != 0 ? 1u : 0u) +
               ((flags & tcp_flag::fin) != 0 ? 1u : 0u);
    }

    // Writes the header and options in Linux's order and padding (tcp_options_write):
    //   MSS | SACK-permitted TS (or NOP NOP TS) | NOP NOP SACK-permitted (without TS) |
    //   NOP WS | NOP NOP SACK blocks
    // so each option, with its NOPs, fills whole 32-bit words and no EOL padding is needed.
    // Reserved bits are zero. If asked, fills the checksum over the pseudo header, the header
    // and the payload already in the view (which must hold header_len() + payload_len
    // bytes); otherwise the checksum is 0 (e.g. left to NIC offload).
    void emit(TcpView& view, Ipv4Addr src, Ipv4Addr dst, bool fill_checksum = true) const noexcept;

    // Compares the used SACK blocks only.
    bool operator==(const TcpRepr& o) const noexcept;
};

}  // namespace shunt::wire
