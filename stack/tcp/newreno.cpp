#include "stack/tcp/newreno.hpp"

#include <algorithm>

namespace shunt::tcp {

namespace {
// RFC 3465 §2.2: the slow-start increase per ACK is at most L bytes; L = 2*SMSS, except
// L = 1*SMSS in the slow start after a retransmission timeout (§2.3).
constexpr uint32_t kAbcLimitSegments = 2;

uint32_t saturating_add(uint32_t a, uint32_t b) noexcept {
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}
}  // namespace

NewReno::NewReno(uint32_t smss, uint32_t initial_window_segments) noexcept
    : smss_(std::max<uint32_t>(smss, 1)),
      iw_segments_(initial_window_segments),
      cwnd_(initial_window(smss_, initial_window_segments)) {}

uint32_t NewReno::half_flight(uint32_t flight_size) const noexcept {
    return std::max(flight_size / 2, 2 * smss_);
}

void NewReno::on_ack(const AckSample& s) noexcept {
    uint32_t acked = s.bytes_acked;
    if (cwnd_ < ssthresh_) {
        // RFC 5681 §3.1 slow start: cwnd += min(N, SMSS) per ACK, as RFC 3465 generalizes it
        // to min(N, L). Growth stops at ssthresh; the rest of N counts towards congestion
        // avoidance (the ACK straddles the two phases).
        const uint32_t limit = (slow_start_after_rto_ ? 1 : kAbcLimitSegments) * smss_;
        const uint32_t usable = std::min(acked, limit);
        const uint32_t increase = std::min(usable, ssthresh_ - cwnd_);
        cwnd_ += increase;
        if (cwnd_ < ssthresh_) return;
        acked = usable - increase;
        slow_start_after_rto_ = false;
        bytes_acked_ = 0;
    }
    // RFC 5681 §3.1 congestion avoidance by byte counting (RFC 3465 §2.1): bytes_acked
    // accumulates; each time it reaches cwnd, cwnd grows by one SMSS and bytes_acked
    // drops by the cwnd it covered.
    bytes_acked_ = saturating_add(bytes_acked_, acked);
    if (bytes_acked_ >= cwnd_) {
        bytes_acked_ -= cwnd_;
        cwnd_ = saturating_add(cwnd_, smss_);
    }
}

void NewReno::on_congestion_event(uint32_t flight_size, Instant) noexcept {
    // RFC 5681 §3.2 step 2 (equation (4)) and step 3 without the inflation (the caller's).
    ssthresh_ = half_flight(flight_size);
    cwnd_ = ssthresh_;
    bytes_acked_ = 0;
}

void NewReno::on_recovery_end(Instant) noexcept {
    // RFC 6582 §3.2 step 3, option 1: deflate the window to ssthresh.
    cwnd_ = ssthresh_;
    bytes_acked_ = 0;
}

void NewReno::on_rto(uint32_t flight_size, Instant now) noexcept {
    // RFC 5681 §3.1: equation (4) for ssthresh, cwnd = loss window (1 SMSS).
    ssthresh_ = half_flight(flight_size);
    on_repeated_rto(now);
}

void NewReno::on_repeated_rto(Instant) noexcept {
    cwnd_ = smss_;
    bytes_acked_ = 0;
    slow_start_after_rto_ = true;
}

void NewReno::on_idle_restart(Instant) noexcept {
    // RFC 5681 §4.1: RW = min(IW, cwnd).
    cwnd_ = std::min(cwnd_, initial_window(smss_, iw_segments_));
    bytes_acked_ = 0;
}

void NewReno::set_mss(uint32_t smss) noexcept {
    smss_ = std::max<uint32_t>(smss, 1);
    cwnd_ = initial_window(smss_, iw_segments_);
    bytes_acked_ = 0;
}

}  // namespace shunt::tcp
