// Ethernet II frames (IEEE 802.3 §3.2 with the DIX type field): a view over the bytes and
// a validated repr. The FCS is stripped by the NIC and never appears here.
#pragma once

#include "base/byte_order.hpp"
#include "base/mac_addr.hpp"
#include "stack/wire/error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace shunt::wire {

namespace ethertype {
inline constexpr uint16_t ipv4 = 0x0800, arp = 0x0806, ipv6 = 0x86dd, vlan = 0x8100;
}  // namespace ethertype

namespace ethernet_field {
inline constexpr size_t kDst = 0;         // 6 bytes
inline constexpr size_t kSrc = 6;         // 6 bytes
inline constexpr size_t kEthertype = 12;  // 2 bytes
inline constexpr size_t kPayload = 14;
}  // namespace ethernet_field

// MAC addresses on the wire are 6 raw bytes (Ethernet and ARP share these helpers).
inline MacAddr load_mac(const uint8_t* p) noexcept {
    MacAddr m;
    std::memcpy(m.bytes.data(), p, 6);
    return m;
}
inline void store_mac(uint8_t* p, const MacAddr& m) noexcept {
    std::memcpy(p, m.bytes.data(), 6);
}

// Does not own its bytes. Accessors are unchecked: use check() on received bytes.
class EthernetView {
  public:
    static constexpr size_t kHeaderLen = 14;

    EthernetView() = default;  // empty; lets Parsed<EthernetView> carry an error
    explicit EthernetView(std::span<uint8_t> bytes) noexcept : bytes_(bytes) {}

    // Error::truncated if shorter than the 14-byte header.
    static Parsed<EthernetView> check(std::span<uint8_t> bytes) noexcept;

    MacAddr dst() const noexcept { return load_mac(at(ethernet_field::kDst)); }
    MacAddr src() const noexcept { return load_mac(at(ethernet_field::kSrc)); }
    uint16_t ethertype() const noexcept { return load_be16(at(ethernet_field::kEthertype)); }

    void set_dst(MacAddr m) noexcept { store_mac(at(ethernet_field::kDst), m); }
    void set_src(MacAddr m) noexcept { store_mac(at(ethernet_field::kSrc), m); }
    void set_ethertype(uint16_t t) noexcept { store_be16(at(ethernet_field::kEthertype), t); }

    std::span<uint8_t> payload() const noexcept { return bytes_.subspan(ethernet_field::kPayload); }
    std::span<uint8_t> bytes() const noexcept { return bytes_; }

  private:
    uint8_t* at(size_t off) const noexcept { return bytes_.data() + off; }
    std::span<uint8_t> bytes_;
};

struct EthernetRepr {
    MacAddr src, dst;
    uint16_t ethertype = 0;

    // Error::truncated if the view is too short; Error::bad_address if the source is a
    // group (multicast/broadcast) address, which IEEE 802.3 §3.2.3 never allows there.
    static Parsed<EthernetRepr> parse(const EthernetView& view) noexcept;
    static constexpr size_t header_len() { return EthernetView::kHeaderLen; }
    // Writes the 14-byte header; the view must hold at least header_len() bytes.
    void emit(EthernetView& view) const noexcept;

    bool operator==(const EthernetRepr&) const = default;
};

}  // namespace shunt::wire
