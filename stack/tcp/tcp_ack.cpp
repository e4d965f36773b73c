// TcpSocket: the ACK half of the fifth check (RFC 9293 §3.10.7.4): releasing acknowledged
// buffers, the send window, RTT samples (RFC 6298, Karn; RFC 7323 §4), congestion control
// (RFC 5681) and loss recovery: NewReno (RFC 5681 §3.2, RFC 6582) without SACK, RFC 6675
// with it.
#include "stack/tcp/tcp_socket.hpp"
#include "stack/tcp/tcp_stack.hpp"

namespace shunt::tcp {

uint32_t TcpSocket::flight_size() const noexcept {
    return static_cast<uint32_t>(snd_max_ - snd_una_);
}

uint32_t TcpSocket::effective_cwnd() const noexcept {
    if (!cc_) return smss_;
    const int64_t w = int64_t{cc_->cwnd()} + inflation_;
    return static_cast<uint32_t>(std::clamp<int64_t>(w, smss_, UINT32_MAX));
}

uint32_t TcpSocket::cwnd() const noexcept {
    return effective_cwnd();
}

void TcpSocket::process_ack(const Segment& seg) noexcept {
    const uint32_t old_wnd = snd_wnd_;
    const uint32_t sacked_before = scoreboard_.sacked_bytes();
    if (sack_ok_ && seg.repr.sack_count > 0) {
        scoreboard_.update(max(snd_una_, seg.ack), snd_max_,
                           std::span(seg.repr.sack.data(), seg.repr.sack_count));
    }
    if (seg.ack > snd_una_) {
        on_new_ack(seg, static_cast<uint32_t>(seg.ack - snd_una_));
    } else if (is_duplicate_ack(seg, old_wnd) ||
               (sack_ok_ && seg.ack == snd_una_ && scoreboard_.sacked_bytes() > sacked_before &&
                flight_size() > 0)) {
        on_duplicate_ack(seg);
    }
    update_send_window(seg);
    if (old_wnd == 0 && snd_wnd_ != 0) on_window_reopened();
    update_persist();
}

// The peer's window opened without acknowledging our zero-window probe: the byte was outside
// the window it then offered, so it was dropped. Send it again as part of the first segment
// rather than leave a one-byte hole for loss recovery to find (BSD pulls SND.NXT back the
// same way when the window is zero).
void TcpSocket::on_window_reopened() noexcept {
    if (in_recovery_ || snd_nxt_ == snd_una_ || flight_size() > 1) return;
    snd_nxt_ = snd_una_;
    touched();
}

// RFC 5681 §2 DUPLICATE ACKNOWLEDGMENT: outstanding data, no data or SYN/FIN carried, the
// same acknowledgment number and the same window as before. Not at a zero window: the peer
// then answers each window probe with exactly such an ACK, which says nothing about loss (seen
// as a spurious fast retransmit of the probe byte after three probes).
bool TcpSocket::is_duplicate_ack(const Segment& seg, uint32_t old_wnd) const noexcept {
    return old_wnd != 0 && flight_size() > 0 && seg.payload_len == 0 &&
           !seg.has(wire::tcp_flag::syn | wire::tcp_flag::fin) && seg.ack == snd_una_ &&
           (uint32_t{seg.repr.window} << snd_wscale_) == old_wnd;
}

// RFC 9293 §3.10.7.4: "If SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK),
// set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
void TcpSocket::update_send_window(const Segment& seg) noexcept {
    if (snd_wl1_ < seg.seq || (snd_wl1_ == seg.seq && snd_wl2_ <= seg.ack)) {
        snd_wnd_ = uint32_t{seg.repr.window} << snd_wscale_;
        snd_wl1_ = seg.seq;
        snd_wl2_ = seg.ack;
        max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
        note_send_window();
    }
}

void TcpSocket::on_new_ack(const Segment& seg, uint32_t acked) noexcept {
    const uint32_t flight_before = flight_size();
    limited_sent_ = 0;  // a new ACK ends a run of duplicates
    limited_pending_ = 0;
    release_send_buffers(seg.ack);
    snd_una_ = seg.ack;
    if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
    take_rtt_sample(seg);  // clears the RTO backoff when it yields a sample (RFC 6298 §5)
    retries_ = 0;
    if (in_recovery_ && seg.ack > recover_) {
        // Full acknowledgment: RFC 6582 §3.2 step 3 / RFC 6675 §5 (A): recovery ends.
        in_recovery_ = false;
        inflation_ = 0;
        dupacks_ = 0;
        rexmit_pending_ = false;  // everything is acknowledged up to the recovery point
        cc_->on_recovery_end(now());
    } else if (in_recovery_) {
        if (!sack_ok_) newreno_partial_ack(acked);
    } else {
        dupacks_ = 0;
        cc_->on_ack(AckSample{acked, flight_before, now(), rto_.srtt()});
    }
    // RFC 6298 (5.2)/(5.3): stop the timer when all is acknowledged, else restart it (in
    // NewReno recovery only on the first partial ACK, RFC 6582 §3.2 step 5).
    if (snd_una_ == snd_max_) {
        stop_rto();
    } else if (!in_recovery_ || sack_ok_) {
        restart_rto();
    }
    if (in_recovery_ && sack_ok_) touched();  // egress sends what the pipe allows
}

void TcpSocket::on_duplicate_ack(const Segment& seg) noexcept {
    (void)seg;
    dupacks_++;
    if (in_recovery_) {
        if (sack_ok_) return touched();  // egress: RFC 6675 §5 (C) sends what pipe allows
        // RFC 5681 §3.2 step 4: each further duplicate ACK inflates cwnd by one SMSS.
        inflation_ += smss_;
        return;
    }
    // RFC 6582 §3.2 step 2 / RFC 6675 §5 (C): enter recovery after DupThresh duplicates (or
    // when SACK shows the first segment lost), unless this loss belongs to the window that
    // the last recovery already covered.
    const bool lost =
        dupacks_ >= dup_threshold() || (sack_ok_ && scoreboard_.is_lost(snd_una_, smss_));
    if (snd_una_ <= recover_) return;
    if (lost) return enter_recovery();
    if (options_.limited_transmit && dupacks_ < SackScoreboard::kDupThresh) limited_transmit();
}

void TcpSocket::limited_transmit() noexcept {
    limited_pending_++;
    touched();
}

// RFC 5827 §3.1 (segment-based early retransmit): with fewer than four segments outstanding
// and no new segment the window lets us send, three duplicates cannot come; the threshold is
// then one less than the segments outstanding. Otherwise DupThresh (RFC 5681, RFC 6675).
uint32_t TcpSocket::dup_threshold() const noexcept {
    if (!options_.early_retransmit) return SackScoreboard::kDupThresh;
    const uint32_t outstanding = (flight_size() + smss_ - 1) / smss_;
    if (outstanding >= SackScoreboard::kDupThresh + 1 || outstanding < 2) {
        return SackScoreboard::kDupThresh;
    }
    const bool can_send_new =
        snd_nxt_ == snd_max_ && snd_nxt_ < data_end() && snd_nxt_ < snd_una_ + snd_wnd_;
    return can_send_new ? SackScoreboard::kDupThresh : outstanding - 1;
}

// RFC 3042 limited transmit: on each of the first two duplicate ACKs, one segment of data never
// sent before, if the peer's window has room and FlightSize stays within cwnd + 2 * SMSS; cwnd
// itself is unchanged. The extra segments draw the duplicates that fast retransmit needs when
// the window is small (a few segments, as under heavy loss).
void TcpSocket::limited_transmit_now() noexcept {
    if (snd_nxt_ != snd_max_ || snd_nxt_ >= data_end()) return;  // new data only
    const TxEntry& e = tx_.at(tx_.find(snd_nxt_));
    const uint32_t len = std::min(smss_, static_cast<uint32_t>(e.seq + e.len - snd_nxt_));
    if (snd_nxt_ + len > snd_una_ + snd_wnd_) return;
    if (flight_size() + len > cc_->cwnd() + 2 * smss_) return;
    if (nagle_holds(len)) return;
    const uint32_t n = transmit(snd_nxt_, len);
    snd_nxt_ += n;
    snd_max_ = max(snd_max_, snd_nxt_);
    limited_sent_ += n;
}

void TcpSocket::enter_recovery() noexcept {
    cx_.counters.fast_retransmits++;
    in_recovery_ = true;
    partial_ack_seen_ = false;
    recover_ = snd_max_ - 1;  // "the highest sequence number transmitted" (RFC 6582 §3.2)
    // RFC 5681 §3.2 step 2: data sent by limited transmit is not part of this FlightSize.
    cc_->on_congestion_event(flight_size() - std::min(limited_sent_, flight_size()), now());
    limited_sent_ = 0;
    limited_pending_ = 0;
    rtt_timing_ = false;  // Karn: the timed segment may be the lost one
    high_rxt_ = snd_una_;
    rescue_rxt_.reset();
    if (!sack_ok_) {
        // RFC 5681 §3.2 steps 2-3: retransmit the lost segment, cwnd = ssthresh + 3*SMSS.
        inflation_ = 3 * int64_t{smss_};
    }
    // RFC 6675 §5 (C.3): retransmit the first segment presumed lost, then what pipe allows;
    // egress does both (output()).
    rexmit_pending_ = true;
    touched();
}

// RFC 6582 §3.2 step 5: retransmit the first unacknowledged segment, deflate the window by
// the amount acknowledged and add back one SMSS when at least one SMSS was acknowledged.
void TcpSocket::newreno_partial_ack(uint32_t acked) noexcept {
    rexmit_pending_ = true;  // egress retransmits the segment at SND.UNA
    touched();
    inflation_ -= acked;
    if (acked >= smss_) inflation_ += smss_;
    if (!partial_ack_seen_) {
        partial_ack_seen_ = true;
        restart_rto();
    }
}

// RFC 6675 §5 (C): while cwnd - pipe >= 1 SMSS, send what NextSeg() chooses.
void TcpSocket::sack_recovery_send() noexcept {
    for (int guard = 0; guard < 64; ++guard) {
        const uint32_t pipe = scoreboard_.pipe(snd_una_, snd_max_, high_rxt_, smss_);
        if (pipe + smss_ > cc_->cwnd()) return;
        const SeqNum wnd_end = snd_una_ + snd_wnd_;
        const uint32_t by_window =
            wnd_end > snd_max_ ? static_cast<uint32_t>(wnd_end - snd_max_) : 0;
        const uint32_t unsent =
            data_end() > snd_max_ ? static_cast<uint32_t>(data_end() - snd_max_) : 0;
        auto next =
            scoreboard_.next_seg(snd_una_, snd_max_, high_rxt_, smss_, std::min(by_window, unsent));
        if (!next) return rescue_retransmission();
        if (next->seq >= snd_max_) {
            const uint32_t n = transmit(snd_nxt_, next->len);
            if (n == 0) return;
            snd_nxt_ += n;
            snd_max_ = max(snd_max_, snd_nxt_);
            continue;
        }
        const uint32_t n = transmit(next->seq, next->len);
        if (n == 0) return;
        high_rxt_ = max(high_rxt_, next->seq + n);
    }
}

// RFC 6675 §4 NextSeg (4): once per recovery, when rules (1)-(3) find nothing, one segment
// that includes the highest outstanding unSACKed octet (a lost tail would otherwise wait for
// the RTO). HighRxt is not updated.
void TcpSocket::rescue_retransmission() noexcept {
    if (rescue_rxt_ && snd_una_ <= *rescue_rxt_) return;
    const SeqNum data_hi = fin_sent() ? fin_seq_ : snd_max_;  // one past the last data octet
    if (data_hi <= snd_una_ || scoreboard_.is_sacked(data_hi - 1)) return;
    const auto outstanding = static_cast<uint32_t>(data_hi - snd_una_);
    const SeqNum start = data_hi - std::min(smss_, outstanding);
    if (transmit(start, static_cast<uint32_t>(data_hi - start)) == 0) return;
    rescue_rxt_ = recover_;  // RescueRxt = RecoveryPoint
}

// RTT samples: from timestamps when both sides use them (RFC 7323 §4.1, only for ACKs that
// acknowledge new data), otherwise by timing one segment at a time and never a retransmitted
// one (Karn's algorithm, RFC 6298 §3).
void TcpSocket::take_rtt_sample(const Segment& seg) noexcept {
    if (ts_ok_ && seg.repr.timestamps && seg.repr.timestamps->tsecr != 0) {
        const uint32_t ms = ts_now() - seg.repr.timestamps->tsecr;
        if (ms < 600'000) {
            rto_.on_rtt_sample(std::chrono::milliseconds(ms));
            rto_.clear_backoff();
        }
        return;
    }
    // After a backoff the RTO collapses only with a new measurement (RFC 6298 §5 note).
    if (rtt_timing_ && seg.ack > rtt_seq_) {
        rtt_timing_ = false;
        rto_.on_rtt_sample(now() - rtt_start_);
        rto_.clear_backoff();
    }
}

}  // namespace shunt::tcp
