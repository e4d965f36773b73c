// IPv4 headers (RFC 791 §3.1): a view over the bytes and a validated repr.
#pragma once

#include "base/byte_order.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/error.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace shunt::wire {

// IANA "Assigned Internet Protocol Numbers".
namespace ip_proto {
inline constexpr uint8_t icmp = 1, tcp = 6, udp = 17;
}  // namespace ip_proto

namespace ipv4_field {
inline constexpr size_t kVerIhl = 0;    // version (high 4 bits), IHL in 32-bit words
inline constexpr size_t kDscpEcn = 1;   // RFC 2474 DSCP + RFC 3168 ECN (was TOS)
inline constexpr size_t kTotalLen = 2;  // header + data, bytes
inline constexpr size_t kIdent = 4;
inline constexpr size_t kFlagsFrag = 6;  // flags (3 bits) + fragment offset (13 bits)
inline constexpr size_t kTtl = 8;
inline constexpr size_t kProtocol = 9;
inline constexpr size_t kChecksum = 10;
inline constexpr size_t kSrc = 12;
inline constexpr size_t kDst = 16;
inline constexpr size_t kOptions = 20;

inline constexpr uint16_t kFlagDontFrag = 0x4000;
inline constexpr uint16_t kFlagMoreFrags = 0x2000;
inline constexpr uint16_t kFragOffsetMask = 0x1fff;  // in 8-byte units
}  // namespace ipv4_field

class Ipv4View {
  public:
    static constexpr size_t kMinHeaderLen = 20;

    Ipv4View() = default;
    explicit Ipv4View(std::span<uint8_t> bytes) noexcept : bytes_(bytes) {}

    // truncated if < 20 bytes; bad_version if version != 4; bad_header_len if IHL < 5 or
    // IHL*4 > span; bad_length if total_len < header_len or > span. The span may be longer
    // than total_len (Ethernet pads short frames); payload() ends at total_len. The
    // checksum is not checked here. After a successful check every accessor is in bounds.
    static Parsed<Ipv4View> check(std::span<uint8_t> bytes) noexcept;

    uint8_t version() const noexcept { return static_cast<uint8_t>(*at(ipv4_field::kVerIhl) >> 4); }
    size_t header_len() const noexcept { return size_t{*at(ipv4_field::kVerIhl) & 0x0fu} * 4; }
    uint8_t dscp_ecn() const noexcept { return *at(ipv4_field::kDscpEcn); }
    uint16_t total_len() const noexcept { return load_be16(at(ipv4_field::kTotalLen)); }
    uint16_t ident() const noexcept { return load_be16(at(ipv4_field::kIdent)); }
    bool dont_frag() const noexcept { return (flags_frag() & ipv4_field::kFlagDontFrag) != 0; }
    bool more_frags() const noexcept { return (flags_frag() & ipv4_field::kFlagMoreFrags) != 0; }
    // In bytes: the field counts 8-byte units (RFC 791 §3.1 "Fragment Offset").
    uint16_t frag_offset() const noexcept {
        return static_cast<uint16_t>((flags_frag() & ipv4_field::kFragOffsetMask) * 8u);
    }
    uint8_t ttl() const noexcept { return *at(ipv4_field::kTtl); }
    uint8_t protocol() const noexcept { return *at(ipv4_field::kProtocol); }
    uint16_t checksum() const noexcept { return load_be16(at(ipv4_field::kChecksum)); }
    Ipv4Addr src() const noexcept { return Ipv4Addr::load(at(ipv4_field::kSrc)); }
    Ipv4Addr dst() const noexcept { return Ipv4Addr::load(at(ipv4_field::kDst)); }
    std::span<uint8_t> options() const noexcept {
        return bytes_.subspan(ipv4_field::kOptions, header_len() - ipv4_field::kOptions);
    }
    // [header_len, total_len): excludes link-layer padding.
    std::span<uint8_t> payload() const noexcept {
        return bytes_.subspan(header_len(), total_len() - header_len());
    }

