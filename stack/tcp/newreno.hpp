// NewReno's window arithmetic: RFC 5681 slow start and congestion avoidance, with RFC 3465
// appropriate byte counting, and the RFC 6582 recovery exit. Loss recovery itself (dup ACKs,
// partial ACKs, window inflation) is the connection's.
#pragma once

#include "stack/tcp/congestion.hpp"

#include <cstdint>

namespace shunt::tcp {

class NewReno final : public CongestionControl {
  public:
    NewReno(uint32_t smss, uint32_t initial_window_segments = 10) noexcept;

    CongestionAlgorithm algorithm() const noexcept override { return CongestionAlgorithm::newreno; }
    void on_ack(const AckSample& s) noexcept override;
    void on_congestion_event(uint32_t flight_size, Instant now) noexcept override;
    void on_recovery_end(Instant now) noexcept override;
    void on_rto(uint32_t flight_size, Instant now) noexcept override;
    void on_repeated_rto(Instant now) noexcept override;
    void on_idle_restart(Instant now) noexcept override;
    void set_mss(uint32_t smss) noexcept override;

    uint32_t cwnd() const noexcept override { return cwnd_; }
    uint32_t ssthresh() const noexcept override { return ssthresh_; }
    uint32_t smss() const noexcept override { return smss_; }
    bool in_slow_start() const noexcept { return cwnd_ < ssthresh_; }
    // The RFC 3465 §2.1 congestion-avoidance counter: bytes acked since cwnd last grew.
    uint32_t bytes_acked() const noexcept { return bytes_acked_; }

  private:
    // RFC 5681 (4): max(FlightSize / 2, 2*SMSS).
    uint32_t half_flight(uint32_t flight_size) const noexcept;

    uint32_t smss_;
    uint32_t iw_segments_;
    uint32_t cwnd_;
    uint32_t ssthresh_ = UINT32_MAX;
    uint32_t bytes_acked_ = 0;
    // RFC 3465 §2.3: L = 1*SMSS in the slow start that follows a retransmission timeout.
    bool slow_start_after_rto_ = false;
};

}  // namespace shunt::tcp
