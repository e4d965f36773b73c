// Every packet the stack drops is counted under one named reason. The names are stable:
// shuntd's stats file, tests and docs use them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shunt {

enum class DropReason : uint8_t {
    eth_truncated,          // shorter than an Ethernet header
    eth_not_for_us,         // unicast to another MAC
    eth_unknown_ethertype,  // neither IPv4 nor ARP
    arp_malformed,          // short, or not Ethernet/IPv4 ARP, or unknown operation
    arp_bad_source,         // sender address is broadcast/multicast/zero
    ipv4_truncated,         // shorter than its header or total length
    ipv4_bad_version,
    ipv4_bad_header_len,
    ipv4_bad_checksum,
    ipv4_bad_source,        // broadcast/multicast source
    ipv4_not_for_us,        // destination is not ours (we do not forward)
    ipv4_frag_malformed,    // fragment with bad offset/length
    ipv4_frag_overlap,      // conflicting overlapping fragment (RFC 5722 style: drop all)
    ipv4_frag_too_big,      // reassembled size would exceed 65535 or the configured limit
    ipv4_frag_limit,        // too many datagrams or buffers held in reassembly
    ipv4_frag_timeout,      // datagram incomplete when its reassembly timer fired
    ipv4_unknown_protocol,  // answered with ICMP protocol unreachable (if allowed)
    icmp_malformed,
    icmp_bad_checksum,
    icmp_unsupported_type,  // types we do not act on (counted, not answered)
    icmp_rate_limited,      // an error we would have sent, suppressed by the rate limit
    udp_malformed,
    udp_bad_checksum,
    udp_no_socket,  // answered with ICMP port unreachable (if allowed)
    udp_socket_queue_full,
    neigh_queue_full,  // packets waiting for ARP resolution exceeded the per-host bound
    neigh_table_full,
    neigh_unresolved,  // ARP gave up: queued packets dropped
    no_route,
    no_buffer,      // pool exhausted while building a packet
    tx_queue_full,  // the NIC did not take the frame
    // TCP (stack/tcp, RFC 9293 §3.10.7 segment arrival).
    tcp_malformed,  // short, bad data offset, bad option length
    tcp_bad_checksum,
    tcp_bad_address,        // to or from a broadcast/multicast address (RFC 9293 §3.9.1)
    tcp_no_socket,          // no connection or listener: answered with RST (§3.10.7.1)
    tcp_listen_invalid,     // a non-SYN segment to a listener (ACK answered with RST)
    tcp_syn_queue_full,     // listener's SYN queue full (and no SYN cookie was made)
    tcp_accept_queue_full,  // listener's backlog full when the handshake completed
    tcp_out_of_window,      // unacceptable sequence number (§3.10.7.4 first check; ACK sent)
    tcp_paws_rejected,      // RFC 7323 §5.3 old timestamp (ACK sent)
    tcp_rst_invalid,        // RST outside the window (RFC 5961 §3)
    tcp_rst_challenged,     // RST in window but not exact: challenge ACK (RFC 5961 §3.2)
    tcp_syn_challenged,     // SYN in a synchronized state: challenge ACK (RFC 5961 §4)
    tcp_ack_invalid,        // ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] (RFC 5961 §5)
    tcp_no_ack_bit,         // synchronized state, segment without ACK (§3.10.7.4 fifth)
    tcp_ooo_limit,          // out-of-order queue's segment or byte bound
    tcp_reply_queue_full,   // RST/ACK replies waiting for egress exceeded their bound
    count_                  // number of reasons (not a reason)
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::count_);

inline constexpr std::array<std::string_view, kDropReasonCount> kDropReasonNames = {
    "eth_truncated",
    "eth_not_for_us",
    "eth_unknown_ethertype",
    "arp_malformed",
    "arp_bad_source",
    "ipv4_truncated",
    "ipv4_bad_version",
    "ipv4_bad_header_len",
    "ipv4_bad_checksum",
    "ipv4_bad_source",
    "ipv4_not_for_us",
    "ipv4_frag_malformed",
    "ipv4_frag_overlap",
    "ipv4_frag_too_big",
    "ipv4_frag_limit",
    "ipv4_frag_timeout",
    "ipv4_unknown_protocol",
    "icmp_malformed",
    "icmp_bad_checksum",
    "icmp_unsupported_type",
    "icmp_rate_limited",
    "udp_malformed",
    "udp_bad_checksum",
    "udp_no_socket",
    "udp_socket_queue_full",
    "neigh_queue_full",
    "neigh_table_full",
    "neigh_unresolved",
    "no_route",
    "no_buffer",
    "tx_queue_full",
    "tcp_malformed",
    "tcp_bad_checksum",
    "tcp_bad_address",
    "tcp_no_socket",
    "tcp_listen_invalid",
    "tcp_syn_queue_full",
    "tcp_accept_queue_full",
    "tcp_out_of_window",
    "tcp_paws_rejected",
    "tcp_rst_invalid",
    "tcp_rst_challenged",
    "tcp_syn_challenged",
    "tcp_ack_invalid",
    "tcp_no_ack_bit",
    "tcp_ooo_limit",
    "tcp_reply_queue_full",
};

inline constexpr std::string_view to_string(DropReason r) {
    return kDropReasonNames[static_cast<size_t>(r)];
}

// Per-reason counters.
struct DropCounters {
    std::array<uint64_t, kDropReasonCount> by_reason{};
    void count(DropReason r, uint64_t n = 1) noexcept { by_reason[static_cast<size_t>(r)] += n; }
    uint64_t operator[](DropReason r) const noexcept { return by_reason[static_cast<size_t>(r)]; }
    uint64_t total() const noexcept {
        uint64_t t = 0;
        for (uint64_t v : by_reason) t += v;
        return t;
    }
};

}  // namespace shunt
