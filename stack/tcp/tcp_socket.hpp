// One TCP connection: its TCB (RFC 9293 §3.3.1) and the application's handle to it.
//
// The work is split by concern across files: tcp_input.cpp (segment arrival, RFC 9293
// §3.10.7), tcp_ack.cpp (the ACK check: send queue, RTT, congestion and loss recovery),
// tcp_output.cpp (segments out), tcp_options.cpp (MSS/WS/TS/SACK negotiation, PAWS),
// tcp_timers.cpp, tcp_api.cpp (send/recv/close). Nothing here allocates after setup.
#pragma once

#include "base/probes.hpp"
#include "packet/packet_buf.hpp"
#include "packet/packet_chain.hpp"
#include "stack/iface/endpoint.hpp"
#include "stack/tcp/congestion.hpp"
#include "stack/tcp/recv_queue.hpp"
#include "stack/tcp/rto.hpp"
#include "stack/tcp/sack_scoreboard.hpp"
#include "stack/tcp/send_queue.hpp"
#include "stack/tcp/seq.hpp"
#include "stack/tcp/tcp_context.hpp"
#include "stack/tcp/tcp_types.hpp"
#include "stack/tcp/timer_heap.hpp"
#include "stack/wire/tcp.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace shunt::tcp {

// A socket's state: every assignment fires sdt_shunt:tcp_state (probe::ProbedState) and moves
// the socket from its old state's count to the new one's in TcpStateCounts. Construction
// counts the socket in its first state, destruction takes it out: the counts are exact at
// every moment without a walk of the connections.
class StateCell {
  public:
    StateCell(TcpStateCounts& counts, TcpState s) noexcept : counts_(counts), state_(s) {
        counts_.by_state[index(s)]++;
    }
    StateCell(const StateCell&) = delete;
    StateCell& operator=(const StateCell&) = delete;
    ~StateCell() { counts_.by_state[index(state_)]--; }

    StateCell& operator=(TcpState next) noexcept {
        counts_.by_state[index(state_)]--;
        counts_.by_state[index(next)]++;
        state_ = next;
        return *this;
    }
    operator TcpState() const noexcept { return state_; }  // NOLINT: implicit by design
    uintptr_t id() const noexcept { return state_.id(); }

  private:
    static size_t index(TcpState s) noexcept { return static_cast<size_t>(s); }
    TcpStateCounts& counts_;
    probe::ProbedState<TcpState> state_;
};

class TcpStack;
class TcpListener;
class TcpSocket;

// A parsed, checksummed arriving segment; payload is trimmed to the TCP payload.
struct Segment {
    wire::TcpRepr repr;
    SeqNum seq;
    SeqNum ack;
    uint32_t payload_len = 0;
    PacketChain payload;
    bool has(uint8_t flag) const noexcept { return (repr.flags & flag) != 0; }
    uint32_t seg_len() const noexcept {
        return payload_len + (has(wire::tcp_flag::syn) ? 1u : 0u) +
               (has(wire::tcp_flag::fin) ? 1u : 0u);
    }
};

enum class TcpSendStatus : uint8_t {
    queued,
    would_block,  // the send buffer (bytes or buffer slots) is full: wait for writable
    not_open,     // no more sending: not connected, or shut down for writing
    bad_buffer,   // empty, or too little headroom for the headers (kSendHeadroom)
};

using TcpCallback = void (*)(void* context, TcpSocket& socket, uint32_t events);

class TcpSocket {
  public:
    TcpSocket(TcpStack& stack, Endpoint local, Endpoint remote, const SocketOptions& options);
    TcpSocket(const TcpSocket&) = delete;
    TcpSocket& operator=(const TcpSocket&) = delete;
    ~TcpSocket();

    // ---- application API (tcp_api.cpp) ----
    TcpState state() const noexcept { return state_; }
    TcpError error() const noexcept { return error_; }
    uint32_t events() const noexcept;
    Endpoint local() const noexcept { return local_; }
    Endpoint remote() const noexcept { return remote_; }

