// The TCP layer of one stack shard: the connection table (4-tuple demultiplexing),
// listeners with SYN and accept queues, the TIME-WAIT table, ephemeral ports (RFC 6056) and
// the timers of every connection. It receives protocol-6 datagrams from the interface
// (Ipv4Handler) and sends through an Ipv4Output (the Interface, or a fake in tests).
#pragma once

#include "stack/iface/ip_protocol.hpp"
#include "stack/tcp/conn_table.hpp"
#include "stack/tcp/isn.hpp"
#include "stack/tcp/syn_cookie.hpp"
#include "stack/tcp/tcp_context.hpp"
#include "stack/tcp/tcp_socket.hpp"
#include "stack/tcp/tcp_types.hpp"
#include "stack/tcp/time_wait.hpp"
#include "stack/tcp/timer_heap.hpp"

#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace shunt::tcp {

class TcpListener {
  public:
    TcpListener(TcpStack& stack, uint16_t port, size_t backlog, const SocketOptions& options);
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;

    uint16_t port() const noexcept { return port_; }
    // The oldest established connection; the application owns it from now on (close() it).
    TcpSocket* accept() noexcept;
    size_t pending() const noexcept { return accept_count_; }
    size_t syn_queue_length() const noexcept { return syn_queue_; }
    uint32_t events() const noexcept { return accept_count_ > 0 ? tcp_event::accepted : 0; }
    const SocketOptions& options() const noexcept { return options_; }

  private:
    friend class TcpStack;
    friend class TcpSocket;
    bool push_accepted(TcpSocket* s) noexcept;
    void forget(TcpSocket* s) noexcept;  // a queued child died before accept()

    TcpStack& stack_;
    uint16_t port_;
    SocketOptions options_;
    std::vector<TcpSocket*> accept_ring_;  // the backlog, fixed at listen()
    size_t accept_head_ = 0;
    size_t accept_count_ = 0;
    size_t syn_queue_ = 0;  // children in SYN-RECEIVED
};

class TcpStack final : public Ipv4Handler {
  public:
    TcpStack(Ipv4Output& out, TcpConfig config);
    TcpStack(const TcpStack&) = delete;
    TcpStack& operator=(const TcpStack&) = delete;
    ~TcpStack() override;

    // RFC 9293 §3.10.1 passive OPEN. Null when the port already has a listener.
    // `backlog` bounds both the SYN queue and the accept queue.
    TcpListener* listen(uint16_t port, size_t backlog, const SocketOptions* options = nullptr);
    // Stops listening; connections still queued are reset and freed.
    void close_listener(TcpListener* listener) noexcept;
    // Shutdown: RFC 9293 §3.10.5 ABORT of every connection, so that peers learn at once
    // instead of by their own timeouts. A synchronized one sends an RST, which waits in the
    // reply queue for egress: only as many are aborted as it has room for, the rest on a
    // later call. Returns the connections still to abort (0: done).
    size_t abort_connections() noexcept;
    // RFC 9293 §3.10.1 active OPEN: SYN now. local_port 0 picks one (RFC 6056 Algorithm 3).
    // Null when no port is free, the 4-tuple is in use, or the table is full.
    TcpSocket* connect(Endpoint remote, Instant now, uint16_t local_port = 0,
                       const SocketOptions* options = nullptr);

    // Ipv4Handler.
    void receive(const Ipv4Meta& meta, PacketChain payload, Instant now) noexcept override;
    std::optional<Instant> next_deadline() const noexcept override;
    void on_timers(Instant now) noexcept override;
    // The only place TCP sends: queued replies (RSTs, TIME-WAIT and SYN-cookie answers),
    // then every marked socket (arrivals, timers and application calls mark; they never
    // send) dispatches its segments, while the output's tx_ready() holds. Sockets not
    // reached stay marked, in order, for the next poll.
    void egress(Instant now) noexcept override;
    // Segments wait to be sent (marked sockets or queued replies).
    bool egress_pending() const noexcept override { return cx_.egress_pending(); }

