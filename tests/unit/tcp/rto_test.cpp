// RtoEstimator against RFC 6298 §2 and §5, with the RFC's formulas evaluated on concrete
// RTT samples.
#include "stack/tcp/rto.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace shunt::tcp {
namespace {

TEST(Rto, InitialValueBeforeAnySampleIsOneSecond) {
    RtoEstimator est;
    EXPECT_EQ(est.rto(), 1s);  // (2.1)
    EXPECT_FALSE(est.srtt().has_value());
    EXPECT_EQ(est.backoffs(), 0u);
}

TEST(Rto, FirstSampleSetsSrttToRAndRttvarToHalfR) {
    RtoEstimator est;
    est.on_rtt_sample(100ms);
    // (2.2): SRTT = 100 ms, RTTVAR = 50 ms, RTO = 100 + max(1 ms, 4 * 50) = 300 ms.
    EXPECT_EQ(est.srtt(), Duration{100ms});
    EXPECT_EQ(est.rttvar(), 50ms);
    EXPECT_EQ(est.rto(), 300ms);
}

TEST(Rto, SecondSampleUsesTheOldSrttForRttvar) {
    RtoEstimator est;
    est.on_rtt_sample(100ms);
    est.on_rtt_sample(200ms);
    // (2.3): RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms (with the old SRTT),
    //        SRTT = 7/8 * 100 + 1/8 * 200 = 112.5 ms, RTO = 112.5 + 4 * 62.5 = 362.5 ms.
    EXPECT_EQ(est.rttvar(), 62500us);
    EXPECT_EQ(est.srtt(), Duration{112500us});
    EXPECT_EQ(est.rto(), 362500us);
    est.on_rtt_sample(80ms);
    // RTTVAR = 3/4 * 62.5 + 1/4 * 32.5 = 55 ms; SRTT = 7/8 * 112.5 + 10 = 108.4375 ms;
    // RTO = 108.4375 + 220 = 328.4375 ms.
    EXPECT_EQ(est.rttvar(), 55ms);
    EXPECT_EQ(est.srtt(), Duration{108437us});  // 108437.5 truncated
    EXPECT_EQ(est.rto(), 328437us);
}

TEST(Rto, LongSequenceTracksTheRfcFormulasInExactArithmetic) {
    const std::vector<double> samples_ms{50, 52, 48, 300, 55, 51,  49, 50, 120, 47,
                                         53, 50, 50, 49,  51, 250, 50, 50, 48,  52};
    RtoConfig config;
    config.min = 1ms;
    RtoEstimator est{config};
    double srtt = 0, rttvar = 0;
    bool first = true;
    for (double r : samples_ms) {
        if (first) {
            srtt = r;
            rttvar = r / 2;
            first = false;
        } else {
            rttvar = 0.75 * rttvar + 0.25 * std::fabs(srtt - r);
            srtt = 0.875 * srtt + 0.125 * r;
        }
        est.on_rtt_sample(Duration{static_cast<int64_t>(r * 1000)});
        const double rto_ms = srtt + std::max(1.0, 4 * rttvar);
        // Each update truncates one unit of the scaled state (1/8 us of SRTT, 1/4 us of
        // RTTVAR) and old errors decay by 7/8 and 3/4, so the errors stay below 8 units: 1 us
        // of SRTT, 2 us of RTTVAR (8 us of K * RTTVAR), plus the final truncation.
        EXPECT_NEAR(static_cast<double>(est.srtt()->count()), srtt * 1000, 2.0);
        EXPECT_NEAR(static_cast<double>(est.rttvar().count()), rttvar * 1000, 3.0);
        EXPECT_NEAR(static_cast<double>(est.rto().count()), rto_ms * 1000, 10.0);
    }
}

TEST(Rto, ClockGranularityBoundsTheVarianceTerm) {
    RtoConfig config;
    config.min = 1us;
    RtoEstimator est{config};
    for (int i = 0; i < 40; ++i) est.on_rtt_sample(10ms);
    // RTTVAR decays by 3/4 per identical sample: 5 ms * 0.75^39 is far below G / K.
    EXPECT_EQ(est.srtt(), Duration{10ms});
    EXPECT_LT(4 * est.rttvar(), config.granularity);
    EXPECT_EQ(est.rto(), 11ms);  // SRTT + G
}

TEST(Rto, ClampedToMinimumAndMaximum) {
    RtoEstimator low;
    low.on_rtt_sample(1ms);  // 1 + 4 * 0.5 = 3 ms
    EXPECT_EQ(low.rto(), 200ms);
    RtoEstimator high;
    high.on_rtt_sample(100s);  // 100 + 4 * 50 = 300 s
    EXPECT_EQ(high.rto(), 120s);
}

TEST(Rto, BackoffDoublesUpToTheMaximum) {
    RtoEstimator est;
    est.on_rtt_sample(100ms);  // RTO 300 ms
    Duration expected = 300ms;
    for (uint32_t i = 1; i <= 12; ++i) {
        est.backoff();
        expected = std::min<Duration>(expected * 2, 120s);
        EXPECT_EQ(est.rto(), expected) << "after " << i << " backoffs";
        EXPECT_EQ(est.backoffs(), i);
    }
    // 300 ms * 2^9 = 153.6 s: capped from the ninth backoff on.
    EXPECT_EQ(est.rto(), 120s);
}

TEST(Rto, BackoffBeforeAnySampleDoublesTheInitialValue) {
    RtoEstimator est;
    est.backoff();
    EXPECT_EQ(est.rto(), 2s);
    est.backoff();
    EXPECT_EQ(est.rto(), 4s);
}

TEST(Rto, ClearBackoffRecomputesFromSrttAndRttvar) {
    RtoEstimator est;
    est.on_rtt_sample(100ms);
    est.backoff();
    est.backoff();
    EXPECT_EQ(est.rto(), 1200ms);
    // A sample (e.g. timestamps on the retransmission) updates the estimate; the backoff
    // stays until new data is acknowledged.
    est.on_rtt_sample(100ms);  // RTTVAR 37.5 ms, SRTT 100 ms: base 250 ms
    EXPECT_EQ(est.base_rto(), 250ms);
    EXPECT_EQ(est.rto(), 1000ms);
    est.clear_backoff();
    EXPECT_EQ(est.backoffs(), 0u);
    EXPECT_EQ(est.rto(), 250ms);
}

TEST(Rto, SynTimeoutFallsBackToThreeSecondsUntilTheFirstSample) {
    RtoEstimator est;
    est.backoff();  // the SYN was retransmitted twice: 2 s, 4 s
    est.backoff();
    EXPECT_EQ(est.rto(), 4s);
    est.restart_after_syn_timeout();  // RFC 6298 (5.7), once established
    EXPECT_EQ(est.backoffs(), 0u);
    EXPECT_EQ(est.rto(), 3s);
    est.backoff();  // backoff doubles from the 3 s
    EXPECT_EQ(est.rto(), 6s);
    est.clear_backoff();
    est.on_rtt_sample(100ms);  // the first sample replaces it: (2.2)
    EXPECT_EQ(est.rto(), 300ms);
}

TEST(Rto, SynTimeoutKeepsAnEstimateFromASample) {
    RtoEstimator est;
    est.on_rtt_sample(100ms);  // e.g. timestamps on the SYN-ACK
    est.backoff();
    est.restart_after_syn_timeout();
    EXPECT_EQ(est.backoffs(), 0u);
    EXPECT_EQ(est.rto(), 300ms);
}

TEST(Rto, SynTimeoutNeverLowersALargerInitialRto) {
    RtoConfig config;
    config.initial = 5s;
    RtoEstimator est{config};
    est.backoff();
    est.restart_after_syn_timeout();
    EXPECT_EQ(est.rto(), 5s);
}

TEST(Rto, ManyBackoffsNeitherOverflowNorExceedTheMaximum) {
    RtoEstimator est;
    for (int i = 0; i < 1000; ++i) est.backoff();
    EXPECT_EQ(est.rto(), 120s);
    EXPECT_EQ(est.backoffs(), 1000u);
}

}  // namespace
}  // namespace shunt::tcp
