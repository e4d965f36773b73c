// The congestion controller interface: cwnd and ssthresh arithmetic only.
//
// The connection code owns loss detection and the recovery state (dup-ack counting,
// `recover`, RFC 6675 pipe, RFC 6582 partial acks, cwnd inflation during non-SACK fast
// recovery); the controller owns cwnd and ssthresh and how they change. All values in bytes.
#pragma once

#include "base/time.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>

namespace shunt::tcp {

enum class CongestionAlgorithm : uint8_t { newreno, cubic };

struct AckSample {
    uint32_t bytes_acked;  // newly cumulatively acknowledged, > 0
    uint32_t flight_size;  // bytes in flight before this ACK
    Instant now;
    std::optional<Duration> srtt;  // the smoothed RTT, if known
};

class CongestionControl {
  public:
    virtual ~CongestionControl() = default;

    virtual CongestionAlgorithm algorithm() const noexcept = 0;
    // Outside recovery: slow start (RFC 5681 §3.1 with RFC 3465 ABC, L = 2*SMSS) below
    // ssthresh, congestion avoidance (NewReno) or CUBIC growth at or above it.
    virtual void on_ack(const AckSample& s) noexcept = 0;
    // Loss detected by dup ACKs or SACK, entering fast recovery: the new ssthresh and cwnd
    // (NewReno: ssthresh = max(flight/2, 2*SMSS), cwnd = ssthresh; the +3*SMSS inflation is
    // the connection's job. CUBIC: RFC 9438 §4.6 with beta 0.7, fast convergence §4.7).
    virtual void on_congestion_event(uint32_t flight_size, Instant now) noexcept = 0;
    // Recovery ended (full ACK of `recover`): cwnd = ssthresh (RFC 6582 §3.2 step 3 option 1).
    virtual void on_recovery_end(Instant now) noexcept = 0;
    // Retransmission timeout, first expiry for the segment (RFC 5681 (4)): ssthresh =
    // max(flight/2, 2*SMSS) (CUBIC: RFC 9438 §4.8), cwnd = loss window = 1 SMSS.
    virtual void on_rto(uint32_t flight_size, Instant now) noexcept = 0;
    // A further expiry for a segment the timer already retransmitted: RFC 5681 §3.1 "if the
    // segment has been retransmitted, ssthresh is held constant"; cwnd = 1 SMSS.
    virtual void on_repeated_rto(Instant now) noexcept = 0;
    // RFC 5681 §4.1 restart after an idle period longer than the RTO: cwnd = min(cwnd, IW).
    virtual void on_idle_restart(Instant now) noexcept = 0;
    // On connection setup (after MSS negotiation): sets SMSS and resets cwnd to the initial
    // window for it.
    virtual void set_mss(uint32_t smss) noexcept = 0;

    virtual uint32_t cwnd() const noexcept = 0;
    virtual uint32_t ssthresh() const noexcept = 0;  // UINT32_MAX ("infinite") initially
    virtual uint32_t smss() const noexcept = 0;
};

// RFC 5681 (3): the classic initial window for an SMSS: 2, 3 or 4 segments.
constexpr uint32_t rfc5681_initial_window(uint32_t smss) noexcept {
    if (smss > 2190) return 2 * smss;
    if (smss > 1095) return 3 * smss;
    return 4 * smss;
}

// The initial window for `segments` (CongestionConfig::initial_window_segments):
//   10 (the default, RFC 6928 §2): min(10*SMSS, max(2*SMSS, 14600));
//   any n > 4 generalizes that formula: min(n*SMSS, max(2*SMSS, n*1460));
//   n <= 4 (0 = "the RFC 5681 rule"): RFC 5681 (3), limited to n segments when n > 0.
constexpr uint32_t initial_window(uint32_t smss, uint32_t segments) noexcept {
    if (segments > 4) {
        const uint64_t iw = std::min(uint64_t{segments} * smss,
                                     std::max(uint64_t{2} * smss, uint64_t{segments} * 1460));
        return static_cast<uint32_t>(std::min<uint64_t>(iw, UINT32_MAX));
    }
    const uint32_t classic = rfc5681_initial_window(smss);
    return segments == 0 ? classic : std::min(classic, segments * smss);
}

struct CongestionConfig {
    CongestionAlgorithm algorithm = CongestionAlgorithm::cubic;
    uint32_t initial_window_segments = 10;
};

// Allocates once, at connection setup.
std::unique_ptr<CongestionControl> make_congestion_control(const CongestionConfig& c,
                                                           uint32_t smss);

}  // namespace shunt::tcp