    // Zero copy: the buffer's data is the payload; the socket keeps it until acknowledged and
    // writes headers into its headroom. A buffer larger than the MSS is sent as an MSS-sized
    // zero-copy segment and the rest by copy_ (counted).
    TcpSendStatus send(Packet buf) noexcept;
    // Bulk: queues buffers from the front of the chain while they fit; returns how many.
    size_t send(PacketChain& bufs) noexcept;
    // Copies bytes into pool buffers (appending to the last unsent one when it has room).
    size_t copy_send(std::span<const uint8_t> bytes) noexcept;
    // Zero copy: whole in-order buffers, trimmed to payload: the first one waiting, then more
    // while the total stays within max_bytes. Dropping the chain releases them. A window
    // update, if the read opened the window enough, goes out at once.
    PacketChain recv(size_t max_bytes = SIZE_MAX) noexcept;
    size_t copy_recv(std::span<uint8_t> out) noexcept;
    uint64_t readable_bytes() const noexcept { return rx_.readable_bytes(); }
    uint64_t send_space() const noexcept;
    // Bytes in the send queue: sent and not yet acknowledged, or not sent yet.
    uint64_t send_queued() const noexcept;

    // RFC 9293 §3.10.4: FIN after the queued data; the stack frees the socket when the
    // connection is done, so the handle must not be used after close(). Unread data makes it
    // an abort (RST, RFC 9293 §3.10.4 / RFC 2525 §2.17).
    void close() noexcept;
    // Half-close: FIN after the queued data; receiving continues.
    void shutdown_write() noexcept;
    // RST now, socket CLOSED with TcpError::aborted.
    void abort() noexcept;

    void set_nodelay(bool on) noexcept;
    void set_keepalive(bool on) noexcept;
    // The controller is made when the handshake completes; false after that.
    bool set_congestion(CongestionAlgorithm a) noexcept;
    // The byte limit of the send queue (its buffer slots stay as allocated).
    void set_send_buffer(uint32_t bytes) noexcept { options_.send_buffer = bytes; }
    void set_callback(TcpCallback cb, void* context) noexcept {
        callback_ = cb;
        callback_ctx_ = context;
    }
    const SocketOptions& options() const noexcept { return options_; }

    // ---- introspection for tests and stats ----
    SeqNum snd_una() const noexcept { return snd_una_; }
    SeqNum snd_nxt() const noexcept { return snd_nxt_; }
    SeqNum rcv_nxt() const noexcept { return rcv_nxt_; }
    uint32_t snd_wnd() const noexcept { return snd_wnd_; }
    uint32_t smss() const noexcept { return smss_; }
    uint32_t cwnd() const noexcept;
    uint32_t ssthresh() const noexcept { return cc_ ? cc_->ssthresh() : UINT32_MAX; }
    bool in_recovery() const noexcept { return in_recovery_; }
    const RtoEstimator& rto() const noexcept { return rto_; }
    bool sack_enabled() const noexcept { return sack_ok_; }
    bool timestamps_enabled() const noexcept { return ts_ok_; }
    uint8_t snd_wscale() const noexcept { return snd_wscale_; }
    uint8_t rcv_wscale() const noexcept { return rcv_wscale_; }
    uint32_t bytes_in_flight() const noexcept { return static_cast<uint32_t>(snd_nxt_ - snd_una_); }
    // Buffers held: receive (in order + out of order), out of order alone, send queue.
    size_t rx_buffers() const noexcept { return rx_.buffers(); }
    size_t ooo_buffers() const noexcept { return rx_.ooo_buffers(); }
    size_t tx_buffers() const noexcept { return tx_.size(); }

  private:
    friend class TcpStack;
    friend class TcpListener;

    // ---- setup (tcp_stack.cpp) ----
    void start_active(SeqNum iss, Instant now) noexcept;
    void start_passive(const Segment& syn, SeqNum iss, Instant now) noexcept;
    void establish_from_cookie(const Segment& ack, SeqNum iss, uint16_t mss,
                               std::optional<uint8_t> peer_wscale, bool sack, Instant now) noexcept;

