// shuntctl's JSON writer: escaping, nesting, stable key order.
#include "tools/shuntctl/json.hpp"

#include <gtest/gtest.h>

namespace shunt::cli {
namespace {

TEST(Json, Scalars) {
    EXPECT_EQ(Json().dump(), "null");
    EXPECT_EQ(Json(true).dump(), "true");
    EXPECT_EQ(Json(-3).dump(), "-3");
    EXPECT_EQ(Json(uint64_t{18446744073709551615u}).dump(), "18446744073709551615");
    EXPECT_EQ(Json("a\"b\\c\n\x01").dump(), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(Json, NestedKeepsInsertionOrder) {
    Json j = Json::object().set("z", 1).set("a", Json::array().push("x").push(Json::object()));
    EXPECT_EQ(j.dump(), "{\n  \"z\": 1,\n  \"a\": [\n    \"x\",\n    {}\n  ]\n}");
    EXPECT_EQ(Json::array().dump(), "[]");
}

}  // namespace
}  // namespace shunt::cli
