// ICMP for IPv4 (RFC 792): the 8-byte header as a view, and a repr for the messages the
// stack sends and answers (echo, destination unreachable, time exceeded).
#pragma once

#include "base/byte_order.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace shunt::wire {

namespace icmp_type {
inline constexpr uint8_t echo_reply = 0, dest_unreachable = 3, echo_request = 8, time_exceeded = 11;
}  // namespace icmp_type

// Destination Unreachable codes (RFC 792; frag_needed is the RFC 1191 PMTUD signal).
namespace icmp_unreach {
inline constexpr uint8_t net = 0, host = 1, protocol = 2, port = 3, frag_needed = 4;
}  // namespace icmp_unreach

namespace icmpv4_field {
inline constexpr size_t kType = 0;
inline constexpr size_t kCode = 1;
inline constexpr size_t kChecksum = 2;
inline constexpr size_t kRestOfHeader = 4;  // 4 bytes whose meaning depends on the type
inline constexpr size_t kEchoIdent = 4;     // echo request/reply (RFC 792 p.14)
inline constexpr size_t kEchoSeq = 6;
inline constexpr size_t kNextHopMtu = 6;  // dest unreachable, code 4 (RFC 1191 §4)
inline constexpr size_t kPayload = 8;
}  // namespace icmpv4_field

class Icmpv4View {
  public:
    static constexpr size_t kHeaderLen = 8;

    Icmpv4View() = default;
    // The span is the whole ICMP message (the IPv4 payload): the checksum covers all of it.
    explicit Icmpv4View(std::span<uint8_t> bytes) noexcept : bytes_(bytes) {}

    // Error::truncated if shorter than the 8-byte header.
    static Parsed<Icmpv4View> check(std::span<uint8_t> bytes) noexcept;

    uint8_t type() const noexcept { return *at(icmpv4_field::kType); }
    uint8_t code() const noexcept { return *at(icmpv4_field::kCode); }
    uint16_t checksum() const noexcept { return load_be16(at(icmpv4_field::kChecksum)); }
    uint16_t echo_ident() const noexcept { return load_be16(at(icmpv4_field::kEchoIdent)); }
    uint16_t echo_seq() const noexcept { return load_be16(at(icmpv4_field::kEchoSeq)); }
    uint16_t next_hop_mtu() const noexcept { return load_be16(at(icmpv4_field::kNextHopMtu)); }
    std::span<uint8_t> payload() const noexcept { return bytes_.subspan(icmpv4_field::kPayload); }

    // RFC 792: the checksum covers the whole message, starting with the type.
    bool verify_checksum() const noexcept { return internet_checksum(bytes_) == 0; }
    void fill_checksum() noexcept {
        set_checksum(0);
        set_checksum(internet_checksum(bytes_));
    }

    void set_type(uint8_t v) noexcept { *at(icmpv4_field::kType) = v; }
    void set_code(uint8_t v) noexcept { *at(icmpv4_field::kCode) = v; }
    void set_checksum(uint16_t v) noexcept { store_be16(at(icmpv4_field::kChecksum), v); }
    void set_echo_ident(uint16_t v) noexcept { store_be16(at(icmpv4_field::kEchoIdent), v); }
    void set_echo_seq(uint16_t v) noexcept { store_be16(at(icmpv4_field::kEchoSeq), v); }
    void set_rest_of_header(uint32_t v) noexcept { store_be32(at(icmpv4_field::kRestOfHeader), v); }
    void set_next_hop_mtu(uint16_t v) noexcept { store_be16(at(icmpv4_field::kNextHopMtu), v); }

    std::span<uint8_t> bytes() const noexcept { return bytes_; }

  private:
    uint8_t* at(size_t off) const noexcept { return bytes_.data() + off; }
    std::span<uint8_t> bytes_;
};

struct Icmpv4Repr {
    uint8_t type = 0;
    uint8_t code = 0;
    uint16_t ident = 0;         // echo request/reply
    uint16_t seq = 0;           // echo request/reply
    uint16_t next_hop_mtu = 0;  // dest_unreachable/frag_needed; other types: rest is zero

    // truncated if under 8 bytes; bad_checksum if asked to verify and the sum over the
    // whole view fails; unsupported for types other than echo request/reply, destination
    // unreachable and time exceeded (RFC 1122 §3.2.2: unknown types MUST be silently discarded).
    static Parsed<Icmpv4Repr> parse(const Icmpv4View& view, bool verify_checksum = true) noexcept;
    static constexpr size_t header_len() { return Icmpv4View::kHeaderLen; }
    // Writes the 8-byte header with checksum 0. The caller then fills the checksum over
    // header + payload (view.fill_checksum(), or checksum_partial over scattered pieces).
    void emit_header(Icmpv4View& view) const noexcept;

    bool operator==(const Icmpv4Repr&) const = default;
};

}  // namespace shunt::wire