    // ---- input (tcp_input.cpp) ----
    void on_segment(Segment& seg, Instant now) noexcept;
    void process_segment(Segment& seg) noexcept;
    void owe_ack() noexcept;
    bool send_owed_acks() noexcept;
    void input_syn_sent(Segment& seg) noexcept;
    bool check_sequence(Segment& seg) noexcept;
    bool check_rst(const Segment& seg) noexcept;
    bool check_syn() noexcept;
    bool check_ack_field(Segment& seg) noexcept;
    void process_text(Segment& seg) noexcept;
    void process_fin(const Segment& seg) noexcept;
    void trim_to_window(Segment& seg) noexcept;
    void on_data_queued() noexcept;
    void accept_fin() noexcept;
    void enter_established() noexcept;
    void after_handshake_rto() noexcept;
    void enter_time_wait() noexcept;
    void enter_closed(TcpError why) noexcept;
    void on_reset_received() noexcept;

    // ---- ACK processing, loss recovery (tcp_ack.cpp) ----
    void process_ack(const Segment& seg) noexcept;
    void update_send_window(const Segment& seg) noexcept;
    void on_new_ack(const Segment& seg, uint32_t acked) noexcept;
    void on_duplicate_ack(const Segment& seg) noexcept;
    bool is_duplicate_ack(const Segment& seg, uint32_t old_wnd) const noexcept;
    void take_rtt_sample(const Segment& seg) noexcept;
    void enter_recovery() noexcept;
    uint32_t dup_threshold() const noexcept;
    void limited_transmit() noexcept;  // asks egress for one (limited_transmit_now)
    void newreno_partial_ack(uint32_t acked) noexcept;
    void sack_recovery_send() noexcept;
    void rescue_retransmission() noexcept;
    void our_fin_acked() noexcept;
    uint32_t flight_size() const noexcept;

    // ---- options (tcp_options.cpp) ----
    void offer_syn_options(wire::TcpRepr& r) const noexcept;
    void negotiate(const wire::TcpRepr& peer_syn) noexcept;
    bool paws_reject(const Segment& seg) const noexcept;
    void update_ts_recent(const Segment& seg) noexcept;
    void add_segment_options(wire::TcpRepr& r) const noexcept;
    uint32_t ts_now() const noexcept;
    uint16_t mss_to_advertise() const noexcept;
    void init_congestion() noexcept;

    // ---- output (tcp_output.cpp) ----
    // Egress only (TcpStack::egress): sends what the flags below and the queues ask for.
    void output() noexcept;
    // Whether a segment may go now; if not, the socket stays marked for the next poll.
    bool can_emit() noexcept;
    // Arrivals, timers and application calls ask for segments through these; egress sends.
    void ack_soon() noexcept {
        ack_now_ = true;
        touched();
    }
    // RFC 5961 §7 rate limits (stack/tcp/reply_limits.hpp): a challenge ACK, and an ACK
    // for an unacceptable segment, each sent only if the limits allow (else counted).
    void challenge_ack() noexcept;
    void invalid_ack(const Segment& seg) noexcept;
    void queue_syn() noexcept;
    void queue_reply(wire::TcpRepr& r) noexcept;
    void queue_final_ack() noexcept;
    void send_window_probe() noexcept;
    void limited_transmit_now() noexcept;
    bool send_new_data() noexcept;
    bool nagle_holds(uint32_t len) const noexcept;
    uint32_t transmit(SeqNum seq, uint32_t max_len) noexcept;
    SeqNum data_start() const noexcept { return snd_una_ == iss_ ? iss_ + 1 : snd_una_; }
    SeqNum data_end() const noexcept {
        return tx_.empty() ? data_start() : tx_.back().seq + tx_.back().len;
    }
    uint32_t effective_cwnd() const noexcept;
    bool transmit_from_entry(TxEntry& e, uint32_t len, uint8_t extra_flags) noexcept;
    bool copy_segment_out(const TxEntry& e, uint32_t off, uint32_t len,
                          uint8_t extra_flags) noexcept;
    bool send_fin_segment() noexcept;
    void send_syn() noexcept;
    void send_ack() noexcept;
    void send_rst(SeqNum seq) noexcept;
    void send_keepalive_probe() noexcept;
    bool emit_and_send(Packet buf, wire::TcpRepr& r) noexcept;
    wire::TcpRepr make_header(SeqNum seq, uint8_t flags) noexcept;
    uint16_t window_to_advertise() noexcept;
    void maybe_send_window_update() noexcept;
    void on_window_reopened() noexcept;
    SeqNum ack_seq() const noexcept;

