// The retransmission timeout (RFC 6298): a smoothed RTT and its variation from RTT samples,
// RTO = SRTT + max(G, K * RTTVAR) with alpha = 1/8, beta = 1/4, K = 4 (§2), doubled on every
// timer expiry (exponential backoff, §5).
//
// SRTT is kept as 8 * SRTT and RTTVAR as 4 * RTTVAR in microseconds (as in Jacobson's and
// Linux's code), so each update truncates only an eighth of a microsecond, and K * RTTVAR is
// exactly the scaled variance.
#pragma once

#include "base/time.hpp"

#include <cstdint>
#include <optional>

namespace shunt::tcp {

struct RtoConfig {
    Duration initial = 1s;  // RFC 6298 (2.1)
    // Linux's TCP_RTO_MIN. RFC 6298 (2.4) says a minimum of 1 s; every deployed stack uses
    // less, and the RFC's reasoning (coarse clocks, delayed ACKs) is covered by G and K.
    Duration min = 200ms;
    Duration max = 120s;         // Linux's TCP_RTO_MAX; RFC 6298 (2.5) asks for at least 60 s
    Duration granularity = 1ms;  // G, the clock granularity of RFC 6298 (2.2)/(2.3)
};

class RtoEstimator {
  public:
    explicit RtoEstimator(RtoConfig config = {}) noexcept;

    // RFC 6298 (2.2) for the first sample, (2.3) afterwards. The caller applies Karn's
    // algorithm (RFC 6298 §3): no samples from retransmitted segments unless timestamps make
    // them unambiguous. A sample does not clear the backoff (as Linux: only new data acked
    // does, through clear_backoff()).
    void on_rtt_sample(Duration rtt) noexcept;
    // RFC 6298 (5.5): RTO = min(2 * RTO, max). Counts the backoffs.
    void backoff() noexcept;
    // After new data is acknowledged: the RTO is recomputed from SRTT and RTTVAR.
    void clear_backoff() noexcept;
    // RFC 6298 (5.7): the timer expired awaiting the ACK of our SYN, and the handshake has
    // now completed: "the RTO MUST be re-initialized to 3 seconds when data transmission
    // begins". Clears the backoff; without an RTT sample yet (Karn: the retransmitted SYN
    // gave none) the RTO becomes max(RTO, 3 s) until the first sample. With a sample (from
    // timestamps) the estimate stands, as in Linux.
    void restart_after_syn_timeout() noexcept;
    static constexpr Duration kSynTimeoutFallback = std::chrono::seconds{3};

    // The value to arm the timer with: the base RTO doubled once per backoff, in [min, max].
    Duration rto() const noexcept;
    // The RTO from SRTT and RTTVAR alone (no backoff), clamped to [min, max].
    Duration base_rto() const noexcept { return base_rto_; }
    std::optional<Duration> srtt() const noexcept;  // nullopt before the first sample
    Duration rttvar() const noexcept { return Duration{rttvar4_ / 4}; }
    uint32_t backoffs() const noexcept { return backoffs_; }
    const RtoConfig& config() const noexcept { return config_; }

  private:
    Duration clamp(Duration d) const noexcept;

    RtoConfig config_;
    bool have_sample_ = false;
    int64_t srtt8_ = 0;    // 8 * SRTT, microseconds
    int64_t rttvar4_ = 0;  // 4 * RTTVAR = K * RTTVAR, microseconds
    Duration base_rto_;
    uint32_t backoffs_ = 0;
};

}  // namespace shunt::tcp
