// TcpSocket timers: retransmission (RFC 6298), persist (RFC 9293 §3.8.6.1, RFC 1122
// §4.2.2.17), delayed ACK (RFC 9293 §3.8.6.3), keep-alive (RFC 1122 §4.2.3.6), and the
// connect / orphaned FIN-WAIT-2 deadlines.
#include "stack/tcp/tcp_socket.hpp"
#include "stack/tcp/tcp_stack.hpp"

namespace shunt::tcp {

namespace {
void consider(std::optional<Instant>& earliest, const std::optional<Instant>& t) {
    if (t && (!earliest || *t < *earliest)) earliest = t;
}
}  // namespace

std::optional<Instant> TcpSocket::next_deadline() const noexcept {
    std::optional<Instant> t;
    consider(t, rto_at_);
    consider(t, delack_at_);
    consider(t, persist_at_);
    consider(t, keepalive_at_);
    consider(t, deadline_at_);
    return t;
}

void TcpSocket::on_timers(Instant now) noexcept {
    if (state_ == TcpState::closed || state_ == TcpState::time_wait) return;
    const TcpState before = state_;
    bool fired = false;
    if (deadline_at_ && *deadline_at_ <= now) {
        deadline_at_.reset();
        cx_.counters.timeouts++;
        const bool handshake = state_ == TcpState::syn_sent || state_ == TcpState::syn_received;
        enter_closed(handshake && !passive_ ? TcpError::connect_timeout : TcpError::none);
        return notify();
    }
    if (rto_at_ && *rto_at_ <= now) {
        fired = true;
        on_rto_expired();
    }
    if (persist_at_ && *persist_at_ <= now && state_ != TcpState::closed) {
        fired = true;
        on_persist_expired();
    }
    if (delack_at_ && *delack_at_ <= now && state_ != TcpState::closed) {
        fired = true;
        delack_at_.reset();
        ack_soon();
    }
    if (keepalive_at_ && *keepalive_at_ <= now && state_ != TcpState::closed) {
        fired = true;
        on_keepalive_expired();
    }
    if (fired || state_ != before) notify();
}

void TcpSocket::restart_rto() noexcept {
    arm(rto_at_, now() + rto_.rto());
}

// Only arming needs the queue: a timer that stops or moves later leaves the entry as a lower
// bound, re-keyed when it comes due (TcpStack::on_timers).
void TcpSocket::arm(std::optional<Instant>& timer, Instant at) noexcept {
    timer = at;
    cx_.timers.arm_by(timer_node_, at);
}

// CLOSED and TIME-WAIT: no timer runs any more, so the connection leaves the queue.
void TcpSocket::clear_timers() noexcept {
    rto_at_.reset();
    delack_at_.reset();
    persist_at_.reset();
    keepalive_at_.reset();
    deadline_at_.reset();
    cx_.timers.remove(timer_node_);
}

// RFC 6298 §5.4-5.7, RFC 5681 (4), RFC 6582 §4, RFC 6675 §5.1.
void TcpSocket::on_rto_expired() noexcept {
    rto_at_.reset();
    if (snd_una_ == snd_max_) return;  // nothing outstanding any more
    retries_++;
    cx_.counters.rto_expirations++;
    const bool handshake = state_ == TcpState::syn_sent || state_ == TcpState::syn_received;
    const uint32_t limit = handshake ? cx_.config.max_syn_retries : cx_.config.max_retries;
    if (retries_ > limit) {
        cx_.counters.timeouts++;
        return enter_closed(handshake && passive_ ? TcpError::none : TcpError::timed_out);
    }
    rto_.backoff();  // (5.5)
    if (handshake) {
        cx_.counters.retransmits++;
        queue_syn();
        return restart_rto();
    }
    if (retries_ == 1) {
        cc_->on_rto(flight_size(), now());
    } else {
        cc_->on_repeated_rto(now());
    }
    in_recovery_ = false;
    inflation_ = 0;
    dupacks_ = 0;
    limited_sent_ = 0;
    limited_pending_ = 0;
    rexmit_pending_ = false;  // go-back-N below resends from SND.UNA anyway
    recover_ = snd_max_ - 1;  // RFC 6582 §4: no fast retransmit for this window's losses
    scoreboard_.reset();      // RFC 6675 §5.1: SACK information is not trusted after an RTO
    rtt_timing_ = false;
    // Go back to SND.UNA: retransmit the earliest unacknowledged segment (5.4) and resend
    // the rest in slow start as acknowledgments return.
    snd_nxt_ = snd_una_;
    restart_rto();  // (5.6)
    touched();      // egress retransmits from SND.UNA
}

// Zero window: probe with one byte of new data (RFC 9293 §3.8.6.1 "the sending TCP peer
// must regularly transmit at least one octet of new data"), backing off like the RTO. A
// zero window is no reason to give up (RFC 1122 §4.2.2.17), so retries are not counted.
void TcpSocket::on_persist_expired() noexcept {
    persist_at_.reset();
    if (snd_wnd_ != 0) return;
    cx_.counters.window_probes++;
    persist_backoff_ = std::min<uint32_t>(persist_backoff_ + 1, 16);
    probe_pending_ = true;  // egress sends it (send_window_probe), then re-arms persist
    touched();
}

void TcpSocket::send_window_probe() noexcept {
    if (snd_wnd_ != 0) return;
    if (snd_nxt_ == snd_una_ && snd_nxt_ < data_end()) {
        const uint32_t n = transmit(snd_nxt_, 1);
        snd_nxt_ += n;
        snd_max_ = max(snd_max_, snd_nxt_);
    } else if (snd_nxt_ != snd_una_) {
        transmit(snd_una_, 1);
    } else if (fin_queued_ && !fin_sent()) {
        send_fin_segment();
    }
}

// The persist timer runs while the peer's window is zero and we have something to send;
// the retransmission timer does not (the probe stands in for it).
void TcpSocket::update_persist() noexcept {
    const bool pending = snd_nxt_ < data_end() || (fin_queued_ && !fin_sent());
    const bool probing = snd_wnd_ == 0 && pending && flight_size() <= 1;
    if (!probing) {
        persist_at_.reset();
        persist_backoff_ = 0;
        return;
    }
    stop_rto();
    if (!persist_at_) {
        const Duration base = rto_.rto();
        Duration d = base * (int64_t{1} << persist_backoff_);
        d = std::min(d, rto_.config().max);
        arm(persist_at_, now() + d);
    }
}

void TcpSocket::arm_keepalive() noexcept {
    const bool open = state_ == TcpState::established || state_ == TcpState::close_wait;
    if (!options_.keepalive || !open) {
        keepalive_at_.reset();
        return;
    }
    arm(keepalive_at_, last_rx_ + options_.keepalive_idle +
                           options_.keepalive_interval * int64_t{keepalive_sent_});
}

void TcpSocket::on_keepalive_expired() noexcept {
    if (snd_una_ != snd_max_) {  // data in flight: the retransmission timer watches the peer
        arm(keepalive_at_, now() + options_.keepalive_interval);
        return;
    }
    if (keepalive_sent_ >= options_.keepalive_probes) {
        cx_.counters.timeouts++;
        return enter_closed(TcpError::keepalive);
    }
    send_keepalive_probe();
    keepalive_sent_++;
    arm(keepalive_at_, now() + options_.keepalive_interval);
}

}  // namespace shunt::tcp
