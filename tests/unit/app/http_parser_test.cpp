// The HTTP/1.1 request parser against RFC 9112: each request is parsed into a transcript of
// its events, which must come out the same however the bytes are split.
#include "stack/app/http_parser.hpp"

#include "split_feed.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace shunt::app {
namespace {

using namespace std::string_literals;
using testing::feed_split;
using testing::split_patterns;

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Parses a stream of pipelined requests; the transcript names each event (body bytes of a
// message joined, whatever pieces they came in).
class Transcriber {
  public:
    explicit Transcriber(HttpLimits limits = {}) : parser_(limits) {}

    void feed(std::string_view piece) {
        pending_ += piece;
        std::span<const uint8_t> in = bytes(pending_);
        while (!failed_) {
            const HttpStep s = parser_.step(in);
            in = in.subspan(s.consumed);
            if (s.event == HttpEvent::need_more) {
                if (in.empty()) break;
                continue;
            }
            record(s);
        }
        pending_.erase(0, pending_.size() - in.size());
    }
    const std::string& transcript() const { return out_; }

  private:
    void record(const HttpStep& s) {
        const HttpRequestHead& h = parser_.head();
        switch (s.event) {
            case HttpEvent::head:
                out_ += "head " + std::string(h.method_text) + " " + std::string(h.path) + " 1." +
                        std::to_string(h.version_minor) +
                        (h.keep_alive ? " keep-alive" : " close") +
                        (h.expect_continue ? " expect-100" : "") +
                        (h.framing == BodyFraming::chunked ? " chunked"
                         : h.framing == BodyFraming::content_length
                             ? " length " + std::to_string(h.content_length)
                             : "") +
                        " fields " + std::to_string(h.fields.size()) + "\n";
                break;
            case HttpEvent::body:
                body_.append(reinterpret_cast<const char*>(s.body.data()), s.body.size());
                break;
            case HttpEvent::end:
                out_ += "body [" + body_ + "]\nend\n";
                body_.clear();
                parser_.reset();
                break;
            case HttpEvent::error:
                out_ += "error " + std::to_string(parser_.error().status) + " " +
                        std::string(parser_.error().reason) + "\n";
                failed_ = true;
                break;
            case HttpEvent::need_more:
                break;
        }
    }

    HttpRequestParser parser_;
    std::string pending_;  // bytes offered but not yet consumed
    std::string body_;
    std::string out_;
    bool failed_ = false;
};

// The transcript of `input` fed whole, checked equal under every split pattern.
std::string parse_all_splits(std::string_view input, HttpLimits limits = {}) {
    Transcriber whole{limits};
    whole.feed(input);
    const bool pairs = input.size() <= 160;
    for (const auto& pattern : split_patterns(input.size(), pairs)) {
        Transcriber t{limits};
        feed_split(input, pattern, [&](std::string_view p) { t.feed(p); });
        EXPECT_EQ(t.transcript(), whole.transcript()) << "split into " << pattern.size();
        if (t.transcript() != whole.transcript()) break;
    }
    return whole.transcript();
}

TEST(HttpParser, SimpleGet) {
    HttpRequestParser p;
    const std::string_view req =
        "GET /bytes/10?x=1 HTTP/1.1\r\nHost: example\r\nUser-Agent:  curl/7.88 \r\n\r\n";
    const HttpStep s = p.step(bytes(req));
    ASSERT_EQ(s.event, HttpEvent::head);
    EXPECT_EQ(s.consumed, req.size());
    const HttpRequestHead& h = p.head();
    EXPECT_EQ(h.method, HttpMethod::get);
    EXPECT_EQ(h.target, "/bytes/10?x=1");
    EXPECT_EQ(h.path, "/bytes/10");
    EXPECT_EQ(h.version_minor, 1);
    EXPECT_TRUE(h.keep_alive);
    ASSERT_EQ(h.fields.size(), 2u);
    ASSERT_NE(h.find("user-agent"), nullptr);
    EXPECT_EQ(h.find("USER-AGENT")->value, "curl/7.88");  // OWS trimmed
    EXPECT_EQ(p.step({}).event, HttpEvent::end);
    EXPECT_EQ(parse_all_splits(req), "head GET /bytes/10 1.1 keep-alive fields 2\nbody []\nend\n");
}

TEST(HttpParser, ContentLengthBody) {
    EXPECT_EQ(parse_all_splits("POST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n"
                               "hello world"),
              "head POST /sink 1.1 keep-alive length 11 fields 2\nbody [hello world]\nend\n");
}

TEST(HttpParser, ChunkedBodyWithExtensionsAndTrailers) {
    EXPECT_EQ(
        parse_all_splits("POST /sink HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "4;name=value\r\nWiki\r\n"
                         "6\r\npedia \r\n"
                         "E \r\nin \r\n\r\nchunks.\r\n"
                         "0\r\nExpires: never\r\n\r\n"),
        "head POST /sink 1.1 keep-alive chunked fields 2\n"
        "body [Wikipedia in \r\n\r\nchunks.]\nend\n");
}

TEST(HttpParser, PipelinedRequests) {
    EXPECT_EQ(parse_all_splits("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                               "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
                               "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "2\r\nok\r\n0\r\n\r\n"
                               "GET /d HTTP/1.0\r\n\r\n"),
              "head GET /a 1.1 keep-alive fields 1\nbody []\nend\n"
              "head POST /b 1.1 keep-alive length 3 fields 2\nbody [xyz]\nend\n"
              "head POST /c 1.1 keep-alive chunked fields 2\nbody [ok]\nend\n"
              "head GET /d 1.0 close fields 0\nbody []\nend\n");
}

TEST(HttpParser, LeadingEmptyLinesAndBareLfAreAccepted) {
    // RFC 9112 §2.2: empty lines before the request line are ignored; a bare LF may end a
    // line.
    EXPECT_EQ(parse_all_splits("\r\n\nGET / HTTP/1.1\nHost: h\n\n"),
              "head GET / 1.1 keep-alive fields 1\nbody []\nend\n");
}

TEST(HttpParser, AbsoluteFormAndAsteriskTargets) {
    EXPECT_EQ(parse_all_splits("GET http://example.com/bytes/3?q HTTP/1.1\r\nHost: e\r\n\r\n"
                               "OPTIONS * HTTP/1.1\r\nHost: e\r\n\r\n"
                               "GET http://example.com HTTP/1.1\r\nHost: e\r\n\r\n"),
              "head GET /bytes/3 1.1 keep-alive fields 1\nbody []\nend\n"
              "head OPTIONS * 1.1 keep-alive fields 1\nbody []\nend\n"
              "head GET / 1.1 keep-alive fields 1\nbody []\nend\n");
}

TEST(HttpParser, PersistenceFollowsRfc9112Section9_3) {
    EXPECT_EQ(parse_all_splits("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, Close\r\n\r\n"
                               "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                               "GET / HTTP/1.0\r\n\r\n"
                               "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n"),
              "head GET / 1.1 close fields 2\nbody []\nend\n"
              "head GET / 1.0 keep-alive fields 1\nbody []\nend\n"
              "head GET / 1.0 close fields 0\nbody []\nend\n"
              "head GET / 1.1 keep-alive fields 2\nbody []\nend\n");
}

TEST(HttpParser, ExpectContinueAndIdenticalContentLengths) {
    EXPECT_EQ(parse_all_splits("POST /sink HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
                               "Content-Length: 2, 2\r\nContent-Length: 2\r\n\r\nab"),
              "head POST /sink 1.1 keep-alive expect-100 length 2 fields 4\nbody [ab]\nend\n");
}

struct BadRequest {
    std::string_view name;
    std::string request;
    uint16_t status;
};

class HttpParserRejects : public ::testing::TestWithParam<BadRequest> {};

TEST_P(HttpParserRejects, WithTheRightStatus) {
    const BadRequest& c = GetParam();
    HttpLimits limits;
    limits.max_request_line = 64;
    limits.max_header_bytes = 256;
    limits.max_headers = 4;
    limits.max_body_bytes = 1000;
    limits.max_chunk_line = 32;
    const std::string t = parse_all_splits(c.request, limits);
    const std::string want = "error " + std::to_string(c.status) + " ";
    ASSERT_NE(t.find(want), std::string::npos) << t;
    EXPECT_EQ(t.find("end\n"), std::string::npos) << t;  // no request got through
}

const std::string kHost = "Host: h\r\n";

INSTANTIATE_TEST_SUITE_P(
    Rfc9112, HttpParserRejects,
    ::testing::Values(
        BadRequest{"DoubleSpace", "GET  / HTTP/1.1\r\n" + kHost + "\r\n", 400},
        BadRequest{"NoVersion", "GET /\r\n" + kHost + "\r\n", 400},
        BadRequest{"LowercaseVersion", "GET / http/1.1\r\n" + kHost + "\r\n", 400},
        BadRequest{"Http2", "GET / HTTP/2.0\r\n" + kHost + "\r\n", 505},
        BadRequest{"BadMethod", "G(T / HTTP/1.1\r\n" + kHost + "\r\n", 400},
        BadRequest{"RelativeTarget", "GET bytes HTTP/1.1\r\n" + kHost + "\r\n", 400},
        BadRequest{"NoHost", "GET / HTTP/1.1\r\n\r\n", 400},
        BadRequest{"TwoHosts", "GET / HTTP/1.1\r\n" + kHost + kHost + "\r\n", 400},
        BadRequest{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
        BadRequest{"NoColon", "GET / HTTP/1.1\r\n" + kHost + "Bogus\r\n\r\n", 400},
        BadRequest{"ObsFold", "GET / HTTP/1.1\r\n" + kHost + "X: a\r\n b\r\n\r\n", 400},
        BadRequest{"BareCr", "GET / HTTP/1.1\r\n" + kHost + "X: a\rb\r\n\r\n", 400},
        BadRequest{"NulInValue", "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"s, 400},
        BadRequest{"ConflictingLengths",
                   "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
                   400},
        BadRequest{"NegativeLength", "POST / HTTP/1.1\r\n" + kHost + "Content-Length: -1\r\n\r\n",
                   400},
        BadRequest{"LengthAndChunked",
                   "POST / HTTP/1.1\r\n" + kHost +
                       "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                   400},
        BadRequest{"ChunkedNotLast",
                   "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
        BadRequest{"GzipChunked",
                   "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501},
        BadRequest{"ChunkedInHttp10",
                   "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        BadRequest{"UnknownExpectation", "GET / HTTP/1.1\r\n" + kHost + "Expect: magic\r\n\r\n",
                   417},
        BadRequest{"RequestLineTooLong", "GET /" + std::string(80, 'a') + " HTTP/1.1\r\n", 414},
        BadRequest{"HeadersTooLarge",
                   "GET / HTTP/1.1\r\n" + kHost + "X: " + std::string(300, 'a') + "\r\n\r\n", 431},
        BadRequest{"TooManyHeaders",
                   "GET / HTTP/1.1\r\n" + kHost + "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431},
        BadRequest{"LengthOverLimit",
                   "POST / HTTP/1.1\r\n" + kHost + "Content-Length: 1001\r\n\r\n", 413},
        BadRequest{"ChunksOverLimit",
                   "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked\r\n\r\n" +
                       "3e8\r\n" + std::string(1000, 'x') + "\r\n1\r\n",
                   413},
        BadRequest{"ChunkSizeNotHex",
                   "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
        BadRequest{"ChunkSizeHuge",
                   "POST / HTTP/1.1\r\n" + kHost +
                       "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
                   413},
        BadRequest{"ChunkLongerThanSize",
                   "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
                   400},
        BadRequest{"ChunkExtensionTooLong",
                   "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked\r\n\r\n1;" +
                       std::string(40, 'e') + "\r\n",
                   400},
        BadRequest{"TrailersTooLarge",
                   "POST / HTTP/1.1\r\n" + kHost + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: " +
                       std::string(300, 't') + "\r\n\r\n",
                   431}),
    [](const ::testing::TestParamInfo<BadRequest>& p) { return std::string(p.param.name); });

TEST(HttpParser, ErrorIsSticky) {
    HttpRequestParser p;
    const std::string_view bad = "BAD\r\n\r\n";
    EXPECT_EQ(p.step(bytes(bad)).event, HttpEvent::error);
    EXPECT_EQ(p.error().status, 400);
    p.reset();
    EXPECT_EQ(p.step(bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n")).event, HttpEvent::error);
}

TEST(HttpParser, InMessageFromTheFirstByteToTheEnd) {
    HttpRequestParser p;
    EXPECT_FALSE(p.in_message());
    EXPECT_EQ(p.step(bytes("\r\n")).event, HttpEvent::need_more);  // ignored empty line
    EXPECT_FALSE(p.in_message());
    EXPECT_EQ(p.step(bytes("POST / HTTP/1.1\r\nHo")).event, HttpEvent::need_more);
    EXPECT_TRUE(p.in_message());
    EXPECT_EQ(p.step(bytes("st: h\r\nContent-Length: 1\r\n\r\n")).event, HttpEvent::head);
    EXPECT_TRUE(p.in_message());
    EXPECT_EQ(p.step(bytes("x")).event, HttpEvent::body);
    EXPECT_EQ(p.step({}).event, HttpEvent::end);
    EXPECT_FALSE(p.in_message());
    p.reset();
    EXPECT_FALSE(p.in_message());
}

TEST(HttpParser, BodySpansPointIntoTheInput) {
    HttpRequestParser p;
    const std::string req = "POST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd";
    const auto in = bytes(req);
    const HttpStep head = p.step(in);
    ASSERT_EQ(head.event, HttpEvent::head);
    const HttpStep body = p.step(in.subspan(head.consumed));
    ASSERT_EQ(body.event, HttpEvent::body);
    EXPECT_EQ(body.body.data(), in.data() + head.consumed);  // zero copy
    EXPECT_EQ(body.body.size(), 4u);
}

}  // namespace
}  // namespace shunt::app
