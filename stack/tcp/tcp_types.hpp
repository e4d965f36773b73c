// Shared vocabulary of the TCP connection machinery: states (RFC 9293 §3.3.2), errors,
// per-socket options, stack configuration, counters and event flags.
#pragma once

#include "base/time.hpp"
#include "stack/tcp/congestion.hpp"
#include "stack/tcp/rto.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shunt::tcp {

// RFC 9293 §3.3.2. CLOSED is also the state of a socket the peer reset or that timed out.
enum class TcpState : uint8_t {
    closed,
    listen,
    syn_sent,
    syn_received,
    established,
    fin_wait_1,
    fin_wait_2,
    close_wait,
    closing,
    last_ack,
    time_wait,
};

inline constexpr size_t kTcpStateCount = static_cast<size_t>(TcpState::time_wait) + 1;

std::string_view to_string(TcpState s) noexcept;

// Connections per state, kept by TcpSocket's state variable (StateCell in tcp_socket.hpp): the
// one assignment that changes a socket's state moves it from one count to the other, so a
// stats call reads the array instead of walking the connections.
struct TcpStateCounts {
    std::array<uint64_t, kTcpStateCount> by_state{};
    uint64_t operator[](TcpState s) const noexcept { return by_state[static_cast<size_t>(s)]; }
};

// Why a connection ended abnormally (readable through TcpSocket::error()).
enum class TcpError : uint8_t {
    none,
    refused,          // RST answering our SYN (RFC 9293 §3.10.7.3)
    reset,            // RST in a synchronized state (§3.10.7.4 second check)
    timed_out,        // retransmissions exhausted (RFC 9293 §3.8.3 R2, RFC 1122 §4.2.3.5)
    connect_timeout,  // the handshake did not complete within the connect timeout
    keepalive,        // keep-alive probes unanswered (RFC 1122 §4.2.3.6)
    aborted,          // we aborted it (abort(), or close() with unread data, §3.10.4)
};

// Poll flags (level-triggered: TcpSocket::events() computes them from the state).
namespace tcp_event {
inline constexpr uint32_t readable = 1u << 0;     // in-order data, or the peer's FIN
inline constexpr uint32_t writable = 1u << 1;     // the send queue takes more
inline constexpr uint32_t accepted = 1u << 2;     // listener: a connection waits in accept()
inline constexpr uint32_t connected = 1u << 3;    // the handshake completed
inline constexpr uint32_t peer_closed = 1u << 4;  // the peer's FIN arrived (EOF after the data)
inline constexpr uint32_t closed = 1u << 5;       // CLOSED or TIME-WAIT: nothing more happens
inline constexpr uint32_t error = 1u << 6;        // see error()
}  // namespace tcp_event

struct SocketOptions {
    bool nodelay = false;    // Nagle off (RFC 9293 §3.7.4 MAY-10 lets the app disable it)
    bool keepalive = false;  // RFC 1122 §4.2.3.6: off by default
    Duration keepalive_idle = std::chrono::seconds(7200);  // RFC 1122: at least two hours
    Duration keepalive_interval = std::chrono::seconds(75);
    uint32_t keepalive_probes = 9;
    CongestionAlgorithm congestion = CongestionAlgorithm::cubic;
    uint32_t send_buffer = 256 * 1024;  // bytes queued (sent or not) before send refuses
    uint32_t recv_buffer = 256 * 1024;  // bytes held (in order + out of order): the window
    uint32_t ooo_max_segments = 64;     // out-of-order segments held (each is a buffer)
    bool window_scaling = true;         // offer RFC 7323 options and RFC 2018 SACK
    bool timestamps = true;
    bool sack = true;
    // Small-window loss detection: RFC 3042 limited transmit and RFC 5827 early retransmit
    // (both on, as in Linux; off gives the base algorithms of RFC 5681/6582/6675 alone).
    bool limited_transmit = true;
    bool early_retransmit = true;
};

