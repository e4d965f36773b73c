// TcpSocket: segment arrival, RFC 9293 §3.10.7.3 (SYN-SENT) and §3.10.7.4 (the ordered
// checks for every other state), hardened by RFC 5961 and RFC 7323 §5 (PAWS).
#include "stack/tcp/tcp_socket.hpp"
#include "stack/tcp/tcp_stack.hpp"

namespace shunt::tcp {

using namespace wire::tcp_flag;

void TcpSocket::on_segment(Segment& seg, Instant now) noexcept {
    process_segment(seg);
    // An immediate ACK this segment called for is owed with this moment's RCV.NXT (it leaves
    // in egress, not from here); delayed ACKs stay with the timer.
    const bool synchronized = state_ == TcpState::established || state_ == TcpState::fin_wait_1 ||
                              state_ == TcpState::fin_wait_2 || state_ == TcpState::close_wait ||
                              state_ == TcpState::closing || state_ == TcpState::last_ack;
    if (ack_now_ && synchronized) owe_ack();
    (void)now;
}

void TcpSocket::owe_ack() noexcept {
    if (owed_count_ < kOwedAcks) {
        owed_acks_[owed_count_++] = rcv_nxt_;
    } else {
        owed_acks_[kOwedAcks - 1] = rcv_nxt_;  // full: the newest stands for the last ones
    }
    last_ack_sent_ = rcv_nxt_;  // the delayed-ACK count restarts as if it had gone
    ack_now_ = false;
    delack_at_.reset();
    touched();
}

void TcpSocket::process_segment(Segment& seg) noexcept {
    last_rx_ = now();
    keepalive_sent_ = 0;
    arm_keepalive();
    if (state_ == TcpState::syn_sent) {
        input_syn_sent(seg);
        touched();
        return notify();
    }
    if (state_ == TcpState::closed || state_ == TcpState::time_wait) return;
    // RFC 7323 §5.3 R1: PAWS comes before the sequence number check.
    if (paws_reject(seg)) {
        cx_.count_drop(DropReason::paws_rejected);
        if (!seg.has(rst)) invalid_ack(seg);
        return;
    }
    if (!check_sequence(seg)) return;                                  // first
    if (seg.has(rst)) return check_rst(seg) ? notify() : void();       // second
    if (seg.has(syn) && !check_syn()) return notify();                 // fourth
    if (!seg.has(ack)) return cx_.count_drop(DropReason::no_ack_bit);  // fifth
    if (!check_ack_field(seg)) return notify();
    // RFC 7323 §5.3 R3 records TS.Recent once the segment is in the window; only a segment
    // that also passed the ACK check may set it, because a dropped one (RFC 5961 §5.2: an
    // unacceptable ACK "MUST be discarded") would otherwise leave a blind attacker's TSval
    // behind and PAWS would drop the real peer. Linux too updates it only after its ACK check.
    update_ts_recent(seg);
    process_text(seg);  // seventh (sixth, URG, is not supported: RFC 6093 inline data)
    if (seg.has(fin)) process_fin(seg);  // eighth
    if (state_ == TcpState::closed || state_ == TcpState::time_wait) return notify();
    touched();  // egress sends the ACK and whatever the ACK let go
    notify();
}

// RFC 9293 §3.10.7.3.
void TcpSocket::input_syn_sent(Segment& seg) noexcept {
    if (seg.has(ack) && (seg.ack <= iss_ || seg.ack > snd_max_)) {
        cx_.count_drop(DropReason::ack_invalid);
        if (!seg.has(rst)) send_rst(seg.ack);
        return;
    }
    if (seg.has(rst)) {
        // RFC 5961 §3.2 / RFC 9293: only an RST acknowledging our SYN is believed.
        if (!seg.has(ack)) return cx_.count_drop(DropReason::rst_invalid);
        cx_.counters.resets_rx++;
        return enter_closed(TcpError::refused);
    }
    if (!seg.has(syn)) return cx_.count_drop(DropReason::no_ack_bit);
    irs_ = seg.seq;
    rcv_nxt_ = seg.seq + 1;
    negotiate(seg.repr);
    rcv_adv_ = rcv_nxt_ + std::min<uint32_t>(options_.recv_buffer, 0xffff);
    if (ts_ok_) {
        ts_recent_ = seg.repr.timestamps->tsval;
        ts_recent_age_ = now();
    }
    snd_wnd_ = max_snd_wnd_ = seg.repr.window;  // a SYN's window is never scaled
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    if (!seg.has(ack)) {
        // Simultaneous open (RFC 9293 §3.5 figure 7): SYN-RECEIVED, answer with SYN,ACK.
        state_ = TcpState::syn_received;
        queue_syn();
        return restart_rto();
    }
    snd_una_ = seg.ack;
    take_rtt_sample(seg);
    after_handshake_rto();
    rto_at_.reset();
    enter_established();
    ack_now_ = true;
    seg.seq += 1;  // the SYN is consumed; what follows is text
    seg.repr.flags = static_cast<uint8_t>(seg.repr.flags & ~syn);
    process_text(seg);
    if (seg.has(fin)) process_fin(seg);
}

// First check: is the segment (partly) inside the receive window? Trims what is not.
bool TcpSocket::check_sequence(Segment& seg) noexcept {
    const uint32_t wnd = rcv_adv_ > rcv_nxt_ ? static_cast<uint32_t>(rcv_adv_ - rcv_nxt_) : 0;
    // RFC 9293: with a zero window "special allowance should be made to accept valid ACKs,
    // URGs, and RSTs": a segment at RCV.NXT is processed with its text trimmed away.
    // A segment without data exactly at the right edge is acceptable too (Linux's
    // tcp_sequence does the same): a window probe or ACK sent while the window we advertised
    // was being filled must not be dropped once it is (RFC 9293's test would refuse it).
    if (segment_acceptable(seg.seq, seg.seg_len(), rcv_nxt_, wnd) ||
        (wnd == 0 && seg.seq == rcv_nxt_) || (seg.seg_len() == 0 && seg.seq == rcv_nxt_ + wnd)) {
        trim_to_window(seg);
        return true;
    }
    if (state_ == TcpState::syn_received && seg.has(syn) && seg.seq == irs_) {
        if (!seg.has(ack)) {
            // Our SYN,ACK was lost: the peer repeated its SYN. Answered once per
            // invalid_ack_interval, as Linux's tcp_check_req does (a spoofed SYN flood at one
            // half-open tuple must not draw a SYN,ACK each).
            if (!cx_.limits.invalid_ack_allowed(last_invalid_ack_, now())) {
                cx_.count_drop(DropReason::oow_ack_limited);
                return false;
            }
            queue_syn();
            return false;
        }
        // Simultaneous open (RFC 9293 figure 7 line 6): the peer's SYN,ACK repeats the SYN
        // we already took; the rest of it (the ACK) is processed.
        seg.repr.flags = static_cast<uint8_t>(seg.repr.flags & ~syn);
        seg.seq += 1;
        return segment_acceptable(seg.seq, seg.seg_len(), rcv_nxt_, wnd) || seg.seg_len() == 0;
    }
    if (seg.has(rst)) {
        cx_.count_drop(DropReason::rst_invalid);  // RFC 5961 §3.2: silently
        return false;
    }
    // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply
    // (unless the RST bit is set)".
    if (seg.seq + seg.seg_len() <= rcv_nxt_) {
        cx_.counters.dup_segments++;
    }
    cx_.count_drop(DropReason::out_of_window);
    invalid_ack(seg);
    return false;
}

// RFC 6298 (5.7): after a retransmitted SYN (or SYN,ACK) the RTO is re-initialized to 3 s
// when data transmission begins, unless a measurement exists.
void TcpSocket::after_handshake_rto() noexcept {
    if (retries_ > 0) {
        rto_.restart_after_syn_timeout();
    } else {
        rto_.clear_backoff();
    }
    retries_ = 0;
}

// Cuts the parts of an acceptable segment that lie before RCV.NXT (already received) or
// beyond the window's right edge (RFC 9293 §3.10.7.4: "segments with higher beginning
// sequence numbers may be held", the rest trimmed).
void TcpSocket::trim_to_window(Segment& seg) noexcept {
    if (seg.seq < rcv_nxt_) {
        uint32_t cut = static_cast<uint32_t>(rcv_nxt_ - seg.seq);
        if (seg.has(syn)) {
            seg.repr.flags = static_cast<uint8_t>(seg.repr.flags & ~syn);
            seg.seq += 1;
            cut -= 1;
        }
        const uint32_t from_text = std::min(cut, seg.payload_len);
        if (from_text > 0) {
            chain_trim_front(seg.payload, from_text);
            seg.payload_len -= from_text;
            seg.seq += from_text;
            cx_.counters.dup_segments++;
            ack_now_ = true;  // RFC 5681 §4.2: duplicate data is acknowledged at once
        }
        if (cut > from_text) seg.repr.flags = static_cast<uint8_t>(seg.repr.flags & ~fin);
    }
    const SeqNum right = max(rcv_adv_, rcv_nxt_);
    if (seg.seq + seg.payload_len > right) {
        const auto keep = static_cast<uint32_t>(right - seg.seq);
        chain_trim_to(seg.payload, keep);
        seg.payload_len = keep;
        seg.repr.flags = static_cast<uint8_t>(seg.repr.flags & ~fin);
        ack_now_ = true;
    }
    seg.repr.payload_len = static_cast<uint16_t>(seg.payload_len);
}

// Second check with RFC 5961 §3.2: only an RST at exactly RCV.NXT resets; one elsewhere in
// the window draws a challenge ACK. Returns true if the connection was reset.
bool TcpSocket::check_rst(const Segment& seg) noexcept {
    if (seg.seq == rcv_nxt_) {
        on_reset_received();
        return true;
    }
    cx_.count_drop(DropReason::rst_challenged);
    challenge_ack();
    return false;
}

// Fourth check. RFC 9293: SYN-RECEIVED of a passive open returns to LISTEN; otherwise
// RFC 5961 §4.2: a challenge ACK, whatever the sequence number. Returns false (drop) always
// except when the connection continues.
bool TcpSocket::check_syn() noexcept {
    if (state_ == TcpState::syn_received && passive_) {
        enter_closed(TcpError::none);
        return false;
    }
    cx_.count_drop(DropReason::syn_challenged);
    challenge_ack();
    return false;
}

// RFC 5961 §7: a challenge ACK goes out only within the connection's invalid-ACK interval and
// the stack-wide challenge-ACK budget (Linux tcp_send_challenge_ack checks them in this order,
// so a connection at its own limit does not spend the shared budget).
void TcpSocket::challenge_ack() noexcept {
    if (!cx_.limits.invalid_ack_allowed(last_invalid_ack_, now()) ||
        !cx_.limits.challenge_allowed(now())) {
        return cx_.count_drop(DropReason::challenge_limited);
    }
    cx_.counters.challenge_acks++;
    ack_soon();
}

// RFC 9293 §3.10.7.4 first check: an unacceptable segment is answered with an ACK. One
// without data (or with SYN) is limited to one such ACK per invalid_ack_interval, as in
// Linux's tcp_oow_rate_limited: two ends that disagree about the window would otherwise ACK
// each other forever, and a spoofer could make us ACK at its own rate. Data segments are
// exempt: an old retransmission must be acknowledged for the peer's recovery to end.
//
// A zero-window probe (RFC 9293 §3.8.6.1; Linux sends SEG.SEQ = RCV.NXT - 1 without data) is
// such a segment too, but while the last window we advertised was zero our reply is how the
// peer learns the window opened: limiting it would leave the peer to its persist backoff
// (up to minutes) whenever the update we sent on opening was lost.
void TcpSocket::invalid_ack(const Segment& seg) noexcept {
    if ((seg.payload_len == 0 || seg.has(syn)) && !advertised_zero_ &&
        !cx_.limits.invalid_ack_allowed(last_invalid_ack_, now())) {
        return cx_.count_drop(DropReason::oow_ack_limited);
    }
    ack_soon();
}

// Fifth check. Returns false when processing stops here.
bool TcpSocket::check_ack_field(Segment& seg) noexcept {
    if (state_ == TcpState::syn_received) {
        if (!ack_acceptable(seg.ack, snd_una_, snd_max_)) {
            cx_.count_drop(DropReason::ack_invalid);
            send_rst(seg.ack);  // <SEQ=SEG.ACK><CTL=RST>
            return false;
        }
        snd_una_ = seg.ack;
        if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
        take_rtt_sample(seg);
        after_handshake_rto();
        rto_at_.reset();
        snd_wnd_ = uint32_t{seg.repr.window} << snd_wscale_;
        max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
        snd_wl1_ = seg.seq;
        snd_wl2_ = seg.ack;
        enter_established();
        if (state_ != TcpState::established) return false;
    }
    // RFC 5961 §5.2: acceptable acks lie in [SND.UNA - MAX.SND.WND, SND.NXT]; anything else
    // is dropped with an ACK (RFC 9293: "If the ACK acks something not yet sent ... send an
    // ACK, drop the segment").
    if (!seq_in_range(seg.ack, snd_una_ - max_snd_wnd_, snd_max_)) {
        cx_.count_drop(DropReason::ack_invalid);
        challenge_ack();
        return false;
    }
    process_ack(seg);
    switch (state_) {
        case TcpState::fin_wait_1:
            if (fin_acked()) {
                state_ = TcpState::fin_wait_2;
                if (!app_owned_) arm(deadline_at_, now() + cx_.config.fin_wait_2_timeout);
            }
            return true;
        case TcpState::closing:
            if (fin_acked()) {
                enter_time_wait();
                return false;
            }
            return true;
        case TcpState::last_ack:
            if (fin_acked()) {
                enter_closed(TcpError::none);
                return false;
            }
            return true;
        default:
            return true;
    }
}

// Seventh check: text into the receive queue, in order or held out of order.
void TcpSocket::process_text(Segment& seg) noexcept {
    if (seg.has(fin) && seg.seq + seg.payload_len > rcv_nxt_) {
        ooo_fin_ = seg.seq + seg.payload_len;  // a FIN beyond a hole: remember where it is
    }
    if (seg.payload_len == 0 || !can_receive_data()) return;
    rcv_mss_ = std::max(rcv_mss_, seg.payload_len);
    if (seg.seq == rcv_nxt_) {
        if (!admit_in_order(seg)) {
            cx_.count_drop(DropReason::rx_budget);
            ack_now_ = true;  // the peer learns where we are; it retransmits from there
            return;
        }
        const bool had_ooo = rx_.ooo_count() > 0;
        rcv_nxt_ += seg.payload_len;
        rx_.push_in_order(std::move(seg.payload));
        rcv_nxt_ = rx_.drain_ooo(rcv_nxt_);
        // RFC 5681 §4.2: an ACK at once when a segment fills (part of) a gap.
        if (had_ooo) ack_now_ = true;
        on_data_queued();
        if (ooo_fin_ && *ooo_fin_ == rcv_nxt_) accept_fin();
        return;
    }
    if (!admit_ooo(seg)) {
        cx_.count_drop(DropReason::ooo_budget);
        ack_now_ = true;  // RFC 5681 §4.2: a duplicate ACK all the same
        return;
    }
    switch (rx_.insert_ooo(seg.seq, std::move(seg.payload))) {
        case RecvQueue::OooResult::stored:
            cx_.counters.ooo_segments++;
            break;
        case RecvQueue::OooResult::duplicate:
            cx_.counters.dup_segments++;
            break;
        case RecvQueue::OooResult::limit:
            cx_.count_drop(DropReason::ooo_limit);
            break;
    }
    ack_now_ = true;  // RFC 5681 §4.2: out-of-order data is acknowledged at once
}

// Delayed ACKs (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2): ACK at least every second full-sized
// segment, otherwise within the delayed-ACK time.
// A segment that fills the advertised window is acknowledged at once too: the sender can
// send nothing more until it hears from us.
void TcpSocket::on_data_queued() noexcept {
    if (rcv_nxt_ - last_ack_sent_ >= static_cast<int32_t>(2 * rcv_mss_)) ack_now_ = true;
    if (rcv_nxt_ >= rcv_adv_) ack_now_ = true;
    if (!ack_now_ && !delack_at_) arm(delack_at_, now() + cx_.config.delayed_ack);
}

// Eighth check: the FIN, once everything before it has arrived.
void TcpSocket::process_fin(const Segment& seg) noexcept {
    if (seg.seq + seg.payload_len != rcv_nxt_) return;
    accept_fin();
}

void TcpSocket::accept_fin() noexcept {
    ooo_fin_.reset();
    rcv_nxt_ += 1;
    peer_fin_ = true;
    ack_now_ = true;
    switch (state_) {
        case TcpState::syn_received:
        case TcpState::established:
            state_ = TcpState::close_wait;
            break;
        case TcpState::fin_wait_1:
            if (fin_acked()) {
                queue_final_ack();
                return enter_time_wait();
            }
            state_ = TcpState::closing;
            break;
        case TcpState::fin_wait_2:
            queue_final_ack();
            return enter_time_wait();
        default:
            break;
    }
}

}  // namespace shunt::tcp
