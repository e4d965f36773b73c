// The text of shuntctl's --json output: the same as the hand-written writer it replaced gave
// (scalars, escaping, two-space nesting, keys in insertion order), so scripts see no change.
#include "tools/shuntctl/json.hpp"

#include <gtest/gtest.h>

namespace shunt::cli {
namespace {

TEST(Json, Scalars) {
    EXPECT_EQ(json_text(Json()), "null");
    EXPECT_EQ(json_text(Json(true)), "true");
    EXPECT_EQ(json_text(Json(-3)), "-3");
    EXPECT_EQ(json_text(Json(uint64_t{18446744073709551615u})), "18446744073709551615");
    EXPECT_EQ(json_text(Json("a\"b\\c\n\x01")), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(Json, NestedKeepsInsertionOrder) {
    Json arr = Json::array();
    arr.push_back("x");
    arr.push_back(Json::object());
    const Json j{{"z", 1}, {"a", std::move(arr)}};
    EXPECT_EQ(json_text(j), "{\n  \"z\": 1,\n  \"a\": [\n    \"x\",\n    {}\n  ]\n}");
    EXPECT_EQ(json_text(Json::array()), "[]");
    Json later = Json::object();
    later["b"] = 2;
    later["a"] = nullptr;
    EXPECT_EQ(json_text(later), "{\n  \"b\": 2,\n  \"a\": null\n}");
}

TEST(Json, BadUtf8IsReplacedNotThrown) {
    EXPECT_EQ(json_text(Json(std::string("eth\xff"))), "\"eth\xef\xbf\xbd\"");
}

}  // namespace
}  // namespace shunt::cli