struct TcpConfig {
    size_t max_connections = 4096;
    size_t time_wait_slots = 4096;  // bounded TIME-WAIT table; the oldest is evicted
    Duration time_wait = std::chrono::seconds(60);  // 2*MSL (Linux TCP_TIMEWAIT_LEN)
    Duration connect_timeout = std::chrono::seconds(75);
    Duration fin_wait_2_timeout = std::chrono::seconds(60);  // orphaned FIN-WAIT-2 only
    uint32_t max_retries = 15;     // RFC 9293 §3.8.3 R2 (Linux tcp_retries2)
    uint32_t max_syn_retries = 6;  // Linux tcp_syn_retries
    Duration delayed_ack = std::chrono::milliseconds(40);  // RFC 9293 §3.8.6.3: < 0.5 s
    RtoConfig rto{};
    uint32_t initial_window_segments = 10;
    std::array<uint8_t, 16> secret{};  // ISNs, ephemeral ports, SYN cookies (seeded)
    uint16_t ephemeral_min = 49152;    // RFC 6335 §6 dynamic range
    uint16_t ephemeral_max = 65535;
    bool syn_cookies = true;  // answer SYNs statelessly when a SYN queue is full
    // Stack-wide cap on buffers held by all send queues (0: none). Send queues share the
    // pool with received frames; without a cap, applications filling many send buffers can
    // starve reception (and the ACKs that would free them).
    size_t max_send_buffers = 0;
    // Optional veto on ephemeral ports (e.g. a shard accepting only ports whose RSS hash
    // brings the replies back to its own queue). Arguments: context, local address, local
    // port, remote address, remote port.
    bool (*ephemeral_port_filter)(void*, wire::Ipv4Addr, uint16_t, wire::Ipv4Addr,
                                  uint16_t) = nullptr;
    void* ephemeral_port_filter_ctx = nullptr;
    SocketOptions defaults{};

    // ---- per-peer limits (issue 11; docs/limits-peer.md). 0 turns a limit off. ----
    // RFC 5961 §7: challenge ACKs (§3.2 RST, §4.2 SYN, §5.2 ACK) stack-wide per second, so
    // that an attacker cannot turn us into a reflector. Linux tcp_challenge_ack_limit.
    uint32_t challenge_ack_limit = 1000;
    // One ACK per connection per interval in reply to an out-of-window (or PAWS-rejected)
    // segment without data, or a challenge ACK, so that two confused ends cannot loop and a
    // peer cannot make us ACK at its packet rate. Linux tcp_invalid_ratelimit (500 ms).
    Duration invalid_ack_interval = std::chrono::milliseconds(500);
    // RSTs sent in reply to segments for no connection (RFC 9293 §3.10.7.1), a token bucket
    // per second and its burst: scans and spoofed floods draw a bounded reply rate (BSD's
    // icmplim caps these at 200/s; 1000/s matches the ICMP error default).
    uint32_t rst_limit = 1000;
    uint32_t rst_burst = 100;
    // Concurrent connections (SYN-RECEIVED included, SYN cookies not: they hold no state)
    // accepted from one remote IPv4 address; new SYNs beyond it are dropped and counted as
    // tcp_source_limit. 1024 leaves room for the test tiers' 500 connections from one host.
    uint32_t max_per_source = 1024;

    // ---- buffer budget (issue 11; stack/iface/buffer_budget.hpp, docs/limits-peer.md) ----
    // Under buffer pressure, a connection that has held send buffers at a zero peer window
    // for this long is aborted (RST), oldest first, then the largest holder: RFC 6429
    // allows it (a resource manager may end connections stuck in persist), RFC 1122
    // §4.2.2.17 only forbids closing merely because probes go unanswered. 0: never.
    Duration zero_window_timeout = std::chrono::seconds(60);
    // How often the resource manager looks, while under pressure.
    Duration resource_scan_interval = std::chrono::milliseconds(50);
};

struct TcpCounters {
    uint64_t segments_rx = 0;
    uint64_t segments_tx = 0;
    uint64_t active_opens = 0;
    uint64_t passive_opens = 0;
    uint64_t established = 0;
    uint64_t resets_rx = 0;
    uint64_t resets_tx = 0;
    uint64_t challenge_acks = 0;
    uint64_t retransmits = 0;       // segments sent again (any reason)
    uint64_t fast_retransmits = 0;  // entering fast retransmit / SACK loss recovery
    uint64_t rto_expirations = 0;
    uint64_t retransmit_copies = 0;  // segments copied because the NIC still held the buffer
    uint64_t tx_copy_bytes = 0;      // bytes copied on send (copy_* paths, incl. the above)
    uint64_t rx_copy_bytes = 0;      // bytes copied by copy_recv
    uint64_t ooo_segments = 0;       // held out of order
    uint64_t dup_segments = 0;       // data we already had
    uint64_t syn_cookies_sent = 0;
    uint64_t syn_cookies_accepted = 0;
    uint64_t time_wait_evictions = 0;
    uint64_t timeouts = 0;  // connections aborted by a timer
    uint64_t window_probes = 0;
    uint64_t keepalive_probes = 0;
    uint64_t rx_coalesced = 0;        // small segments copied into the buffer before them
    uint64_t ooo_pruned = 0;          // out-of-order segments released to free buffers
    uint64_t zero_window_aborts = 0;  // connections the resource manager ended
};

// Sizes used by output and the send path.
inline constexpr size_t kEthIpHeaders = 14 + 20;
inline constexpr size_t kMaxTcpHeader = 60;
// Headroom a payload buffer needs so every header fits in front of it.
inline constexpr size_t kSendHeadroom = kEthIpHeaders + kMaxTcpHeader;

}  // namespace shunt::tcp
