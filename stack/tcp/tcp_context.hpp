// What a socket needs from its stack, and nothing more (smoltcp's `cx`): the clock of this
// poll, the IPv4 output (buffers, drops, TX room, checksum offload), the configuration,
// counters, the timer queue, the stack-wide send-buffer count, and the two ways to ask the
// egress phase for work: mark a socket, queue a reply. The TcpStack owns one; sockets hold a
// reference to it instead of reaching into the stack (only connection lifetime, the table
// and listeners, stays with TcpStack).
#pragma once

#include "base/time.hpp"
#include "stack/iface/ip_protocol.hpp"
#include "stack/tcp/reply_limits.hpp"
#include "stack/tcp/tcp_drop_reason.hpp"
#include "stack/tcp/tcp_types.hpp"
#include "stack/tcp/time_wait.hpp"
#include "stack/tcp/timer_heap.hpp"
#include "stack/wire/tcp.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace shunt::tcp {

class TcpSocket;

struct TcpContext {
    // Replies (RST, TIME-WAIT ACK, SYN-cookie SYN,ACK) that may wait for one egress.
    static constexpr size_t kReplyQueue = 256;

    TcpContext(Ipv4Output& output, const TcpConfig& cfg) : out(output), config(cfg), limits(cfg) {
        replies.resize(kReplyQueue);
    }

    // RFC 7323 timestamps run on the poll's clock, in milliseconds.
    uint32_t ts_clock() const noexcept { return static_cast<uint32_t>(now.millis()); }
    // TCP's own reasons are TCP's counters; the interface's (no_buffer) go to the output.
    void count_drop(DropReason r) noexcept { drops.count(r); }
    void count_drop(shunt::DropReason r) noexcept { out.count_drop(r); }

    // The socket has something for egress (TcpStack::egress visits marked sockets only).
    void mark(TcpSocket& s, bool& marked) noexcept {
        egress_held = false;
        if (marked) return;
        marked = true;
        flush_list.push_back(&s);
    }
    void unmark(TcpSocket* s) noexcept { std::erase(flush_list, s); }
    // Replies without a live connection behind them wait in a bounded ring for egress; a
    // reply that does not fit is dropped (the peer's retransmission asks again).
    void queue_reply(const FourTuple& key, const wire::TcpRepr& r) noexcept {
        egress_held = false;
        if (replies_count == replies.size()) return drops.count(DropReason::reply_queue_full);
        replies[(replies_head + replies_count) % replies.size()] = Reply{key, r};
        replies_count++;
    }
    bool egress_pending() const noexcept { return !flush_list.empty() || replies_count > 0; }

    Ipv4Output& out;
    const TcpConfig& config;
    ReplyLimits limits;  // RFC 5961 §7 challenge ACK / invalid ACK / RST rate limits
    TcpCounters counters;
    TcpStateCounts states;  // sockets per state (TcpSocket's StateCell keeps it)
    DropCounters drops;
    Instant now{};  // one clock per poll
    // Connections with a timer running. Mutable: next_deadline() re-keys stale entries at
    // the top, which changes no observable state.
    mutable TimerHeap timers;
    size_t send_buffers = 0;  // buffers held by all send queues (max_send_buffers)
    size_t ooo_buffers = 0;   // buffers held by all out-of-order queues (RecvQueue adds)

    // The pool's budget (stack/iface/buffer_budget.hpp), or null when the output has none.
    const BufferBudget* budget() const noexcept { return out.budget(); }
    // Shares in buffers (SIZE_MAX: no bound).
    size_t socket_rx_share() const noexcept {
        const BufferBudget* b = budget();
        return b == nullptr ? SIZE_MAX : b->share(b->config().tcp_socket_rx_percent);
    }
    size_t ooo_share() const noexcept {
        const BufferBudget* b = budget();
        return b == nullptr ? SIZE_MAX : b->share(b->config().tcp_ooo_percent);
    }
    size_t socket_tx_share() const noexcept {
        const BufferBudget* b = budget();
        return b == nullptr ? SIZE_MAX : b->share(b->config().tcp_socket_tx_percent);
    }
    // Every send queue together: TcpConfig::max_send_buffers, else the budget's share.
    size_t tx_share() const noexcept {
        if (config.max_send_buffers != 0) return config.max_send_buffers;
        const BufferBudget* b = budget();
        return b == nullptr ? SIZE_MAX : b->share(b->config().tcp_tx_percent);
    }
    bool under_pressure() const noexcept {
        const BufferBudget* b = budget();
        return b != nullptr && b->under_pressure();
    }
    // The send queues together hold so much that a new sender could not get its own share.
    bool send_pressure() const noexcept {
        const size_t total = tx_share();
        if (total == SIZE_MAX) return false;
        const size_t one = std::min(socket_tx_share(), total / 2);
        return send_buffers + one > total;
    }
    bool reserve_intact() const noexcept {
        const BufferBudget* b = budget();
        return b == nullptr || b->reserve_intact();
    }
    bool reclaim_pending = false;
    // What waits for egress is only what the last egress could not send (TX ring full, no
    // buffer): no mark or reply came since. It retries at the output's tx_retry_at().
    bool egress_held = false;

    std::vector<TcpSocket*> flush_list;  // marked sockets, in marking order
    struct Reply {
        FourTuple key;
        wire::TcpRepr repr;
    };
    std::vector<Reply> replies;  // a ring of kReplyQueue
    size_t replies_head = 0;
    size_t replies_count = 0;
};

}  // namespace shunt::tcp