    const TcpConfig& config() const noexcept { return config_; }
    const TcpCounters& counters() const noexcept { return cx_.counters; }
    const DropCounters& drops() const noexcept { return cx_.drops; }
    size_t connection_count() const noexcept { return table_.size(); }
    // Connections (any state in the table) with this remote address (max_per_source).
    size_t connections_from(wire::Ipv4Addr remote) const noexcept {
        return table_.count_from(remote);
    }
    size_t time_wait_count() const noexcept { return time_wait_.size(); }
    // Connections per RFC 9293 state, read in O(1): the sockets' counts (kept at each state
    // change, TcpStateCounts), except LISTEN (the listeners) and TIME-WAIT (the TIME-WAIT
    // table, where a connection lives on once its socket is done; a socket still held in
    // TIME-WAIT is that same connection, not counted twice). CLOSED is always 0.
    TcpStateCounts state_counts() const noexcept {
        TcpStateCounts c = cx_.states;
        c.by_state[static_cast<size_t>(TcpState::closed)] = 0;
        c.by_state[static_cast<size_t>(TcpState::listen)] = listeners_.size();
        c.by_state[static_cast<size_t>(TcpState::time_wait)] = time_wait_.size();
        return c;
    }
    // Buffers held by all send queues (bounded by TcpConfig::max_send_buffers).
    size_t send_buffers_held() const noexcept { return cx_.send_buffers; }
    // Buffers held by all out-of-order queues (bounded by BudgetConfig::tcp_ooo_percent).
    size_t ooo_buffers_held() const noexcept { return cx_.ooo_buffers; }
    Instant now() const noexcept { return cx_.now; }

  private:
    friend class TcpSocket;
    friend class TcpListener;

    bool parse_segment(const Ipv4Meta& meta, PacketChain& payload, Segment& seg) noexcept;
    void on_listen_segment(TcpListener& l, const FourTuple& key, Segment& seg) noexcept;
    void accept_syn(TcpListener& l, const FourTuple& key, Segment& seg) noexcept;
    void send_syn_cookie(const FourTuple& key, const Segment& syn) noexcept;
    bool accept_cookie(TcpListener& l, const FourTuple& key, Segment& seg) noexcept;
    bool on_time_wait_segment(TimeWaitEntry& tw, const Segment& seg) noexcept;
    void reply_rst(const FourTuple& key, const Segment& seg) noexcept;
    // Replies without a live connection behind them wait in a bounded queue for egress.
    void send_repr(const FourTuple& key, const wire::TcpRepr& r) noexcept {
        cx_.queue_reply(key, r);
    }
    bool emit_reply(const FourTuple& key, const wire::TcpRepr& r) noexcept;
    uint32_t ts_clock() const noexcept { return cx_.ts_clock(); }
    void send_bare(const FourTuple& key, SeqNum seq, std::optional<SeqNum> ack, uint8_t flags,
                   uint16_t window, const std::optional<wire::TcpTimestamps>& ts) noexcept;
    std::optional<uint16_t> pick_ephemeral_port(wire::Ipv4Addr local, Endpoint remote) noexcept;
    bool tuple_in_use(const FourTuple& key) noexcept;
    // The remote already holds TcpConfig::max_per_source connections (issue 11 hook).
    bool source_capped(const FourTuple& key) const noexcept {
        return config_.max_per_source != 0 &&
               table_.count_from(key.remote_addr) >= config_.max_per_source;
    }
    TcpSocket* create_socket(const FourTuple& key, const SocketOptions& options) noexcept;
    void to_time_wait(TcpSocket& s) noexcept;
    void unlink(TcpSocket& s) noexcept;
    void reclaim() noexcept;
    // The resource manager (tcp_budget.cpp): under buffer pressure, prunes out-of-order data
    // and aborts connections stuck at a zero window (TcpConfig::zero_window_timeout).
    void manage_resources() noexcept;
    void settle_timers() const noexcept;

    Ipv4Output& out_;
    TcpConfig config_;
    TcpContext cx_;  // what sockets see of the stack (after config_: it refers to it)
    IsnGenerator isn_;
    SynCookies cookies_;
    ConnTable table_;                     // 4-tuple demultiplexing, sized for max_connections
    std::vector<TcpSocket*> due_;         // on_timers' scratch list, reserved like timers_
    std::vector<TcpSocket*> flush_work_;  // egress()'s copy of it, reserved like timers_
    std::vector<std::unique_ptr<TcpSocket>> sockets_;  // every socket not yet freed
    std::unordered_map<uint16_t, std::unique_ptr<TcpListener>> listeners_;
    TimeWaitTable time_wait_;
    std::vector<TcpSocket*> candidates_;  // manage_resources' scratch, reserved like timers_
    Instant next_resource_scan_{};
    uint32_t ephemeral_next_ = 0;
};

}  // namespace shunt::tcp
