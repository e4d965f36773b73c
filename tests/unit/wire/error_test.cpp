#include "stack/wire/error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string_view>

namespace shunt::wire {
namespace {

TEST(WireError, EveryValueHasItsOwnName) {
    std::set<std::string_view> names;
    for (int i = 0; i <= static_cast<int>(Error::bad_option); ++i) {
        const auto name = to_string(static_cast<Error>(i));
        EXPECT_NE(name, "unknown") << i;
        names.insert(name);
    }
    EXPECT_EQ(names.size(), static_cast<size_t>(Error::bad_option) + 1);
    EXPECT_EQ(to_string(Error::bad_checksum), "bad_checksum");
    EXPECT_EQ(to_string(Error::bad_option), "bad_option");
    EXPECT_EQ(to_string(static_cast<Error>(200)), "unknown");
}

TEST(WireError, ParsedOkOnlyWithoutError) {
    EXPECT_TRUE(Parsed<int>{7}.ok());
    EXPECT_EQ(Parsed<int>{7}.value, 7);
    const Parsed<int> bad{{}, Error::truncated};
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(bad.value, 0);
}

}  // namespace
}  // namespace shunt::wire