    // RFC 791 §3.1: the checksum covers the header only, options included.
    bool verify_checksum() const noexcept { return checksum_fold(header_sum()) == 0; }
    void fill_checksum() noexcept {
        set_checksum(0);
        set_checksum(checksum_fold(header_sum()));
    }

    // Writes version 4 and IHL = header_len / 4 (header_len a multiple of 4, 20..60).
    void set_version_and_header_len(size_t header_len) noexcept {
        *at(ipv4_field::kVerIhl) = static_cast<uint8_t>(0x40u | ((header_len / 4) & 0x0fu));
    }
    void set_dscp_ecn(uint8_t v) noexcept { *at(ipv4_field::kDscpEcn) = v; }
    void set_total_len(uint16_t v) noexcept { store_be16(at(ipv4_field::kTotalLen), v); }
    void set_ident(uint16_t v) noexcept { store_be16(at(ipv4_field::kIdent), v); }
    // offset_bytes must be a multiple of 8 (all fragments but the last carry a multiple of
    // 8 data bytes, RFC 791 §2.3); the reserved flag bit is written as zero.
    void set_flags_and_offset(bool df, bool mf, uint16_t offset_bytes) noexcept {
        uint16_t v = static_cast<uint16_t>((offset_bytes / 8u) & ipv4_field::kFragOffsetMask);
        if (df) v |= ipv4_field::kFlagDontFrag;
        if (mf) v |= ipv4_field::kFlagMoreFrags;
        store_be16(at(ipv4_field::kFlagsFrag), v);
    }
    void set_ttl(uint8_t v) noexcept { *at(ipv4_field::kTtl) = v; }
    void set_protocol(uint8_t v) noexcept { *at(ipv4_field::kProtocol) = v; }
    void set_checksum(uint16_t v) noexcept { store_be16(at(ipv4_field::kChecksum), v); }
    void set_src(Ipv4Addr a) noexcept { a.store(at(ipv4_field::kSrc)); }
    void set_dst(Ipv4Addr a) noexcept { a.store(at(ipv4_field::kDst)); }

    std::span<uint8_t> bytes() const noexcept { return bytes_; }

  private:
    uint8_t* at(size_t off) const noexcept { return bytes_.data() + off; }
    uint16_t flags_frag() const noexcept { return load_be16(at(ipv4_field::kFlagsFrag)); }
    uint32_t header_sum() const noexcept { return checksum_partial(bytes_.first(header_len())); }
    std::span<uint8_t> bytes_;
};

struct Ipv4Repr {
    Ipv4Addr src, dst;
    uint8_t protocol = 0;
    uint16_t payload_len = 0;
    uint8_t ttl = 64;
    uint8_t dscp_ecn = 0;
    uint16_t ident = 0;
    bool dont_frag = false;
    bool more_frags = false;
    uint16_t frag_offset = 0;  // bytes

    // Re-runs Ipv4View::check's length rules (so any view is safe), then: bad_checksum if
    // asked to verify and the header sum fails; bad_address if the source is multicast or
    // the limited broadcast (RFC 1122 §3.2.1.3: such datagrams MUST be discarded).
    // payload_len = total_len - header_len; options are accepted and skipped.
    static Parsed<Ipv4Repr> parse(const Ipv4View& view, bool verify_checksum = true) noexcept;
    static constexpr size_t header_len() { return Ipv4View::kMinHeaderLen; }  // we emit no options
    bool is_fragment() const { return more_frags || frag_offset != 0; }
    // Writes a 20-byte header with total_len = 20 + payload_len (the caller keeps that
    // within 65535). The view must hold at least 20 bytes.
    void emit(Ipv4View& view, bool fill_checksum = true) const noexcept;

    bool operator==(const Ipv4Repr&) const = default;
};

}  // namespace shunt::wire
