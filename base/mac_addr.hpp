// Ethernet MAC address: shared by drivers (which read it from the NIC) and the stack.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shunt {

struct MacAddr {
    std::array<uint8_t, 6> bytes{};

    static constexpr MacAddr broadcast() { return MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    bool is_broadcast() const { return *this == broadcast(); }
    bool is_multicast() const { return (bytes[0] & 0x01) != 0; }
    bool is_zero() const { return *this == MacAddr{}; }
    // IEEE 802: bit 1 of the first octet marks a locally administered address.
    bool is_unicast() const { return !is_multicast(); }

    static std::optional<MacAddr> parse(std::string_view text);
    std::string to_string() const {
        return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1],
                           bytes[2], bytes[3], bytes[4], bytes[5]);
    }
    auto operator<=>(const MacAddr&) const = default;
};

inline std::optional<MacAddr> MacAddr::parse(std::string_view text) {
    MacAddr m;
    if (text.size() != 17) return std::nullopt;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < 6; ++i) {
        int hi = hex(text[i * 3]), lo = hex(text[i * 3 + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        if (i < 5 && text[i * 3 + 2] != ':') return std::nullopt;
        m.bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    return m;
}

}  // namespace shunt
