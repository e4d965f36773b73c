// RFC 5961 §7 ("Suggested Mitigations: ... the TCP stack SHOULD implement ACK throttling"):
// the replies an attacker can draw from us without a connection of its own or with spoofed
// segments are rate-limited, so that we can be made neither a reflector nor a CPU and TX
// sink. Three limits, as in Linux:
//  - challenge ACKs, stack-wide per second (tcp_challenge_ack_limit);
//  - per connection, one ACK per interval for a segment without data that is out of window,
//    PAWS-rejected or challenged (tcp_invalid_ratelimit; data segments are exempt: they
//    are no ACK loop, and their duplicate ACKs drive the peer's loss recovery);
//  - RSTs in reply to segments for no connection, a token bucket.
// A limit of 0 turns it off. What is held back is counted by the caller.
#pragma once

#include "base/time.hpp"
#include "stack/iface/token_bucket.hpp"
#include "stack/tcp/tcp_types.hpp"

#include <optional>

namespace shunt::tcp {

class ReplyLimits {
  public:
    explicit ReplyLimits(const TcpConfig& c)
        : challenge_on_(c.challenge_ack_limit != 0),
          rst_on_(c.rst_limit != 0),
          interval_(c.invalid_ack_interval),
          // Linux refills its challenge-ACK allowance once a second: a bucket of one
          // second's worth behaves the same without the step at the second boundary.
          challenge_(c.challenge_ack_limit, c.challenge_ack_limit),
          rst_(c.rst_limit, c.rst_burst == 0 ? 1 : c.rst_burst) {}

    // Per connection: whether an ACK may answer an invalid segment now; `last` is the
    // connection's time of the last one it allowed.
    bool invalid_ack_allowed(std::optional<Instant>& last, Instant now) const noexcept {
        if (interval_ <= Duration(0)) return true;
        if (last && now >= *last && now - *last < interval_) return false;
        last = now;
        return true;
    }
    // Stack-wide: a challenge ACK may leave now.
    bool challenge_allowed(Instant now) noexcept { return !challenge_on_ || challenge_.take(now); }
    // Stack-wide: an RST may answer a segment for no connection now.
    bool rst_allowed(Instant now) noexcept { return !rst_on_ || rst_.take(now); }

  private:
    bool challenge_on_;
    bool rst_on_;
    Duration interval_;
    TokenBucket challenge_;
    TokenBucket rst_;
};

}  // namespace shunt::tcp
