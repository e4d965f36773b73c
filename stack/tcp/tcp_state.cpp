// TcpSocket: construction, connection setup (RFC 9293 §3.5 three-way handshake), state
// changes and events.
#include "stack/tcp/tcp_socket.hpp"
#include "stack/tcp/tcp_stack.hpp"

namespace shunt::tcp {

std::string_view to_string(TcpState s) noexcept {
    switch (s) {
        case TcpState::closed:
            return "CLOSED";
        case TcpState::listen:
            return "LISTEN";
        case TcpState::syn_sent:
            return "SYN-SENT";
        case TcpState::syn_received:
            return "SYN-RECEIVED";
        case TcpState::established:
            return "ESTABLISHED";
        case TcpState::fin_wait_1:
            return "FIN-WAIT-1";
        case TcpState::fin_wait_2:
            return "FIN-WAIT-2";
        case TcpState::close_wait:
            return "CLOSE-WAIT";
        case TcpState::closing:
            return "CLOSING";
        case TcpState::last_ack:
            return "LAST-ACK";
        case TcpState::time_wait:
            return "TIME-WAIT";
    }
    return "?";
}

namespace {
// Buffer slots in the send queue: enough for send_buffer bytes in 512-byte buffers.
size_t send_slots(const SocketOptions& o) {
    return std::max<size_t>(64, o.send_buffer / 512);
}
}  // namespace

TcpSocket::TcpSocket(TcpStack& stack, Endpoint local, Endpoint remote, const SocketOptions& options)
    : stack_(stack),
      cx_(stack.cx_),
      local_(local),
      remote_(remote),
      options_(options),
      tx_(send_slots(options)),
      rx_(options.ooo_max_segments),
      rto_(stack.config().rto) {
    timer_node_.owner = this;
    rx_.set_shared_counts(&cx_.ooo_buffers, &cx_.counters.rx_coalesced);
}

TcpSocket::~TcpSocket() {
    cx_.send_buffers -= tx_.size();
    cx_.timers.remove(timer_node_);
    if (flush_queued_) cx_.unmark(this);
}

void TcpSocket::start_active(SeqNum iss, Instant now) noexcept {
    iss_ = snd_una_ = snd_nxt_ = snd_max_ = recover_ = iss;
    ts_offset_ = iss.raw();
    state_ = TcpState::syn_sent;
    arm(deadline_at_, now + cx_.config.connect_timeout);
    queue_syn();
    restart_rto();
}

// RFC 9293 §3.10.7.2: "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be
// selected and a SYN segment sent of the form <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>".
void TcpSocket::start_passive(const Segment& syn, SeqNum iss, Instant now) noexcept {
    last_rx_ = now;
    passive_ = true;
    irs_ = syn.seq;
    rcv_nxt_ = syn.seq + 1;
    iss_ = snd_una_ = snd_nxt_ = snd_max_ = recover_ = iss;
    ts_offset_ = iss.raw();
    negotiate(syn.repr);
    if (ts_ok_) {
        ts_recent_ = syn.repr.timestamps->tsval;
        ts_recent_age_ = now;
    }
    rcv_adv_ = rcv_nxt_ + std::min<uint32_t>(options_.recv_buffer, 0xffff);
    snd_wnd_ = max_snd_wnd_ = syn.repr.window;  // never scaled in a SYN (RFC 7323 §2.2)
    snd_wl1_ = syn.seq;
    state_ = TcpState::syn_received;
    arm(deadline_at_, now + cx_.config.connect_timeout);
    queue_syn();
    restart_rto();
}

// The handshake's ACK returned a valid SYN cookie: ESTABLISHED at once, with the options the
// cookie carried (RFC 4987 §3.6).
void TcpSocket::establish_from_cookie(const Segment& ack, SeqNum iss, uint16_t mss,
                                      std::optional<uint8_t> peer_wscale, bool sack,
                                      Instant now) noexcept {
    last_rx_ = now;
    passive_ = true;
    irs_ = ack.seq - 1;
    rcv_nxt_ = ack.seq;
    iss_ = recover_ = iss;
    snd_una_ = snd_nxt_ = snd_max_ = iss + 1;
    ts_offset_ = 0;
    wire::TcpRepr syn;
    syn.mss = mss;
    if (peer_wscale) syn.window_scale = peer_wscale;
    syn.sack_permitted = sack;
    syn.timestamps = ack.repr.timestamps;
    negotiate(syn);
    rcv_wscale_ = 0;  // the cookie SYN-ACK offered shift 0
    if (ts_ok_) {
        ts_recent_ = ack.repr.timestamps->tsval;
        ts_recent_age_ = now;
    }
    last_ack_sent_ = rcv_nxt_;
    snd_wnd_ = max_snd_wnd_ = uint32_t{ack.repr.window} << snd_wscale_;
    snd_wl1_ = ack.seq;
    snd_wl2_ = ack.ack;
    rcv_adv_ = rcv_nxt_ + std::min<uint32_t>(options_.recv_buffer, 0xffff);
    state_ = TcpState::established;
    cx_.counters.established++;
    init_congestion();
    arm_keepalive();
}

void TcpSocket::enter_established() noexcept {
    state_ = TcpState::established;
    cx_.counters.established++;
    deadline_at_.reset();
    init_congestion();
    arm_keepalive();
    if (listener_ != nullptr && in_syn_queue_) {
        listener_->syn_queue_--;
        in_syn_queue_ = false;
        if (!listener_->push_accepted(this)) {
            // The backlog is full: refuse the connection rather than hold it unseen.
            cx_.count_drop(DropReason::accept_queue_full);
            listener_ = nullptr;
            abort();
            return;
        }
    }
}

void TcpSocket::enter_time_wait() noexcept {
    state_ = TcpState::time_wait;
    clear_timers();
    clear_send_queue();
    stack_.to_time_wait(*this);
}

void TcpSocket::enter_closed(TcpError why) noexcept {
    if (why != TcpError::none) {
        error_ = why;
        rx_.clear();
    }
    state_ = TcpState::closed;
    clear_timers();
    clear_send_queue();
    stack_.unlink(*this);
}

// RFC 9293 §3.10.7.4 second check, once RFC 5961 §3.2 found the RST exact.
void TcpSocket::on_reset_received() noexcept {
    cx_.counters.resets_rx++;
    switch (state_) {
        case TcpState::syn_received:
            // A passive open returns to LISTEN: the listener goes on, this child goes away.
            return enter_closed(passive_ ? TcpError::none : TcpError::refused);
        case TcpState::established:
        case TcpState::fin_wait_1:
        case TcpState::fin_wait_2:
        case TcpState::close_wait:
            return enter_closed(TcpError::reset);
        default:
            return enter_closed(TcpError::none);
    }
}

bool TcpSocket::can_receive_data() const noexcept {
    return state_ == TcpState::established || state_ == TcpState::fin_wait_1 ||
           state_ == TcpState::fin_wait_2;
}

uint32_t TcpSocket::events() const noexcept {
    uint32_t ev = 0;
    if (rx_.readable_bytes() > 0 || peer_fin_ || error_ != TcpError::none) {
        ev |= tcp_event::readable;
    }
    const bool can_send = state_ == TcpState::established || state_ == TcpState::close_wait;
    if (can_send && !fin_queued_ && send_space() > 0) ev |= tcp_event::writable;
    switch (state_) {
        case TcpState::closed:
        case TcpState::listen:
        case TcpState::syn_sent:
        case TcpState::syn_received:
            break;
        default:
            ev |= tcp_event::connected;
    }
    if (peer_fin_) ev |= tcp_event::peer_closed;
    if (state_ == TcpState::closed || state_ == TcpState::time_wait) ev |= tcp_event::closed;
    if (error_ != TcpError::none) ev |= tcp_event::error;
    return ev;
}

void TcpSocket::notify() noexcept {
    if (callback_ != nullptr && app_owned_) callback_(callback_ctx_, *this, events());
}

}  // namespace shunt::tcp
