// CUBIC (RFC 9438): after a congestion event the window follows
//   W_cubic(t) = C * (t - K)^3 + W_max,   K = cbrt((W_max - cwnd_epoch) / C)
// (concave up to W_max, then convex beyond it), never slower than the Reno-friendly estimate
// W_est of §4.3. Windows in the formulas are in segments and t in seconds; cwnd() is bytes.
// Below ssthresh it is standard slow start (RFC 5681 with RFC 3465 ABC, L = 2*SMSS).
#pragma once

#include "stack/tcp/congestion.hpp"

#include <cstdint>

namespace shunt::tcp {

class Cubic final : public CongestionControl {
  public:
    static constexpr double kC = 0.4;                                          // RFC 9438 §5.1
    static constexpr double kBeta = 0.7;                                       // beta_cubic, §4.6
    static constexpr double kAlphaReno = 3.0 * (1.0 - kBeta) / (1.0 + kBeta);  // §4.3

    Cubic(uint32_t smss, uint32_t initial_window_segments = 10) noexcept;

    CongestionAlgorithm algorithm() const noexcept override { return CongestionAlgorithm::cubic; }
    void on_ack(const AckSample& s) noexcept override;
    void on_congestion_event(uint32_t flight_size, Instant now) noexcept override;
    void on_recovery_end(Instant now) noexcept override;
    void on_rto(uint32_t flight_size, Instant now) noexcept override;
    void on_repeated_rto(Instant now) noexcept override;
    void on_idle_restart(Instant now) noexcept override;
    void set_mss(uint32_t smss) noexcept override;

    uint32_t cwnd() const noexcept override;
    uint32_t ssthresh() const noexcept override { return ssthresh_; }
    uint32_t smss() const noexcept override { return smss_; }

    // The state of the current congestion-avoidance epoch, for tests and diagnostics
    // (segments, seconds).
    double w_max() const noexcept { return w_max_; }
    double k() const noexcept { return k_; }
    double w_est() const noexcept { return w_est_; }
    double cwnd_segments() const noexcept { return cwnd_ / smss_; }
    bool epoch_started() const noexcept { return epoch_started_; }
    // W_cubic(t) of RFC 9438 §4.2 for the current epoch, t seconds after its start.
    double w_cubic(double t) const noexcept;

  private:
    void slow_start(uint32_t bytes_acked) noexcept;
    void congestion_avoidance(const AckSample& s) noexcept;
    void start_epoch(Instant now) noexcept;
    // RFC 9438 §4.6/§4.7: W_max with fast convergence, ssthresh = flight * beta (>= 2 SMSS).
    void reduce(uint32_t flight_size) noexcept;

    uint32_t smss_;
    uint32_t iw_segments_;
    double cwnd_;  // bytes; fractional growth accumulates between ACKs
    uint32_t ssthresh_ = UINT32_MAX;
    bool slow_start_after_rto_ = false;

    // Epoch state (segments / seconds).
    bool epoch_started_ = false;
    Instant epoch_start_{};
    // The window of the last congestion event after §4.7 fast convergence; its previous
    // value is what §4.7 compares the next event's window with.
    double w_max_ = 0;
    double cwnd_prior_ = 0;  // cwnd before the last reduction (§4.3 alpha switch)
    double k_ = 0;
    double w_est_ = 0;
};

}  // namespace shunt::tcp
