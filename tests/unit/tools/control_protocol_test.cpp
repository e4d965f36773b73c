// The control socket's wire format (tools/control/protocol.hpp), without a socket: requests
// are checked field by field, replies are versioned and carry the id, lines are bounded.
#include "tools/control/protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace shunt::control {
namespace {

ProtocolError error_of(std::string_view line) {
    auto r = parse_request(line);
    EXPECT_TRUE(std::holds_alternative<ProtocolError>(r)) << line;
    if (auto* e = std::get_if<ProtocolError>(&r)) return *e;
    return ProtocolError{ErrorCode::failed, "", nullptr};
}

TEST(ControlProtocol, ParsesARequestWithIdAndArgs) {
    auto r = parse_request(R"({"v":1,"id":7,"cmd":"capture-start","args":{"filter":"icmp"}})");
    ASSERT_TRUE(std::holds_alternative<Request>(r));
    const Request& q = std::get<Request>(r);
    EXPECT_EQ(q.id, Json(7));
    EXPECT_EQ(q.cmd, "capture-start");
    EXPECT_EQ(q.args["filter"], "icmp");
}

TEST(ControlProtocol, IdAndArgsAreOptionalAndIdMayBeAString) {
    auto r = parse_request(R"({"v":1,"cmd":"hello"})");
    ASSERT_TRUE(std::holds_alternative<Request>(r));
    EXPECT_TRUE(std::get<Request>(r).id.is_null());
    EXPECT_TRUE(std::get<Request>(r).args.is_object());
    auto s = parse_request(R"({"v":1,"id":"abc","cmd":"stats","args":null})");
    ASSERT_TRUE(std::holds_alternative<Request>(s));
    EXPECT_EQ(std::get<Request>(s).id, Json("abc"));
}

TEST(ControlProtocol, RejectsWhatIsNotARequest) {
    EXPECT_EQ(error_of("{not json").code, ErrorCode::malformed);
    EXPECT_EQ(error_of("").code, ErrorCode::malformed);
    EXPECT_EQ(error_of("[1,2]").code, ErrorCode::bad_request);
    EXPECT_EQ(error_of(R"({"cmd":"hello"})").code, ErrorCode::bad_request);  // no v
    EXPECT_EQ(error_of(R"({"v":2,"cmd":"hello"})").code, ErrorCode::unsupported_version);
    EXPECT_EQ(error_of(R"({"v":"1","cmd":"hello"})").code, ErrorCode::unsupported_version);
    EXPECT_EQ(error_of(R"({"v":1})").code, ErrorCode::bad_request);
    EXPECT_EQ(error_of(R"({"v":1,"cmd":""})").code, ErrorCode::bad_request);
    EXPECT_EQ(error_of(R"({"v":1,"cmd":5})").code, ErrorCode::bad_request);
    EXPECT_EQ(error_of(R"({"v":1,"cmd":"x","args":[1]})").code, ErrorCode::bad_request);
    EXPECT_EQ(error_of(R"({"v":1,"id":1.5,"cmd":"x"})").code, ErrorCode::bad_request);
    EXPECT_EQ(error_of(R"({"v":1,"id":{},"cmd":"x"})").code, ErrorCode::bad_request);
}

TEST(ControlProtocol, AnErrorKeepsTheIdWhenItCouldBeRead) {
    EXPECT_EQ(error_of(R"({"v":9,"id":42,"cmd":"x"})").id, Json(42));
}

TEST(ControlProtocol, RepliesAreOneVersionedLine) {
    const std::string ok = reply_ok(Json(3), Json{{"a", 1}});
    EXPECT_EQ(ok, "{\"v\":1,\"id\":3,\"ok\":true,\"result\":{\"a\":1}}\n");
    const std::string err = reply_error(nullptr, ErrorCode::unknown_command, "no 'x'");
    EXPECT_EQ(err,
              "{\"v\":1,\"id\":null,\"ok\":false,\"error\":{\"code\":\"unknown_command\","
              "\"message\":\"no 'x'\"}}\n");
}

TEST(ControlProtocol, AReplyQuotingBadUtf8IsStillJson) {
    const std::string err = reply_error(Json("\xff\xfe"), ErrorCode::bad_args, "\xc3");
    EXPECT_FALSE(Json::parse(err, nullptr, false).is_discarded());
}

TEST(ControlProtocol, IntArgChecksTypeAndRange) {
    const Json args{{"n", 5}, {"neg", -1}, {"s", "x"}, {"big", 1ull << 63}};
    EXPECT_EQ(std::get<std::optional<int64_t>>(int_arg(args, "n", 0, 10)), 5);
    EXPECT_FALSE(std::get<std::optional<int64_t>>(int_arg(args, "absent", 0, 10)).has_value());
    EXPECT_TRUE(std::holds_alternative<ArgError>(int_arg(args, "n", 6, 10)));
    EXPECT_TRUE(std::holds_alternative<ArgError>(int_arg(args, "neg", 0, 10)));
    EXPECT_TRUE(std::holds_alternative<ArgError>(int_arg(args, "s", 0, 10)));
    EXPECT_TRUE(std::holds_alternative<ArgError>(int_arg(args, "big", 0, 10)));
}

TEST(ControlProtocol, StringArgChecksTypeAndLength) {
    const Json args{{"f", "icmp"}, {"n", 1}};
    EXPECT_EQ(std::get<std::optional<std::string>>(string_arg(args, "f", 10)), "icmp");
    EXPECT_TRUE(std::holds_alternative<ArgError>(string_arg(args, "f", 3)));
    EXPECT_TRUE(std::holds_alternative<ArgError>(string_arg(args, "n", 10)));
}

std::string line_of(LineBuffer& b) {
    auto n = b.next();
    if (auto* s = std::get_if<std::string>(&n)) return *s;
    if (std::holds_alternative<LineBuffer::Overflow>(n)) return "<overflow>";
    return "<none>";
}

TEST(LineBuffer, SplitsLinesAcrossFeeds) {
    LineBuffer b(100);
    b.feed("ab");
    EXPECT_EQ(line_of(b), "<none>");
    b.feed("c\r\nde\nf");
    EXPECT_EQ(line_of(b), "abc");
    EXPECT_EQ(line_of(b), "de");
    EXPECT_EQ(line_of(b), "<none>");
    b.feed("\n");
    EXPECT_EQ(line_of(b), "f");
    EXPECT_EQ(b.buffered(), 0u);
}

TEST(LineBuffer, ALineAtTheBoundPassesOneByteMoreOverflows) {
    LineBuffer b(4);
    b.feed("abcd\n");
    EXPECT_EQ(line_of(b), "abcd");
    b.feed("abcde\n");
    EXPECT_EQ(line_of(b), "<overflow>");
    b.feed("x\n");  // unusable after an overflow
    EXPECT_EQ(line_of(b), "<overflow>");
}

TEST(LineBuffer, AnEndlessLineOverflowsWithoutItsNewline) {
    LineBuffer b(8);
    b.feed("0123456");
    EXPECT_EQ(line_of(b), "<none>");
    b.feed("78");
    EXPECT_EQ(line_of(b), "<overflow>");
}

TEST(LineBuffer, MemoryStaysBoundedOverManyLines) {
    LineBuffer b(16);
    for (int i = 0; i < 10000; ++i) {
        b.feed("hello\n");
        EXPECT_EQ(line_of(b), "hello");
    }
    EXPECT_EQ(b.buffered(), 0u);
}

TEST(Hex, RoundTripsAndRejectsBadDigits) {
    const uint8_t bytes[] = {0x00, 0x7f, 0x80, 0xff};
    const std::string h = to_hex(bytes, sizeof(bytes));
    EXPECT_EQ(h, "007f80ff");
    std::string back;
    ASSERT_TRUE(from_hex(h, back));
    EXPECT_EQ(back, std::string("\x00\x7f\x80\xff", 4));
    EXPECT_TRUE(from_hex("AbCd", back));
    EXPECT_FALSE(from_hex("abc", back));
    EXPECT_FALSE(from_hex("zz", back));
}

}  // namespace
}  // namespace shunt::control
