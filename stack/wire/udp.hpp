// UDP (RFC 768): the 8-byte header as a view, and a repr whose parse/emit handle the
// checksum over the IPv4 pseudo header.
#pragma once

#include "base/byte_order.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/error.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace shunt::wire {

namespace udp_field {
inline constexpr size_t kSrcPort = 0;
inline constexpr size_t kDstPort = 2;
inline constexpr size_t kLength = 4;  // header + data, bytes
inline constexpr size_t kChecksum = 6;
inline constexpr size_t kPayload = 8;
}  // namespace udp_field

class UdpView {
  public:
    static constexpr size_t kHeaderLen = 8;

    UdpView() = default;
    explicit UdpView(std::span<uint8_t> bytes) noexcept : bytes_(bytes) {}

    // truncated if < 8 bytes; bad_length if the length field is < 8 or > the span.
    static Parsed<UdpView> check(std::span<uint8_t> bytes) noexcept;

    uint16_t src_port() const noexcept { return load_be16(at(udp_field::kSrcPort)); }
    uint16_t dst_port() const noexcept { return load_be16(at(udp_field::kDstPort)); }
    uint16_t length() const noexcept { return load_be16(at(udp_field::kLength)); }
    uint16_t checksum() const noexcept { return load_be16(at(udp_field::kChecksum)); }
    // [8, length): the length field, not the span, bounds the datagram.
    std::span<uint8_t> payload() const noexcept {
        return bytes_.subspan(udp_field::kPayload, length() - udp_field::kPayload);
    }

    void set_src_port(uint16_t v) noexcept { store_be16(at(udp_field::kSrcPort), v); }
    void set_dst_port(uint16_t v) noexcept { store_be16(at(udp_field::kDstPort), v); }
    void set_length(uint16_t v) noexcept { store_be16(at(udp_field::kLength), v); }
    void set_checksum(uint16_t v) noexcept { store_be16(at(udp_field::kChecksum), v); }

    std::span<uint8_t> bytes() const noexcept { return bytes_; }

  private:
    uint8_t* at(size_t off) const noexcept { return bytes_.data() + off; }
    std::span<uint8_t> bytes_;
};

// The value to store in the checksum field of `udp_datagram` (header + payload, with the
// checksum field zero): RFC 768 sums the pseudo header, header and data, and sends a
// computed 0 as 0xffff because 0 means "no checksum".
uint16_t udp_checksum(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> udp_datagram) noexcept;

struct UdpRepr {
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint16_t payload_len = 0;

    // Re-runs UdpView::check's length rules; then, if asked, bad_checksum unless the
    // checksum field is 0 ("not computed", RFC 768, accepted) or the sum over pseudo header
    // + [0, length) verifies. src/dst are the IPv4 addresses for the pseudo header.
    static Parsed<UdpRepr> parse(const UdpView& view, Ipv4Addr src, Ipv4Addr dst,
                                 bool verify_checksum = true) noexcept;
    static constexpr size_t header_len() { return UdpView::kHeaderLen; }
    // Writes the header with length = 8 + payload_len and, if asked, the checksum over the
    // pseudo header + header + the payload already in the view (which must hold
    // 8 + payload_len bytes). Otherwise the checksum is 0 (e.g. left to NIC offload).
    void emit(UdpView& view, Ipv4Addr src, Ipv4Addr dst, bool fill_checksum = true) const noexcept;

    bool operator==(const UdpRepr&) const = default;
};

}  // namespace shunt::wire
