// A token bucket for rate limits: ICMP errors (RFC 1812 §4.3.2.8 / RFC 1122 §3.2.2) and
// TCP's RFC 5961 §7 reply limits (stack/tcp/reply_limits.hpp).
#pragma once

#include "base/time.hpp"

#include <algorithm>
#include <cstdint>

namespace shunt {

class TokenBucket {
  public:
    TokenBucket(uint32_t per_second, uint32_t burst) : rate_(per_second), burst_(burst) {
        tokens_ = burst_ * kScale;
    }

    // Takes one token if there is one.
    bool take(Instant now) noexcept {
        refill(now);
        if (tokens_ < kScale) return false;
        tokens_ -= kScale;
        return true;
    }

  private:
    // Tokens are kept in millionths so low rates refill smoothly.
    static constexpr uint64_t kScale = 1'000'000;

    void refill(Instant now) noexcept {
        if (!started_) {
            started_ = true;
            last_ = now;
            return;
        }
        if (now <= last_) return;
        const auto elapsed_us = static_cast<uint64_t>((now - last_).count());
        const uint64_t full = uint64_t{burst_} * kScale;
        // Compared by division first: elapsed_us * rate_ overflows after a long idle spell
        // with a large configured rate (4e9/s for an hour), which would empty the bucket.
        if (rate_ == 0 || elapsed_us >= (full - std::min(tokens_, full)) / rate_ + 1) {
            tokens_ = rate_ == 0 ? tokens_ : full;
        } else {
            tokens_ = std::min<uint64_t>(tokens_ + elapsed_us * rate_, full);
        }
        last_ = now;
    }

    uint64_t rate_;
    uint32_t burst_;
    uint64_t tokens_ = 0;
    Instant last_{};
    bool started_ = false;
};

}  // namespace shunt
