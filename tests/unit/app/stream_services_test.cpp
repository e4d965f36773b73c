// Echo (RFC 862) and discard (RFC 863) sessions.
#include "stack/app/stream_services.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace shunt::app {
namespace {

TEST(Echo, SendsBackEverythingInOrderAcrossTheRingWrap) {
    EchoSession echo{100};
    std::vector<uint8_t> in(1000);
    std::iota(in.begin(), in.end(), uint8_t{0});
    std::vector<uint8_t> out;
    size_t fed = 0;
    std::vector<uint8_t> buf(37);
    while (out.size() < in.size()) {
        fed += echo.on_receive(
            std::span<const uint8_t>(in).subspan(fed, std::min<size_t>(61, in.size() - fed)));
        const size_t n = echo.produce(buf);
        out.insert(out.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n));
    }
    EXPECT_EQ(out, in);
    EXPECT_EQ(echo.bytes_echoed(), 1000u);
    EXPECT_FALSE(echo.has_output());
}

TEST(Echo, FullRingTakesNoMore) {
    EchoSession echo{10};
    const std::vector<uint8_t> in(25, 0xab);
    EXPECT_EQ(echo.on_receive(in), 10u);
    EXPECT_EQ(echo.on_receive(in), 0u);
    std::vector<uint8_t> buf(4);
    EXPECT_EQ(echo.produce(buf), 4u);
    EXPECT_EQ(echo.on_receive(in), 4u);
}

TEST(Echo, ClosesAfterFinOnceDrained) {
    EchoSession echo;
    const std::vector<uint8_t> in{1, 2, 3};
    echo.on_receive(in);
    echo.on_peer_closed();
    EXPECT_FALSE(echo.should_close());
    std::vector<uint8_t> buf(8);
    EXPECT_EQ(echo.produce(buf), 3u);
    EXPECT_TRUE(echo.should_close());
}

TEST(Discard, TakesEverythingAndSendsNothing) {
    DiscardSession d;
    const std::vector<uint8_t> in(5000, 7);
    EXPECT_EQ(d.on_receive(in), 5000u);
    std::vector<uint8_t> buf(100);
    EXPECT_EQ(d.produce(buf), 0u);
    EXPECT_EQ(d.bytes_discarded(), 5000u);
    EXPECT_FALSE(d.should_close());
    d.on_peer_closed();
    EXPECT_TRUE(d.should_close());
}

}  // namespace
}  // namespace shunt::app
