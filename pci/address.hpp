// A PCI function's address, as sysfs names it (/sys/bus/pci/devices/DDDD:BB:DD.F).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace shunt::pci {

struct PciAddress {
    uint16_t domain = 0;
    uint8_t bus = 0;
    uint8_t device = 0;    // 0..0x1f
    uint8_t function = 0;  // 0..7

    // "0000:03:00.0", or the short "03:00.0" (domain 0) that lspci and dpdk-devbind accept.
    // Hex digits in either case; nothing else (no spaces, no prefix).
    static std::optional<PciAddress> parse(std::string_view text);
    std::string to_string() const;  // always the long, lower-case form sysfs uses
    auto operator<=>(const PciAddress&) const = default;
};

}  // namespace shunt::pci

template <>
struct std::hash<shunt::pci::PciAddress> {
    size_t operator()(const shunt::pci::PciAddress& a) const noexcept {
        return std::hash<uint32_t>{}(static_cast<uint32_t>(a.domain) << 16 |
                                     static_cast<uint32_t>(a.bus) << 8 |
                                     static_cast<uint32_t>(a.device) << 3 | a.function);
    }
};
