#include "stack/tcp/cubic.hpp"

#include <algorithm>
#include <cmath>

namespace shunt::tcp {

namespace {
constexpr uint32_t kAbcLimitSegments = 2;  // RFC 3465 §2.2 L = 2*SMSS
constexpr double kMaxCwndBytes = static_cast<double>(UINT32_MAX);

double seconds(Duration d) noexcept {
    return static_cast<double>(d.count()) / 1e6;
}
}  // namespace

Cubic::Cubic(uint32_t smss, uint32_t initial_window_segments) noexcept
    : smss_(std::max<uint32_t>(smss, 1)),
      iw_segments_(initial_window_segments),
      cwnd_(initial_window(smss_, initial_window_segments)) {}

uint32_t Cubic::cwnd() const noexcept {
    return static_cast<uint32_t>(std::min(cwnd_, kMaxCwndBytes));
}

double Cubic::w_cubic(double t) const noexcept {
    // RFC 9438 §4.2 Figure 1: W_cubic(t) = C * (t - K)^3 + W_max.
    const double d = t - k_;
    return kC * d * d * d + w_max_;
}

void Cubic::on_ack(const AckSample& s) noexcept {
    if (cwnd_ < ssthresh_) {
        slow_start(s.bytes_acked);
        return;
    }
    congestion_avoidance(s);
}

void Cubic::slow_start(uint32_t bytes_acked) noexcept {
    // RFC 9438 §4.10: standard slow start below ssthresh (RFC 5681 §3.1, RFC 3465 ABC).
    const uint32_t limit = (slow_start_after_rto_ ? 1 : kAbcLimitSegments) * smss_;
    const double increase =
        std::min(static_cast<double>(std::min(bytes_acked, limit)), ssthresh_ - cwnd_);
    cwnd_ += increase;
    if (cwnd_ >= ssthresh_) slow_start_after_rto_ = false;
}

void Cubic::start_epoch(Instant now) noexcept {
    // RFC 9438 §4.2: t counts from the beginning of the congestion-avoidance stage;
    // K = cbrt((W_max - cwnd_epoch) / C). §4.3: W_est starts at cwnd_epoch. A window already
    // at or above W_max (the first stage after a timeout, §4.8, or after slow start without a
    // congestion event) takes W_max = cwnd_epoch and K = 0.
    const double cwnd_epoch = cwnd_ / smss_;
    epoch_started_ = true;
    epoch_start_ = now;
    if (w_max_ <= cwnd_epoch) {
        w_max_ = cwnd_epoch;
        k_ = 0;
    } else {
        k_ = std::cbrt((w_max_ - cwnd_epoch) / kC);
    }
    w_est_ = cwnd_epoch;
}

void Cubic::congestion_avoidance(const AckSample& s) noexcept {
    if (!epoch_started_) start_epoch(s.now);
    const double segments_acked = static_cast<double>(s.bytes_acked) / smss_;
    const double cwnd_seg = cwnd_ / smss_;

    // §4.3 Reno-friendly estimate: W_est += alpha_cubic * segments_acked / cwnd, with
    // alpha_cubic = 3(1 - beta)/(1 + beta) until W_est reaches cwnd_prior, then 1.
    const double alpha = w_est_ >= cwnd_prior_ ? 1.0 : kAlphaReno;
    w_est_ += alpha * segments_acked / cwnd_seg;

    const double t = seconds(s.now - epoch_start_);
    double next;
    if (w_cubic(t) < w_est_) {
        // §4.3: Reno-friendly region, cwnd = W_est (never below the current window).
        next = std::max(cwnd_seg, w_est_);
    } else {
        // §4.4 concave / §4.5 convex region: target = W_cubic(t + RTT) bounded to
        // [cwnd, 1.5 * cwnd] (§4.2), cwnd += (target - cwnd) / cwnd per segment acked.
        const double rtt = s.srtt ? seconds(*s.srtt) : 0.0;
        const double target = std::clamp(w_cubic(t + rtt), cwnd_seg, 1.5 * cwnd_seg);
        next = cwnd_seg + (target - cwnd_seg) / cwnd_seg * segments_acked;
    }
    cwnd_ = std::min(next * smss_, kMaxCwndBytes);
}

void Cubic::reduce(uint32_t flight_size) noexcept {
    const double cwnd_seg = cwnd_ / smss_;
    // §4.7 fast convergence: a congestion event below the previous W_max means the
    // available capacity shrank; release more by aiming at the midpoint.
    w_max_ = cwnd_seg < w_max_ ? cwnd_seg * (1.0 + kBeta) / 2.0 : cwnd_seg;
    cwnd_prior_ = cwnd_seg;
    // §4.6: ssthresh = flight_size * beta_cubic, at least 2 SMSS.
    const double ssthresh = std::max(static_cast<double>(flight_size) * kBeta, 2.0 * smss_);
    ssthresh_ = static_cast<uint32_t>(std::min(ssthresh, kMaxCwndBytes));
    epoch_started_ = false;
}

void Cubic::on_congestion_event(uint32_t flight_size, Instant) noexcept {
    reduce(flight_size);
    // §4.6: cwnd = max(ssthresh, 2 SMSS) on loss.
    cwnd_ = ssthresh_;
}

void Cubic::on_recovery_end(Instant) noexcept {
    // RFC 6582 §3.2 step 3 option 1; the next ACK opens a new CUBIC epoch.
    cwnd_ = ssthresh_;
    epoch_started_ = false;
}

void Cubic::on_rto(uint32_t flight_size, Instant now) noexcept {
    // §4.8: ssthresh as in §4.6, cwnd as RFC 5681 (one SMSS). The first stage after the
    // timeout then runs with K = 0 and W_max = cwnd_epoch (start_epoch()).
    reduce(flight_size);
    w_max_ = 0;
    on_repeated_rto(now);
}

void Cubic::on_repeated_rto(Instant) noexcept {
    cwnd_ = smss_;
    slow_start_after_rto_ = true;
    epoch_started_ = false;
}

void Cubic::on_idle_restart(Instant) noexcept {
    // RFC 5681 §4.1; the growth function starts over rather than jumping by the idle time.
    cwnd_ = std::min(cwnd_, static_cast<double>(initial_window(smss_, iw_segments_)));
    epoch_started_ = false;
}

void Cubic::set_mss(uint32_t smss) noexcept {
    smss_ = std::max<uint32_t>(smss, 1);
    cwnd_ = initial_window(smss_, iw_segments_);
    epoch_started_ = false;
}

}  // namespace shunt::tcp
