#include "stack/tcp/rto.hpp"

#include <algorithm>

namespace shunt::tcp {

RtoEstimator::RtoEstimator(RtoConfig config) noexcept
    : config_(config), base_rto_(clamp(config.initial)) {}

Duration RtoEstimator::clamp(Duration d) const noexcept {
    return std::clamp(d, config_.min, config_.max);
}

void RtoEstimator::on_rtt_sample(Duration rtt) noexcept {
    const int64_t r = std::max<int64_t>(rtt.count(), 0);
    if (!have_sample_) {
        // (2.2) SRTT <- R, RTTVAR <- R/2.
        have_sample_ = true;
        srtt8_ = 8 * r;
        rttvar4_ = 2 * r;
    } else {
        // (2.3) RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|, with the old SRTT;
        //       SRTT <- (1 - alpha) * SRTT + alpha * R'.
        // Scaled: 4 RTTVAR' = 3/4 (4 RTTVAR) + |8 SRTT - 8 R'| / 8, 8 SRTT' = 7/8 (8 SRTT) + R'.
        const int64_t deviation8 = srtt8_ > 8 * r ? srtt8_ - 8 * r : 8 * r - srtt8_;
        rttvar4_ = (6 * rttvar4_ + deviation8) / 8;
        srtt8_ = 7 * srtt8_ / 8 + r;
    }
    // RTO <- SRTT + max(G, K * RTTVAR), then the (2.4)/(2.5) bounds.
    base_rto_ = clamp(Duration{srtt8_ / 8} + std::max(config_.granularity, Duration{rttvar4_}));
}

void RtoEstimator::backoff() noexcept {
    // Counting past the point where the doubling saturates at max changes nothing.
    if (backoffs_ < UINT32_MAX) ++backoffs_;
}

void RtoEstimator::clear_backoff() noexcept {
    backoffs_ = 0;
}

void RtoEstimator::restart_after_syn_timeout() noexcept {
    backoffs_ = 0;
    if (!have_sample_) base_rto_ = clamp(std::max(base_rto_, kSynTimeoutFallback));
}

Duration RtoEstimator::rto() const noexcept {
    // (5.5) doubles the RTO per expiry, capped by max; doubling stops once it reaches max.
    Duration d = base_rto_;
    for (uint32_t i = 0; i < backoffs_ && d < config_.max; ++i) d *= 2;
    return clamp(d);
}

std::optional<Duration> RtoEstimator::srtt() const noexcept {
    if (!have_sample_) return std::nullopt;
    return Duration{srtt8_ / 8};
}

}  // namespace shunt::tcp