    // ---- buffer budget (tcp_budget.cpp; stack/iface/buffer_budget.hpp) ----
    bool admit_in_order(const Segment& seg) noexcept;
    bool admit_ooo(const Segment& seg) noexcept;
    size_t prune_ooo(size_t want, SeqNum keep_below) noexcept;
    // The most the budget lets the receive window offer now (bytes).
    uint32_t budget_window() const noexcept;
    // Holding send buffers at a zero peer window for at least `bound` (a resource manager's
    // candidate, RFC 6429).
    bool stuck_at_zero_window(Instant now, Duration bound) const noexcept;
    void note_send_window() noexcept;

    // ---- timers (tcp_timers.cpp) ----
    std::optional<Instant> next_deadline() const noexcept;
    void on_timers(Instant now) noexcept;
    void on_rto_expired() noexcept;
    void on_persist_expired() noexcept;
    void on_keepalive_expired() noexcept;
    void restart_rto() noexcept;
    void stop_rto() noexcept { rto_at_.reset(); }
    // Sets one of the timers below and tells the stack's timer queue (timer_heap.hpp).
    void arm(std::optional<Instant>& timer, Instant at) noexcept;
    void clear_timers() noexcept;
    void arm_keepalive() noexcept;
    void update_persist() noexcept;

    // Send queue changes, counted stack-wide (TcpConfig::max_send_buffers).
    bool send_buffer_available() const noexcept;
    TcpSendStatus check_send(const PacketBuf* buf) const noexcept;
    void queue_send_buffer(Packet buf) noexcept;
    void release_send_buffers(SeqNum una) noexcept;
    void clear_send_queue() noexcept;

    void notify() noexcept;
    // Marks the socket: the next egress visits it.
    void touched() noexcept;
    Instant now() const noexcept { return cx_.now; }
    bool can_receive_data() const noexcept;
    bool fin_sent() const noexcept { return fin_queued_ && snd_nxt_ == fin_seq_ + 1; }
    bool fin_acked() const noexcept { return fin_queued_ && snd_una_ == fin_seq_ + 1; }

    TcpStack& stack_;  // connection lifetime only (table, TIME-WAIT, listeners)
    TcpContext& cx_;   // everything else the socket needs from its stack
    Endpoint local_;
    Endpoint remote_;
    SocketOptions options_;
    StateCell state_{cx_.states, TcpState::closed};  // fires sdt_shunt:tcp_state, counts
    TcpError error_ = TcpError::none;

    // Ownership: the application holds the handle until close(); a passive socket belongs to
    // its listener until accept().
    bool app_owned_ = true;
    TcpListener* listener_ = nullptr;  // SYN-RECEIVED/accept queue membership (passive opens)
    bool passive_ = false;
    bool in_syn_queue_ = false;  // counted in listener_->syn_queue_
    bool peer_fin_ = false;
    std::optional<SeqNum> ooo_fin_;  // a FIN that arrived beyond a hole

    // Send sequence space (RFC 9293 §3.3.1).
    SeqNum iss_;
    SeqNum snd_una_;
    SeqNum snd_nxt_;
    SeqNum snd_max_;  // highest sequence sent + 1 (snd_nxt goes back after an RTO)
    SeqNum snd_wl1_;
    SeqNum snd_wl2_;
    uint32_t snd_wnd_ = 0;
    uint32_t max_snd_wnd_ = 0;  // RFC 5961 §5 MAX.SND.WND
    bool fin_queued_ = false;   // the application is done sending (close or shutdown)
    SeqNum fin_seq_;            // the FIN's sequence number once fin_queued_
    // Receive sequence space.
    SeqNum irs_;
    SeqNum rcv_nxt_;
    SeqNum rcv_adv_;  // right edge of the window we advertised (never moves left)
    SeqNum last_ack_sent_;

