// Every packet the interface layer drops is counted under one named reason; each layer
// owns its reasons (TCP's are tcp::DropReason, stack/tcp/tcp_drop_reason.hpp). One X-macro
// list gives the enum and the names, which are stable: shuntd's stats file, tests and docs
// use them.
#pragma once

#include "base/probes.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shunt {

#define SHUNT_IFACE_DROP_REASONS(X)                                                            \
    X(eth_truncated)         /* shorter than an Ethernet header */                             \
    X(eth_not_for_us)        /* unicast to another MAC */                                      \
    X(eth_unknown_ethertype) /* neither IPv4 nor ARP */                                        \
    X(arp_malformed)         /* short, or not Ethernet/IPv4 ARP, or unknown operation */       \
    X(arp_bad_source)        /* sender address is broadcast/multicast/zero */                  \
    X(ipv4_truncated)        /* shorter than its header or total length */                     \
    X(ipv4_bad_version)                                                                        \
    X(ipv4_bad_header_len)                                                                     \
    X(ipv4_bad_checksum)                                                                       \
    X(ipv4_bad_source)       /* broadcast/multicast source */                                  \
    X(ipv4_not_for_us)       /* destination is not ours (we do not forward) */                 \
    X(ipv4_frag_malformed)   /* fragment with bad offset/length */                             \
    X(ipv4_frag_overlap)     /* conflicting overlapping fragment (RFC 5722 style: drop all) */ \
    X(ipv4_frag_too_big)     /* reassembled size would exceed 65535 or the configured limit */ \
    X(ipv4_frag_limit)       /* too many datagrams or buffers held in reassembly */            \
    X(ipv4_frag_timeout)     /* datagram incomplete when its reassembly timer fired */         \
    X(ipv4_unknown_protocol) /* answered with ICMP protocol unreachable (if allowed) */        \
    X(icmp_malformed)                                                                          \
    X(icmp_bad_checksum)                                                                       \
    X(icmp_unsupported_type) /* types we do not act on (counted, not answered) */              \
    X(icmp_rate_limited)     /* an error we would have sent, suppressed by the rate limit */   \
    X(udp_malformed)                                                                           \
    X(udp_bad_checksum)                                                                        \
    X(udp_no_socket) /* answered with ICMP port unreachable (if allowed) */                    \
    X(udp_socket_queue_full)                                                                   \
    X(neigh_queue_full) /* packets waiting for ARP resolution exceeded the per-host bound */   \
    X(neigh_table_full)                                                                        \
    X(neigh_unresolved) /* ARP gave up: queued packets dropped */                              \
    X(no_route)                                                                                \
    X(no_buffer)     /* pool exhausted while building a packet */                              \
    X(tx_queue_full) /* TX ring full, and the sender cannot wait (ARP, ICMP, UDP) */           \
    /* martian sources, IPv4 and ARP sender: 0/8, 127/8, our own address, 240/4 */             \
    X(ipv4_martian_source)                                                                     \
    X(arp_martian_source)                                                                      \
    X(udp_budget)       /* holding the datagram would eat into the pool's reserve */           \
    X(ipv4_frag_budget) /* fragment not held: the pool's reserve would be eaten into */        \
    X(neigh_budget)     /* frames waiting for ARP, all neighbours together, at their share */  \
    /* end */

enum class DropReason : uint8_t {
#define SHUNT_DROP_ENUM(name) name,
    SHUNT_IFACE_DROP_REASONS(SHUNT_DROP_ENUM)
#undef SHUNT_DROP_ENUM
        count_  // number of reasons (not a reason)
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::count_);

inline constexpr std::array<std::string_view, kDropReasonCount> kDropReasonNames = {
#define SHUNT_DROP_NAME(name) #name,
    SHUNT_IFACE_DROP_REASONS(SHUNT_DROP_NAME)
#undef SHUNT_DROP_NAME
};
inline constexpr std::string_view to_string(DropReason r) {
    return kDropReasonNames[static_cast<size_t>(r)];
}

// Per-reason counters.
struct DropCounters {
    std::array<uint64_t, kDropReasonCount> by_reason{};
    void count(DropReason r, uint64_t n = 1) noexcept {
        probe::drop(probe::DropLayer::iface, static_cast<uint32_t>(r));
        by_reason[static_cast<size_t>(r)] += n;
    }
    uint64_t operator[](DropReason r) const noexcept { return by_reason[static_cast<size_t>(r)]; }
    uint64_t total() const noexcept {
        uint64_t t = 0;
        for (uint64_t v : by_reason) t += v;
        return t;
    }
};

}  // namespace shunt
