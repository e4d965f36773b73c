// CUBIC against RFC 9438's formulas: W_cubic(t) = C(t - K)^3 + W_max with
// K = cbrt((W_max - cwnd_epoch) / C) (§4.2), the Reno-friendly estimate (§4.3), the per-ACK
// step towards W_cubic(t + RTT) (§4.4/§4.5), beta and fast convergence (§4.6/§4.7), timeouts
// (§4.8) and slow start (§4.10). Windows in segments, time in seconds.
#include "stack/tcp/cubic.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace shunt::tcp {
namespace {

constexpr uint32_t kSmss = 1000;
constexpr double kC = 0.4;
constexpr double kBeta = 0.7;
const double kAlpha = 3 * (1 - kBeta) / (1 + kBeta);  // 0.5294...
const Instant kT0{10'000'000};

Instant at(double seconds) {
    return kT0 + Duration{static_cast<int64_t>(std::llround(seconds * 1e6))};
}

AckSample ack_at(double seconds, double srtt_s, uint32_t bytes = kSmss) {
    return AckSample{bytes, 1'000'000, at(seconds),
                     Duration{static_cast<int64_t>(std::llround(srtt_s * 1e6))}};
}

// Slow start to `segments` (one ACK per segment, +1 SMSS each), then a congestion event
// with the whole window in flight, and the end of recovery at kT0.
Cubic after_loss_at(uint32_t segments) {
    Cubic cc{kSmss};
    while (cc.cwnd() < segments * kSmss) cc.on_ack(AckSample{kSmss, 0, Instant{0}, {}});
    EXPECT_EQ(cc.cwnd(), segments * kSmss);
    cc.on_congestion_event(segments * kSmss, Instant{0});
    cc.on_recovery_end(kT0);
    return cc;
}

// ACKs one segment at a time, cwnd of them per RTT, from `from` to `until` seconds.
double ack_steadily(Cubic& cc, double from, double until, double rtt) {
    double t = from;
    while (t < until) {
        cc.on_ack(ack_at(t, rtt));
        t += rtt / cc.cwnd_segments();
    }
    return t;
}

TEST(Cubic, SlowStartBelowSsthreshWithAbc) {
    Cubic cc{kSmss};
    EXPECT_EQ(cc.algorithm(), CongestionAlgorithm::cubic);
    EXPECT_EQ(cc.cwnd(), 10'000u);
    EXPECT_EQ(cc.ssthresh(), UINT32_MAX);
    cc.on_ack(AckSample{500, 0, kT0, {}});
    EXPECT_EQ(cc.cwnd(), 10'500u);
    cc.on_ack(AckSample{4000, 0, kT0, {}});  // L = 2*SMSS
    EXPECT_EQ(cc.cwnd(), 12'500u);
}

TEST(Cubic, CongestionEventMultipliesByBetaAndRecordsWmax) {
    Cubic cc = after_loss_at(100);
    // §4.6: ssthresh = flight_size * 0.7, cwnd = ssthresh; W_max = 100 (no earlier W_max).
    EXPECT_EQ(cc.ssthresh(), 70'000u);
    EXPECT_EQ(cc.cwnd(), 70'000u);
    EXPECT_DOUBLE_EQ(cc.w_max(), 100.0);
}

TEST(Cubic, SsthreshIsAtLeastTwoSegments) {
    Cubic cc{kSmss};
    cc.on_congestion_event(2000, kT0);  // 0.7 * 2000 = 1400 < 2 SMSS
    EXPECT_EQ(cc.ssthresh(), 2000u);
    EXPECT_EQ(cc.cwnd(), 2000u);
}

TEST(Cubic, FirstAckOpensTheEpochWithKFromTheRfc) {
    Cubic cc = after_loss_at(100);
    cc.on_ack(ack_at(0, 0.1));
    ASSERT_TRUE(cc.epoch_started());
    // K = cbrt((W_max - cwnd_epoch) / C) = cbrt(30 / 0.4) = cbrt(75) = 4.2172 s.
    EXPECT_NEAR(cc.k(), std::cbrt(75.0), 1e-12);
    EXPECT_NEAR(cc.k(), 4.2172, 1e-4);
    // W_cubic(0) = cwnd_epoch = 70 and W_cubic(K) = W_max.
    EXPECT_NEAR(cc.w_cubic(0), 70.0, 1e-9);
    EXPECT_NEAR(cc.w_cubic(cc.k()), 100.0, 1e-9);
    // At t = 0, W_est = 70 + alpha/70 already exceeds W_cubic(0) = 70: the Reno-friendly
    // region, cwnd = W_est (§4.3).
    EXPECT_NEAR(cc.w_est(), 70.0 + kAlpha / 70.0, 1e-12);
    EXPECT_NEAR(cc.cwnd_segments(), 70.0 + kAlpha / 70.0, 1e-9);
}

TEST(Cubic, ConcaveStepMovesTowardsWcubicOfTPlusRtt) {
    Cubic cc = after_loss_at(100);
    const double rtt = 0.1;
    cc.on_ack(ack_at(0, rtt));
    const double cwnd1 = cc.cwnd_segments();
    const double k = std::cbrt(75.0);
    cc.on_ack(ack_at(0.5, rtt));
    // §4.4: W_cubic(0.5) = 0.4 (0.5 - K)^3 + 100 = 79.45 > W_est (about 70.015), so the
    // cubic region: target = W_cubic(0.6) = 81.07 (inside [cwnd, 1.5 cwnd]), and
    // cwnd += (target - cwnd) / cwnd.
    const double w_cubic_now = kC * std::pow(0.5 - k, 3) + 100;
    EXPECT_NEAR(w_cubic_now, 79.45, 0.01);
    ASSERT_GT(w_cubic_now, cc.w_est());
    const double target = kC * std::pow(0.6 - k, 3) + 100;
    EXPECT_NEAR(target, 81.07, 0.01);
    EXPECT_NEAR(cc.cwnd_segments(), cwnd1 + (target - cwnd1) / cwnd1, 1e-9);
}

TEST(Cubic, TargetIsCappedAtOneAndAHalfCwnd) {
    Cubic cc = after_loss_at(100);
    cc.on_ack(ack_at(0, 0.1));
    const double cwnd1 = cc.cwnd_segments();
    // 100 s later W_cubic is far above 1.5 cwnd: the target is 1.5 cwnd, a +0.5 step.
    cc.on_ack(ack_at(100, 0.1));
    EXPECT_NEAR(cc.cwnd_segments(), cwnd1 + 0.5, 1e-9);
}

TEST(Cubic, WindowReachesWmaxAtTimeK) {
    Cubic cc = after_loss_at(100);
    const double rtt = 0.1;
    const double k = std::cbrt(75.0);
    ack_steadily(cc, 0, k, rtt);
    // cwnd follows W_cubic(t + RTT) about one RTT behind; on the plateau around K that is
    // W_max within a fraction of a segment.
    EXPECT_NEAR(cc.cwnd_segments(), 100.0, 0.25);
    EXPECT_LE(cc.cwnd_segments(), 100.0 + kC * std::pow(rtt, 3) + 1e-9);
}

// In the cubic region cwnd steps towards W_cubic(t + RTT) and never past it; with a window's
// worth of ACKs per RTT it stays within one RTT of the curve.
void expect_within_one_rtt_of_the_curve(const Cubic& cc, double t, double rtt) {
    EXPECT_LE(cc.cwnd_segments(), cc.w_cubic(t + rtt) + 1e-9) << "t = " << t;
    EXPECT_GE(cc.cwnd_segments(), cc.w_cubic(t - rtt)) << "t = " << t;
}

TEST(Cubic, ConcaveThenConvexAroundWmax) {
    Cubic cc = after_loss_at(100);
    // A long RTT keeps the Reno-friendly estimate (alpha per RTT) below the curve.
    const double rtt = 0.4;
    const double k = std::cbrt(75.0);
    double t = ack_steadily(cc, 0, k / 2, rtt);
    // Halfway to K: W_cubic(K/2) = 100 - 0.4 (K/2)^3 = 100 - 30/8 = 96.25.
    EXPECT_NEAR(cc.w_cubic(k / 2), 96.25, 1e-9);
    ASSERT_LT(cc.w_est(), cc.w_cubic(t));
    expect_within_one_rtt_of_the_curve(cc, t, rtt);
    EXPECT_LT(cc.cwnd_segments(), 100.0);  // concave: below W_max
    // Two seconds past K: the convex region, W_cubic(K + 2) = 100 + 0.4 * 8 = 103.2.
    t = ack_steadily(cc, t, k + 2, rtt);
    ASSERT_LT(cc.w_est(), cc.w_cubic(t));
    expect_within_one_rtt_of_the_curve(cc, t, rtt);
    EXPECT_GT(cc.cwnd_segments(), 100.0);
    // Four seconds past K: W_cubic = 100 + 0.4 * 64 = 125.6.
    t = ack_steadily(cc, t, k + 4, rtt);
    expect_within_one_rtt_of_the_curve(cc, t, rtt);
    EXPECT_GT(cc.cwnd_segments(), 115.0);
}

TEST(Cubic, RenoFriendlyEstimateTakesOverWhenItIsAhead) {
    // RTT 0.1 s: after about 57 RTTs W_est (+alpha per RTT from 70) reaches cwnd_prior = 100
    // and then grows one segment per RTT; by K + 2 = 6.2 s it is above W_cubic = 103.2.
    Cubic cc = after_loss_at(100);
    const double k = std::cbrt(75.0);
    const double t = ack_steadily(cc, 0, k + 2, 0.1);
    EXPECT_GT(cc.w_est(), cc.w_cubic(t));
    EXPECT_DOUBLE_EQ(cc.cwnd_segments(), cc.w_est());
    EXPECT_NEAR(cc.w_est(), 100.0 + (t - 30.0 / kAlpha * 0.1) / 0.1, 1.0);
}

TEST(Cubic, RenoFriendlyRegionGrowsByAlphaPerRttThenByOne) {
    // A small window on a short path: Reno's linear growth beats the cubic curve.
    Cubic cc = after_loss_at(10);  // W_max 10, cwnd 7, K = cbrt(7.5) = 1.957 s
    const double rtt = 0.01;
    double t = 0;
    double w_before = cc.cwnd_segments();
    int rounds_alpha = 0, rounds_one = 0;
    for (int round = 0; round < 12; ++round) {
        // One RTT: as many one-segment ACKs as the window holds at its start.
        const int acks = static_cast<int>(std::lround(std::floor(cc.cwnd_segments())));
        for (int i = 0; i < acks; ++i) {
            cc.on_ack(ack_at(t, rtt));
            t += rtt / acks;
        }
        ASSERT_LT(cc.w_cubic(t), cc.w_est()) << "round " << round;
        EXPECT_DOUBLE_EQ(cc.cwnd_segments(), cc.w_est());
        // W_est += a * segments_acked / cwnd per ACK (§4.3), with a = alpha_cubic below
        // cwnd_prior (10) and 1 above it. cwnd only grows during the round, so the round's
        // growth lies between a * acks / (w_before + growth) and a * acks / w_before: about
        // alpha per RTT, then about one segment. (The round that crosses 10 is mixed.)
        const double growth = cc.cwnd_segments() - w_before;
        const double alpha_max = kAlpha * acks / w_before;
        if (w_before + alpha_max < 10.0) {
            EXPECT_LE(growth, alpha_max + 1e-12) << "round " << round;
            EXPECT_GE(growth, kAlpha * acks / (w_before + alpha_max)) << "round " << round;
            ++rounds_alpha;
        } else if (w_before >= 10.0) {
            const double one_max = 1.0 * acks / w_before;
            EXPECT_LE(growth, one_max + 1e-12) << "round " << round;
            EXPECT_GE(growth, 1.0 * acks / (w_before + one_max)) << "round " << round;
            ++rounds_one;
        }
        w_before = cc.cwnd_segments();
    }
    EXPECT_GE(rounds_alpha, 4);
    EXPECT_GE(rounds_one, 4);
    EXPECT_GT(cc.cwnd_segments(), 12.0);
}

TEST(Cubic, FastConvergenceLowersWmaxWhenTheWindowShrinks) {
    Cubic cc = after_loss_at(100);  // W_max = 100, cwnd = 70
    // A second loss at 70 < W_max: W_max = 70 * (1 + 0.7) / 2 = 59.5 (§4.7).
    cc.on_congestion_event(70'000, kT0);
    EXPECT_DOUBLE_EQ(cc.w_max(), 59.5);
    EXPECT_EQ(cc.ssthresh(), 49'000u);
    EXPECT_EQ(cc.cwnd(), 49'000u);
    cc.on_recovery_end(kT0);
    cc.on_ack(ack_at(0, 0.1));
    EXPECT_NEAR(cc.k(), std::cbrt((59.5 - 49.0) / kC), 1e-12);
}

TEST(Cubic, NoFastConvergenceWhenTheWindowGrewPastWmax) {
    Cubic cc = after_loss_at(100);
    const double k = std::cbrt(75.0);
    const double t = ack_steadily(cc, 0, k + 3, 0.1);  // past W_max: about 110.8
    const double w = cc.cwnd_segments();
    ASSERT_GT(w, 100.0);
    cc.on_congestion_event(cc.cwnd(), at(t));
    EXPECT_NEAR(cc.w_max(), w, 1e-9);
    EXPECT_NEAR(cc.ssthresh(), 0.7 * std::floor(w * kSmss), 1.0);
}

TEST(Cubic, TimeoutRestartsFromOneSegmentAndCountsKFromZero) {
    Cubic cc = after_loss_at(100);
    cc.on_rto(100'000, kT0);
    // §4.8: ssthresh by beta_cubic, cwnd = 1 SMSS (RFC 5681).
    EXPECT_EQ(cc.ssthresh(), 70'000u);
    EXPECT_EQ(cc.cwnd(), 1'000u);
    cc.on_ack(AckSample{2000, 0, kT0, {}});  // RFC 3465 §2.3: L = 1 SMSS after an RTO
    EXPECT_EQ(cc.cwnd(), 2'000u);
    while (cc.cwnd() < cc.ssthresh()) cc.on_ack(AckSample{1000, 0, kT0, {}});
    EXPECT_EQ(cc.cwnd(), 70'000u);
    // The first congestion-avoidance stage after the timeout: K = 0 and W_max = the window
    // at its beginning, so W_cubic(t) = 0.4 t^3 + 70.
    cc.on_ack(ack_at(1.0, 0.1));
    EXPECT_DOUBLE_EQ(cc.k(), 0.0);
    EXPECT_DOUBLE_EQ(cc.w_max(), 70.0);
    EXPECT_NEAR(cc.w_cubic(2.0), 70.0 + 0.4 * 8, 1e-12);
}

TEST(Cubic, IdleRestartCapsAtTheInitialWindow) {
    Cubic cc = after_loss_at(100);
    cc.on_idle_restart(kT0);
    EXPECT_EQ(cc.cwnd(), 10'000u);
    EXPECT_FALSE(cc.epoch_started());
    cc.on_ack(AckSample{2000, 0, kT0, {}});  // back in slow start below ssthresh 70000
    EXPECT_EQ(cc.cwnd(), 12'000u);
}

}  // namespace
}  // namespace shunt::tcp
