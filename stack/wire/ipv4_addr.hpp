// IPv4 addresses and prefixes. Values are kept in host order; bytes on the wire are
// read and written explicitly (RFC 791 §3.1 big-endian).
#pragma once

#include "base/byte_order.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shunt::wire {

struct Ipv4Addr {
    uint32_t value = 0;  // host order: 10.0.0.1 == 0x0a000001

    static constexpr Ipv4Addr from_octets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
        return Ipv4Addr{(uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d};
    }
    static Ipv4Addr load(const uint8_t* p) noexcept { return Ipv4Addr{load_be32(p)}; }
    void store(uint8_t* p) const noexcept { store_be32(p, value); }

    static constexpr Ipv4Addr any() { return Ipv4Addr{0}; }
    static constexpr Ipv4Addr broadcast() { return Ipv4Addr{0xffffffffu}; }
    constexpr bool is_unspecified() const { return value == 0; }
    constexpr bool is_broadcast() const { return value == 0xffffffffu; }
    constexpr bool is_multicast() const { return (value >> 28) == 0xe; }  // 224.0.0.0/4
    constexpr bool is_loopback() const { return (value >> 24) == 127; }

    static std::optional<Ipv4Addr> parse(std::string_view text) {
        uint32_t v = 0;
        const char* p = text.data();
        const char* end = text.data() + text.size();
        for (int i = 0; i < 4; ++i) {
            unsigned octet = 0;
            auto [next, ec] = std::from_chars(p, end, octet);
            if (ec != std::errc{} || octet > 255 || next - p > 3) return std::nullopt;
            // "010" is octal 8 to inet_aton(3) but decimal 10 here: refuse leading zeros,
            // as inet_pton(3) does, rather than pick a meaning silently.
            if (next - p > 1 && *p == '0') return std::nullopt;
            v = (v << 8) | octet;
            p = next;
            if (i < 3) {
                if (p == end || *p != '.') return std::nullopt;
                ++p;
            }
        }
        if (p != end) return std::nullopt;
        return Ipv4Addr{v};
    }
    std::string to_string() const {
        return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                           value & 0xff);
    }
    constexpr auto operator<=>(const Ipv4Addr&) const = default;
};

// An address with a prefix length: an interface address or a route's destination.
struct Ipv4Cidr {
    Ipv4Addr addr{};
    uint8_t prefix_len = 0;

    static std::optional<Ipv4Cidr> parse(std::string_view text) {
        auto slash = text.find('/');
        if (slash == std::string_view::npos) return std::nullopt;
        auto a = Ipv4Addr::parse(text.substr(0, slash));
        unsigned len = 0;
        auto rest = text.substr(slash + 1);
        auto [next, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), len);
        if (!a || ec != std::errc{} || next != rest.data() + rest.size() || len > 32) {
            return std::nullopt;
        }
        return Ipv4Cidr{*a, static_cast<uint8_t>(len)};
    }
    constexpr uint32_t netmask() const {
        return prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
    }
    constexpr Ipv4Addr network() const { return Ipv4Addr{addr.value & netmask()}; }
    constexpr Ipv4Cidr network_cidr() const { return Ipv4Cidr{network(), prefix_len}; }
    constexpr Ipv4Addr subnet_broadcast() const { return Ipv4Addr{addr.value | ~netmask()}; }
    constexpr bool contains(Ipv4Addr a) const {
        return (a.value & netmask()) == (addr.value & netmask());
    }
    std::string to_string() const { return fmt::format("{}/{}", addr.to_string(), prefix_len); }
    constexpr auto operator<=>(const Ipv4Cidr&) const = default;
};

}  // namespace shunt::wire
