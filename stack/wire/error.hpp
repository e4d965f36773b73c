// Why a wire parser rejected some bytes. Every drop the stack counts maps back to one of
// these, so each value names one rule of one RFC (unlike smoltcp's single `Error`).
#pragma once

#include <cstdint>
#include <string_view>

namespace shunt::wire {

enum class Error : uint8_t {
    none,
    truncated,       // fewer bytes than the fixed header
    bad_version,     // IPv4 version field is not 4
    bad_header_len,  // IPv4 IHL or TCP data offset < 5, or past the end of the bytes
    bad_length,      // a length field disagrees with the header or the bytes
    bad_checksum,    // RFC 1071 sum does not verify
    bad_hardware,    // ARP hardware type/length is not Ethernet/6
    bad_protocol,    // ARP protocol type/length is not IPv4/4
    bad_operation,   // ARP opcode is neither request nor reply
    bad_address,     // an address that may never appear in that field (e.g. multicast source)
    unsupported,     // well-formed, but a variant this stack does not handle
    bad_option,      // a TCP option length < 2, past the header, or wrong for its kind
};

constexpr std::string_view to_string(Error e) noexcept {
    switch (e) {
        case Error::none:
            return "none";
        case Error::truncated:
            return "truncated";
        case Error::bad_version:
            return "bad_version";
        case Error::bad_header_len:
            return "bad_header_len";
        case Error::bad_length:
            return "bad_length";
        case Error::bad_checksum:
            return "bad_checksum";
        case Error::bad_hardware:
            return "bad_hardware";
        case Error::bad_protocol:
            return "bad_protocol";
        case Error::bad_operation:
            return "bad_operation";
        case Error::bad_address:
            return "bad_address";
        case Error::unsupported:
            return "unsupported";
        case Error::bad_option:
            return "bad_option";
    }
    return "unknown";
}

// The result of a data-path parse: no exceptions, no allocation. Build one with
// `Parsed<T>{value}` on success or `Parsed<T>{{}, Error::x}` on failure.
template <typename T>
struct [[nodiscard]] Parsed {
    T value{};
    Error error = Error::none;

    bool ok() const noexcept { return error == Error::none; }
};

}  // namespace shunt::wire
