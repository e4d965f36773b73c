// Interface addresses (IPv4 and IPv6) read, removed and re-added through libnl-route-3, as
// records that the undo log stores one per line.
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::ctl {

struct AddressRecord {
    int family = 0;     // AF_INET or AF_INET6
    std::string local;  // canonical text, as ip(8) prints it
    int prefixlen = 0;
    std::string peer;                 // point-to-point peer; empty when none
    std::string broadcast;            // empty when none was set
    std::string label;                // IPv4 only
    int scope = 0;                    // RT_SCOPE_*
    uint32_t flags = 0;               // IFA_F_* as the kernel reported them
    uint32_t valid_lft = 0xffffffff;  // seconds left at save time; 0xffffffff = forever
    uint32_t preferred_lft = 0xffffffff;

    // What identifies the address on its interface (lifetimes and kernel-state flags vary).
    std::string key() const;
    std::string to_text() const;
    static Result<AddressRecord> parse(std::string_view text);
    bool operator==(const AddressRecord&) const = default;
};

// The interface's addresses in the kernel's order (which ip(8) shows).
Result<std::vector<AddressRecord>> list_addresses(int ifindex);
// Adds with the flags a caller may set (nodad, noprefixroute, ...) and the remaining
// lifetimes. LABEL is the IPv4 label to give it: the caller maps a label that was the
// interface's old name to its current one.
// EXISTED (when given) is set when the kernel already has this address (EEXIST).
Status add_address(const AddressRecord& a, int ifindex, const std::string& label,
                   bool* existed = nullptr);
// Succeeds when the address is already gone (IPv4 secondaries go with their primary).
Status delete_address(const AddressRecord& a, int ifindex);
// Waits (bounded) until no IPv6 address of the interface is tentative, i.e. until duplicate
// address detection finished and the kernel installed the addresses' local routes.
Status wait_dad_done(int ifindex, int timeout_ms);

}  // namespace shunt::ctl
