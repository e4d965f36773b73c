#include "pci/address.hpp"

#include <fmt/format.h>

#include <charconv>

namespace shunt::pci {
namespace {

// Exactly `digits` hex digits, at most `max`.
std::optional<unsigned> hex_field(std::string_view s, size_t digits, unsigned max) {
    if (s.size() != digits) return std::nullopt;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc{} || end != s.data() + s.size() || v > max) return std::nullopt;
    return v;
}

}  // namespace

std::optional<PciAddress> PciAddress::parse(std::string_view text) {
    PciAddress a;
    if (text.size() == 12) {  // DDDD:BB:DD.F
        if (text[4] != ':') return std::nullopt;
        auto dom = hex_field(text.substr(0, 4), 4, 0xffff);
        if (!dom) return std::nullopt;
        a.domain = static_cast<uint16_t>(*dom);
        text.remove_prefix(5);
    }
    // BB:DD.F
    if (text.size() != 7 || text[2] != ':' || text[5] != '.') return std::nullopt;
    auto bus = hex_field(text.substr(0, 2), 2, 0xff);
    auto dev = hex_field(text.substr(3, 2), 2, 0x1f);
    auto fn = hex_field(text.substr(6, 1), 1, 7);
    if (!bus || !dev || !fn) return std::nullopt;
    a.bus = static_cast<uint8_t>(*bus);
    a.device = static_cast<uint8_t>(*dev);
    a.function = static_cast<uint8_t>(*fn);
    return a;
}

std::string PciAddress::to_string() const {
    return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", domain, bus, device, function);
}

}  // namespace shunt::pci
