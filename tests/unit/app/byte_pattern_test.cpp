// The /bytes/N body: byte i is i mod 251, whatever pieces the caller asks for.
#include "stack/app/byte_pattern.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace shunt::app {
namespace {

TEST(BytePattern, ByteIIsIMod251) {
    std::vector<uint8_t> out(1000);
    fill_pattern(out, 0);
    for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], i % 251) << i;
    EXPECT_EQ(out[250], 250);
    EXPECT_EQ(out[251], 0);
    EXPECT_EQ(out[502], 0);
}

TEST(BytePattern, AnyOffsetIncludingBeyond4GiB) {
    std::vector<uint8_t> out(600);
    const uint64_t offset = (uint64_t{1} << 32) + 12345;
    fill_pattern(out, offset);
    for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], (offset + i) % 251) << i;
}

TEST(BytePattern, ProducerStopsAtNAndPiecesJoinUp) {
    for (size_t piece : {1u, 7u, 250u, 251u, 252u, 1460u, 9000u}) {
        BytePatternProducer p{10'000};
        std::vector<uint8_t> all;
        std::vector<uint8_t> buf(piece);
        while (!p.done()) {
            const size_t n = p.produce(buf);
            ASSERT_GT(n, 0u);
            all.insert(all.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n));
        }
        ASSERT_EQ(all.size(), 10'000u) << piece;
        for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i % 251) << piece << " " << i;
        EXPECT_EQ(p.produce(buf), 0u);
    }
}

TEST(BytePattern, OneGigabyteNeedsNoGiantBuffer) {
    BytePatternProducer p{uint64_t{1} << 30};
    std::vector<uint8_t> buf(64 * 1024);
    uint64_t total = 0, sum = 0;
    while (!p.done()) {
        const size_t n = p.produce(buf);
        total += n;
        sum += buf[0];
    }
    EXPECT_EQ(total, uint64_t{1} << 30);
    EXPECT_EQ(p.remaining(), 0u);
    // The last piece ends with byte 2^30 - 1, which is (2^30 - 1) mod 251.
    const size_t last = static_cast<size_t>(((uint64_t{1} << 30) - 1) % buf.size());
    EXPECT_EQ(buf[last], ((uint64_t{1} << 30) - 1) % 251);
    EXPECT_GT(sum, 0u);
}

}  // namespace
}  // namespace shunt::app
