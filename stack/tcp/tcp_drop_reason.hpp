// TCP's drop reasons, owned by the TCP layer (the interface's are shunt::DropReason). One
// X-macro list gives the enum and the stable names; the names keep their "tcp_" prefix, as
// in shuntd's stats file, where they sit in the "drops" object beside the interface's.
#pragma once

#include "base/probes.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shunt::tcp {

// RFC 9293 §3.10.7 segment arrival, and the replies TCP queues for egress.
#define SHUNT_TCP_DROP_REASONS(X)                                                              \
    X(malformed) /* short, bad data offset, bad option length */                               \
    X(bad_checksum)                                                                            \
    X(bad_address)       /* to or from a broadcast/multicast address (§3.9.1) */              \
    X(no_socket)         /* no connection or listener: answered with RST (§3.10.7.1) */       \
    X(listen_invalid)    /* a non-SYN segment to a listener (ACK answered with RST) */         \
    X(syn_queue_full)    /* listener's SYN queue full (and no SYN cookie was made) */          \
    X(accept_queue_full) /* listener's backlog full when the handshake completed */            \
    X(out_of_window)     /* unacceptable sequence number (§3.10.7.4 first check; ACK sent) */ \
    X(paws_rejected)     /* RFC 7323 §5.3 old timestamp (ACK sent) */                         \
    X(rst_invalid)       /* RST outside the window (RFC 5961 §3) */                           \
    X(rst_challenged)    /* RST in window but not exact: challenge ACK (RFC 5961 §3.2) */     \
    X(syn_challenged)    /* SYN in a synchronized state: challenge ACK (RFC 5961 §4) */       \
    X(ack_invalid)       /* ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] (RFC 5961 §5) */     \
    X(no_ack_bit)        /* synchronized state, segment without ACK (§3.10.7.4 fifth) */      \
    X(ooo_limit)         /* out-of-order queue's segment or byte bound */                      \
    X(reply_queue_full)  /* RST/ACK replies waiting for egress exceeded their bound */         \
    X(challenge_limited) /* challenge ACK held back by the RFC 5961 §7 limits */              \
    X(oow_ack_limited)   /* ACK for an unacceptable segment held back: one per 500 ms */       \
    X(rst_limited)       /* RST for a segment to no connection held back: rate limit */        \
    X(source_limit)      /* SYN from a remote already at max_per_source: dropped */            \
    X(rx_budget)         /* in-order data refused: past its share, pool in pressure */         \
    X(ooo_budget)        /* out-of-order segment not held: socket or stack share */            \
    X(ooo_pruned)        /* out-of-order segment released (lower data or pressure) */          \
    X(zero_window_abort) /* aborted: stuck at a zero window under buffer pressure */           \
    /* end */

enum class DropReason : uint8_t {
#define SHUNT_TCP_DROP_ENUM(name) name,
    SHUNT_TCP_DROP_REASONS(SHUNT_TCP_DROP_ENUM)
#undef SHUNT_TCP_DROP_ENUM
        count_  // number of reasons (not a reason)
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::count_);

inline constexpr std::array<std::string_view, kDropReasonCount> kDropReasonNames = {
#define SHUNT_TCP_DROP_NAME(name) "tcp_" #name,
    SHUNT_TCP_DROP_REASONS(SHUNT_TCP_DROP_NAME)
#undef SHUNT_TCP_DROP_NAME
};

inline constexpr std::string_view to_string(DropReason r) {
    return kDropReasonNames[static_cast<size_t>(r)];
}

struct DropCounters {
    std::array<uint64_t, kDropReasonCount> by_reason{};
    void count(DropReason r, uint64_t n = 1) noexcept {
        probe::drop(probe::DropLayer::tcp, static_cast<uint32_t>(r));
        by_reason[static_cast<size_t>(r)] += n;
    }
    uint64_t operator[](DropReason r) const noexcept { return by_reason[static_cast<size_t>(r)]; }
    uint64_t total() const noexcept {
        uint64_t t = 0;
        for (uint64_t v : by_reason) t += v;
        return t;
    }
};

}  // namespace shunt::tcp
