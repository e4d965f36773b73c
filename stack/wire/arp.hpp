// ARP (RFC 826) for Ethernet hardware and IPv4 protocol addresses only, which fixes the
// packet at 28 bytes. Other hardware/protocol pairs are rejected by ArpRepr::parse.
#pragma once

#include "base/byte_order.hpp"
#include "base/mac_addr.hpp"
#include "stack/wire/error.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace shunt::wire {

enum class ArpOp : uint16_t { request = 1, reply = 2 };

// ar$hrd value for Ethernet (IANA "Hardware Types", RFC 826 "ares_hrd$Ethernet").
namespace arp_hardware {
inline constexpr uint16_t ethernet = 1;
}  // namespace arp_hardware

// Offsets valid for hlen == 6 and plen == 4 (the only layout we accept).
namespace arp_field {
inline constexpr size_t kHardwareType = 0;  // ar$hrd, 2 bytes
inline constexpr size_t kProtocolType = 2;  // ar$pro, 2 bytes (an EtherType)
inline constexpr size_t kHardwareLen = 4;   // ar$hln, 1 byte
inline constexpr size_t kProtocolLen = 5;   // ar$pln, 1 byte
inline constexpr size_t kOperation = 6;     // ar$op, 2 bytes
inline constexpr size_t kSenderMac = 8;     // ar$sha, 6 bytes
inline constexpr size_t kSenderIp = 14;     // ar$spa, 4 bytes
inline constexpr size_t kTargetMac = 18;    // ar$tha, 6 bytes
inline constexpr size_t kTargetIp = 24;     // ar$tpa, 4 bytes
inline constexpr size_t kEnd = 28;
}  // namespace arp_field

class ArpView {
  public:
    static constexpr size_t kLen = arp_field::kEnd;

    ArpView() = default;
    explicit ArpView(std::span<uint8_t> bytes) noexcept : bytes_(bytes) {}

    // Error::truncated if shorter than 28 bytes. Longer spans (Ethernet padding to the
    // 60-byte minimum frame) are fine; the bytes past 28 are ignored.
    static Parsed<ArpView> check(std::span<uint8_t> bytes) noexcept;

    uint16_t hardware_type() const noexcept { return load_be16(at(arp_field::kHardwareType)); }
    uint16_t protocol_type() const noexcept { return load_be16(at(arp_field::kProtocolType)); }
    uint8_t hardware_len() const noexcept { return *at(arp_field::kHardwareLen); }
    uint8_t protocol_len() const noexcept { return *at(arp_field::kProtocolLen); }
    uint16_t operation() const noexcept { return load_be16(at(arp_field::kOperation)); }
    MacAddr sender_mac() const noexcept { return load_mac(at(arp_field::kSenderMac)); }
    Ipv4Addr sender_ip() const noexcept { return Ipv4Addr::load(at(arp_field::kSenderIp)); }
    MacAddr target_mac() const noexcept { return load_mac(at(arp_field::kTargetMac)); }
    Ipv4Addr target_ip() const noexcept { return Ipv4Addr::load(at(arp_field::kTargetIp)); }

    void set_hardware_type(uint16_t v) noexcept { store_be16(at(arp_field::kHardwareType), v); }
    void set_protocol_type(uint16_t v) noexcept { store_be16(at(arp_field::kProtocolType), v); }
    void set_hardware_len(uint8_t v) noexcept { *at(arp_field::kHardwareLen) = v; }
    void set_protocol_len(uint8_t v) noexcept { *at(arp_field::kProtocolLen) = v; }
    void set_operation(uint16_t v) noexcept { store_be16(at(arp_field::kOperation), v); }
    void set_sender_mac(MacAddr m) noexcept { store_mac(at(arp_field::kSenderMac), m); }
    void set_sender_ip(Ipv4Addr a) noexcept { a.store(at(arp_field::kSenderIp)); }
    void set_target_mac(MacAddr m) noexcept { store_mac(at(arp_field::kTargetMac), m); }
    void set_target_ip(Ipv4Addr a) noexcept { a.store(at(arp_field::kTargetIp)); }

    std::span<uint8_t> bytes() const noexcept { return bytes_; }

  private:
    uint8_t* at(size_t off) const noexcept { return bytes_.data() + off; }
    std::span<uint8_t> bytes_;
};

struct ArpRepr {
    ArpOp op = ArpOp::request;
    MacAddr sender_mac;
    Ipv4Addr sender_ip;
    MacAddr target_mac;
    Ipv4Addr target_ip;

    // Error::truncated if under 28 bytes; bad_hardware unless htype 1 and hlen 6;
    // bad_protocol unless ptype 0x0800 and plen 4; bad_operation unless op 1 or 2;
    // bad_address if the sender MAC is a group address or either IP is multicast or
    // broadcast: such a packet would poison the neighbor cache (RFC 1812 §3.3.2: never
    // believe an ARP packet claiming a broadcast or multicast link address). Sender IP
    // 0.0.0.0 is accepted: that is an RFC 5227 ARP probe.
    static Parsed<ArpRepr> parse(const ArpView& view) noexcept;
    static constexpr size_t len() { return ArpView::kLen; }
    // Writes all 28 bytes; the view must hold at least len() bytes.
    void emit(ArpView& view) const noexcept;

    bool operator==(const ArpRepr&) const = default;
};

}  // namespace shunt::wire
