// The token bucket behind the ICMP error limit and TCP's RFC 5961 §7 reply limits.
#include "stack/iface/token_bucket.hpp"

#include <gtest/gtest.h>

namespace shunt {
namespace {

const Instant kT0 = Instant::from_millis(1000);

size_t take_all(TokenBucket& b, Instant now, size_t max = 1'000'000) {
    size_t n = 0;
    while (n < max && b.take(now)) ++n;
    return n;
}

TEST(TokenBucket, BurstThenRate) {
    TokenBucket b(100, 20);  // 100 per second, burst 20
    EXPECT_EQ(take_all(b, kT0), 20u);
    EXPECT_EQ(take_all(b, kT0 + Duration(9'999)), 0u);  // one token needs 10 ms
    EXPECT_EQ(take_all(b, kT0 + Duration(10'000)), 1u);
    EXPECT_EQ(take_all(b, kT0 + Duration(110'000)), 10u);
    EXPECT_EQ(take_all(b, kT0 + std::chrono::seconds(100)), 20u) << "never above the burst";
}

TEST(TokenBucket, ALargeRateAfterALongIdleSpellRefillsToTheBurst) {
    TokenBucket b(4'000'000'000u, 10);
    EXPECT_EQ(take_all(b, kT0), 10u);
    // 2^53 us times 4e9 (= 2^11 x 5^9) is 0 modulo 2^64: a product that wraps would add
    // nothing and leave the bucket empty.
    EXPECT_EQ(take_all(b, kT0 + Duration(int64_t{1} << 53)), 10u);
}

TEST(TokenBucket, RateZeroNeverRefills) {
    TokenBucket b(0, 3);
    EXPECT_EQ(take_all(b, kT0), 3u);
    EXPECT_EQ(take_all(b, kT0 + std::chrono::hours(1)), 0u);
}

TEST(TokenBucket, TimeGoingBackwardsGivesNothing) {
    TokenBucket b(1000, 1);
    EXPECT_EQ(take_all(b, kT0), 1u);
    EXPECT_EQ(take_all(b, kT0 - Duration(500'000)), 0u);
    EXPECT_EQ(take_all(b, kT0 + Duration(1'000)), 1u);
}

}  // namespace
}  // namespace shunt
