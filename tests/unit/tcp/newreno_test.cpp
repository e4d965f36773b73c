// NewReno's window arithmetic against RFC 5681, RFC 3465 (ABC), RFC 6582 and the initial
// window rules of RFC 5681 (3) and RFC 6928.
#include "stack/tcp/newreno.hpp"

#include <gtest/gtest.h>

namespace shunt::tcp {
namespace {

constexpr uint32_t kSmss = 1000;
const Instant kNow{5'000'000};

AckSample ack(uint32_t bytes, uint32_t flight = 100'000) {
    return AckSample{bytes, flight, kNow, std::nullopt};
}

TEST(InitialWindow, Rfc6928Iw10) {
    // min(10*SMSS, max(2*SMSS, 14600))
    EXPECT_EQ(initial_window(1460, 10), 14600u);
    EXPECT_EQ(initial_window(1000, 10), 10000u);
    EXPECT_EQ(initial_window(536, 10), 5360u);
    EXPECT_EQ(initial_window(9000, 10), 18000u);  // 2*SMSS beats 14600
    EXPECT_EQ(initial_window(1460, 4), 4380u);
}

TEST(InitialWindow, Rfc5681Equation3) {
    // SMSS > 2190: 2 segments; > 1095: 3 segments; otherwise 4.
    EXPECT_EQ(rfc5681_initial_window(2191), 4382u);
    EXPECT_EQ(rfc5681_initial_window(2190), 6570u);
    EXPECT_EQ(rfc5681_initial_window(1460), 4380u);
    EXPECT_EQ(rfc5681_initial_window(1096), 3288u);
    EXPECT_EQ(rfc5681_initial_window(1095), 4380u);
    EXPECT_EQ(rfc5681_initial_window(536), 2144u);
    EXPECT_EQ(initial_window(1460, 0), 4380u);
    EXPECT_EQ(initial_window(536, 2), 1072u);  // limited to the configured 2 segments
}

TEST(NewReno, StartsWithIw10AndInfiniteSsthresh) {
    NewReno cc{kSmss};
    EXPECT_EQ(cc.algorithm(), CongestionAlgorithm::newreno);
    EXPECT_EQ(cc.cwnd(), 10'000u);
    EXPECT_EQ(cc.ssthresh(), UINT32_MAX);
    EXPECT_TRUE(cc.in_slow_start());
}

TEST(NewReno, SlowStartGrowsByBytesAckedUpToTwoSmssPerAck) {
    NewReno cc{kSmss};
    cc.on_ack(ack(100));  // a small ACK counts only its bytes (RFC 3465 §2.2)
    EXPECT_EQ(cc.cwnd(), 10'100u);
    cc.on_ack(ack(1000));
    EXPECT_EQ(cc.cwnd(), 11'100u);
    cc.on_ack(ack(2000));  // a delayed ACK of two segments: L = 2*SMSS
    EXPECT_EQ(cc.cwnd(), 13'100u);
    cc.on_ack(ack(5000));  // a stretch ACK: still at most L = 2*SMSS
    EXPECT_EQ(cc.cwnd(), 15'100u);
}

TEST(NewReno, SlowStartDoublesPerRoundTripWithDelayedAcks) {
    NewReno cc{kSmss};
    for (int i = 0; i < 5; ++i) cc.on_ack(ack(2 * kSmss));  // 10 segments, 5 delayed ACKs
    EXPECT_EQ(cc.cwnd(), 20'000u);
    for (int i = 0; i < 10; ++i) cc.on_ack(ack(2 * kSmss));
    EXPECT_EQ(cc.cwnd(), 40'000u);
}

TEST(NewReno, CongestionEventHalvesFlightSize) {
    NewReno cc{kSmss};
    cc.on_congestion_event(30'000, kNow);
    // ssthresh = max(FlightSize / 2, 2*SMSS) (RFC 5681 (4)); cwnd = ssthresh here, the
    // +3*SMSS inflation being the connection's.
    EXPECT_EQ(cc.ssthresh(), 15'000u);
    EXPECT_EQ(cc.cwnd(), 15'000u);
    cc.on_congestion_event(3'000, kNow);
    EXPECT_EQ(cc.ssthresh(), 2'000u);  // never below 2*SMSS
    EXPECT_EQ(cc.cwnd(), 2'000u);
}

TEST(NewReno, CongestionAvoidanceGrowsOneSmssPerCwndOfBytesAcked) {
    NewReno cc{kSmss};
    cc.on_congestion_event(20'000, kNow);  // cwnd = ssthresh = 10 segments
    ASSERT_FALSE(cc.in_slow_start());
    for (int i = 0; i < 9; ++i) cc.on_ack(ack(kSmss));
    EXPECT_EQ(cc.cwnd(), 10'000u);  // 9000 bytes acked < cwnd
    EXPECT_EQ(cc.bytes_acked(), 9'000u);
    cc.on_ack(ack(kSmss));  // bytes_acked reaches cwnd: +1 SMSS, bytes_acked -= cwnd
    EXPECT_EQ(cc.cwnd(), 11'000u);
    EXPECT_EQ(cc.bytes_acked(), 0u);
    // Now 11000 bytes are needed; partial ACKs count by bytes.
    for (int i = 0; i < 21; ++i) cc.on_ack(ack(500));
    EXPECT_EQ(cc.cwnd(), 11'000u);
    cc.on_ack(ack(700));  // 11200 >= 11000: grow, keep the 200 left over
    EXPECT_EQ(cc.cwnd(), 12'000u);
    EXPECT_EQ(cc.bytes_acked(), 200u);
}

TEST(NewReno, RecoveryEndDeflatesToSsthresh) {
    NewReno cc{kSmss};
    cc.on_congestion_event(40'000, kNow);
    cc.on_recovery_end(kNow);
    EXPECT_EQ(cc.cwnd(), 20'000u);
    EXPECT_EQ(cc.ssthresh(), 20'000u);
}

TEST(NewReno, RtoSetsLossWindowAndSlowStartsWithL1) {
    NewReno cc{kSmss};
    cc.on_rto(16'000, kNow);
    EXPECT_EQ(cc.ssthresh(), 8'000u);
    EXPECT_EQ(cc.cwnd(), 1'000u);  // the loss window
    // RFC 3465 §2.3: L = 1*SMSS in the slow start after an RTO.
    cc.on_ack(ack(2000));
    EXPECT_EQ(cc.cwnd(), 2'000u);
    cc.on_repeated_rto(kNow);  // the retransmission timed out again: ssthresh held
    EXPECT_EQ(cc.ssthresh(), 8'000u);
    EXPECT_EQ(cc.cwnd(), 1'000u);
    for (int i = 0; i < 7; ++i) cc.on_ack(ack(2000));
    EXPECT_EQ(cc.cwnd(), 8'000u);  // reached ssthresh: congestion avoidance from here
    EXPECT_FALSE(cc.in_slow_start());
    for (int i = 0; i < 4; ++i) cc.on_ack(ack(2000));
    EXPECT_EQ(cc.cwnd(), 9'000u);  // 8000 bytes acked: one SMSS
}

TEST(NewReno, SlowStartStopsAtSsthreshAndCountsTheRestForAvoidance) {
    NewReno cc{kSmss};
    cc.on_congestion_event(30'000, kNow);  // ssthresh = cwnd = 15000
    cc.on_idle_restart(kNow);              // cwnd = min(15000, IW 10000)
    EXPECT_EQ(cc.cwnd(), 10'000u);
    cc.on_ack(ack(2000));
    cc.on_ack(ack(2000));
    EXPECT_EQ(cc.cwnd(), 14'000u);
    cc.on_ack(ack(2000));  // 1000 to reach ssthresh, 1000 into bytes_acked
    EXPECT_EQ(cc.cwnd(), 15'000u);
    EXPECT_EQ(cc.bytes_acked(), 1'000u);
}

TEST(NewReno, IdleRestartNeverRaisesTheWindow) {
    NewReno cc{kSmss};
    cc.on_rto(100'000, kNow);  // cwnd 1000
    cc.on_idle_restart(kNow);
    EXPECT_EQ(cc.cwnd(), 1'000u);
}

TEST(NewReno, SetMssResetsTheInitialWindow) {
    NewReno cc{536};
    EXPECT_EQ(cc.cwnd(), 5'360u);
    cc.set_mss(1460);
    EXPECT_EQ(cc.smss(), 1460u);
    EXPECT_EQ(cc.cwnd(), 14'600u);
    cc.on_congestion_event(10'000, kNow);
    EXPECT_EQ(cc.ssthresh(), 5'000u);
}

TEST(CongestionFactory, BuildsTheConfiguredAlgorithm) {
    auto reno = make_congestion_control({CongestionAlgorithm::newreno, 10}, 1460);
    EXPECT_EQ(reno->algorithm(), CongestionAlgorithm::newreno);
    EXPECT_EQ(reno->cwnd(), 14'600u);
    auto cubic = make_congestion_control({}, 1460);
    EXPECT_EQ(cubic->algorithm(), CongestionAlgorithm::cubic);
    EXPECT_EQ(cubic->cwnd(), 14'600u);
    auto classic = make_congestion_control({CongestionAlgorithm::newreno, 0}, 1460);
    EXPECT_EQ(classic->cwnd(), 4'380u);
}

}  // namespace
}  // namespace shunt::tcp