    // Options (RFC 9293 §3.7.1 MSS, RFC 7323, RFC 2018).
    uint32_t smss_ = 536;  // RFC 9293 §3.7.1 default when no MSS option arrives
    uint16_t peer_mss_ = 536;
    uint8_t snd_wscale_ = 0;
    uint8_t rcv_wscale_ = 0;
    bool ws_ok_ = false;
    bool ts_ok_ = false;
    bool sack_ok_ = false;
    uint32_t ts_recent_ = 0;
    uint32_t ts_offset_ = 0;  // beside ts_recent_: no padding before the 8-byte Instant
    Instant ts_recent_age_{};

    SendQueue tx_;
    RecvQueue rx_;

    // RTT and congestion (RFC 6298, RFC 5681, RFC 6582, RFC 6675). Ordered by size so that
    // no padding is left between them: every connection, idle or not, carries these bytes.
    RtoEstimator rto_;
    std::unique_ptr<CongestionControl> cc_;
    SackScoreboard scoreboard_;
    SeqNum rtt_seq_;
    uint32_t dupacks_ = 0;
    Instant rtt_start_{};
    SeqNum recover_;
    SeqNum high_rxt_;
    std::optional<SeqNum> rescue_rxt_;  // RFC 6675 RescueRxt
    bool rtt_timing_ = false;
    bool in_recovery_ = false;
    bool partial_ack_seen_ = false;
    int64_t inflation_ = 0;  // NewReno recovery: RFC 6582 inflation/deflation on top of cwnd
    Instant last_send_{};

    // Receiver ACK policy (RFC 9293 §3.8.6.3, RFC 5681 §4.2).
    bool ack_now_ = false;
    // Segments asked for, sent by the next egress (output()).
    bool syn_pending_ = false;     // SYN or SYN,ACK (first or again)
    bool rexmit_pending_ = false;  // fast retransmit / partial ACK: the segment at SND.UNA
    bool probe_pending_ = false;   // zero-window probe (persist timer)
    uint8_t limited_pending_ = 0;  // RFC 3042 limited transmits asked for by duplicates
    uint8_t owed_count_ = 0;       // entries of owed_acks_ in use (here: it fills padding)
    // ACKs owed by arrivals, one per segment that called for an immediate ACK, each with the
    // RCV.NXT of its moment: egress sends them as the segments came (RFC 5681 §4.2 wants one
    // duplicate ACK per out-of-order segment, and slow start grows per ACK, RFC 3465). Every
    // connection pays for this array, idle or not, so it is small: 8 covers the three
    // duplicates fast retransmit needs and an every-other-segment ACK stream of a 16-frame
    // burst; past it the newest value stands for the rest (a stretch ACK, RFC 5681 §4.2 allows
    // it), as when egress is held back by a full TX ring.
    static constexpr size_t kOwedAcks = 8;
    std::array<SeqNum, kOwedAcks> owed_acks_{};
    uint32_t rcv_mss_ = 536;  // largest segment received (RFC 1122 §4.2.3.2 "full-sized")

    // Timers.
    uint32_t limited_sent_ = 0;  // bytes sent by limited transmit since the last new ACK
    std::optional<Instant> rto_at_;
    std::optional<Instant> delack_at_;
    std::optional<Instant> persist_at_;
    std::optional<Instant> keepalive_at_;
    std::optional<Instant> deadline_at_;  // connect timeout / orphaned FIN-WAIT-2
    TimerNode timer_node_;                // this connection's entry in TcpStack::timers_
    bool flush_queued_ = false;           // in TcpStack::flush_list_
    uint32_t retries_ = 0;
    uint32_t persist_backoff_ = 0;
    uint32_t keepalive_sent_ = 0;
    Instant last_rx_{};
    std::optional<Instant> last_invalid_ack_;   // ReplyLimits::invalid_ack_allowed
    bool advertised_zero_ = false;              // the last segment we sent advertised a zero window
    std::optional<Instant> zero_window_since_;  // the peer's window has been 0 since

    TcpCallback callback_ = nullptr;
    void* callback_ctx_ = nullptr;
};

}  // namespace shunt::tcp
