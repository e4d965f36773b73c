// The HTTP service end to end over bytes: exact responses, the /bytes pattern, /sink digests
// checked against SHA-256 values from an independent tool, pipelining and keep-alive, and
// the same output however the input is split and the output buffers are sized.
#include "stack/app/http_server.hpp"

#include "split_feed.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::app {
namespace {

using testing::feed_split;
using testing::split_patterns;

// Drives a session like a transport would: received bytes wait in `pending` until the
// session takes them; output is drained into buffers of out_piece bytes.
class Connection {
  public:
    explicit Connection(size_t out_piece = 1460, HttpServerConfig config = {})
        : session_(config), buf_(out_piece) {}

    void receive(std::string_view piece) {
        pending_ += piece;
        pump();
    }
    // FIN from the peer, once every byte before it has been taken.
    void peer_closes() {
        pump();
        if (pending_.empty()) session_.on_peer_closed();
        pump();
    }
    const std::string& output() const { return out_; }
    bool closed() const { return session_.should_close(); }
    const HttpSession& session() const { return session_; }

  private:
    void pump() {
        for (;;) {
            bool progress = false;
            const size_t n = session_.on_receive(
                {reinterpret_cast<const uint8_t*>(pending_.data()), pending_.size()});
            if (n > 0) {
                pending_.erase(0, n);
                progress = true;
            }
            while (size_t m = session_.produce(buf_)) {
                out_.append(reinterpret_cast<const char*>(buf_.data()), m);
                progress = true;
            }
            if (!progress) return;
        }
    }

    HttpSession session_;
    std::vector<uint8_t> buf_;
    std::string pending_;
    std::string out_;
};

std::string serve(std::string_view input, size_t out_piece = 1460) {
    Connection c{out_piece};
    c.receive(input);
    c.peer_closes();
    EXPECT_TRUE(c.closed());
    return c.output();
}

std::string pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i % 251);
    return s;
}

TEST(HttpServer, GetBytesSendsThePattern) {
    EXPECT_EQ(serve("GET /bytes/300 HTTP/1.1\r\nHost: h\r\n\r\n"),
              "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
              "Content-Length: 300\r\n\r\n" +
                  pattern(300));
}

TEST(HttpServer, GetBytesZeroAndLargeInSmallPieces) {
    EXPECT_EQ(serve("GET /bytes/0 HTTP/1.1\r\nHost: h\r\n\r\n"),
              "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
              "Content-Length: 0\r\n\r\n");
    const std::string out = serve("GET /bytes/100000 HTTP/1.1\r\nHost: h\r\n\r\n", 7);
    const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        "Content-Length: 100000\r\n\r\n";
    ASSERT_EQ(out.size(), head.size() + 100000);
    EXPECT_EQ(out.substr(0, head.size()), head);
    EXPECT_EQ(out.substr(head.size()), pattern(100000));
}

TEST(HttpServer, HeadBytesHasTheHeadersOnly) {
    EXPECT_EQ(serve("HEAD /bytes/1073741824 HTTP/1.1\r\nHost: h\r\n\r\n"),
              "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
              "Content-Length: 1073741824\r\n\r\n");
}

TEST(HttpServer, OneGigabyteIsProducedWithoutHoldingIt) {
    HttpSession s;
    const std::string_view req =
        "GET /bytes/1073741824 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(s.on_receive({reinterpret_cast<const uint8_t*>(req.data()), req.size()}), req.size());
    const std::string_view head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        "Content-Length: 1073741824\r\nConnection: close\r\n\r\n";
    std::vector<uint8_t> buf(64 * 1024);
    size_t n = s.produce(buf);
    ASSERT_EQ(std::string_view(reinterpret_cast<const char*>(buf.data()), head.size()), head);
    uint64_t body = n - head.size();
    uint64_t mismatches = 0;
    while ((n = s.produce(buf)) > 0) {
        // Spot-check the first and last byte of each piece against i mod 251.
        mismatches += buf[0] != body % 251;
        mismatches += buf[n - 1] != (body + n - 1) % 251;
        body += n;
    }
    EXPECT_EQ(body, uint64_t{1} << 30);
    EXPECT_EQ(mismatches, 0u);
    EXPECT_TRUE(s.should_close());
}

TEST(HttpServer, SinkHashesAContentLengthBody) {
    const std::string json =
        R"({"bytes":11,"sha256":"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"})";
    EXPECT_EQ(serve("POST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"),
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                  std::to_string(json.size()) + "\r\n\r\n" + json);
}

TEST(HttpServer, SinkHashesAChunkedBody) {
    const std::string out = serve(
        "POST /sink HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n");
    EXPECT_NE(
        out.find(
            R"({"bytes":24,"sha256":"a5360f0c9b9cf618cce6f82223e538c2772506c3149bd57e436dccd70bdff3ba"})"),
        std::string::npos)
        << out;
}

TEST(HttpServer, SinkOfAMegabyteInAnySegmentSize) {
    const std::string body = pattern(1 << 20);
    const std::string req =
        "POST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n" + body;
    const std::string want =
        R"({"bytes":1048576,"sha256":"631b84027d6b9e52b539c4e8373622d23032dfadc64d60af87339c9037e4f769"})";
    for (size_t segment : {1u, 536u, 1448u, 65536u}) {
        Connection c;
        for (size_t at = 0; at < req.size(); at += segment)
            c.receive(std::string_view(req).substr(at, segment));
        EXPECT_NE(c.output().find(want), std::string::npos) << segment;
    }
}

TEST(HttpServer, EmptySinkBody) {
    EXPECT_NE(
        serve("POST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
            .find(
                R"({"bytes":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"})"),
        std::string::npos);
}

TEST(HttpServer, UnknownPathAndMethodKeepTheConnection) {
    Connection c;
    c.receive("GET /nope HTTP/1.1\r\nHost: h\r\n\r\n");
    c.receive("DELETE /bytes/5 HTTP/1.1\r\nHost: h\r\n\r\n");
    c.receive("GET /sink HTTP/1.1\r\nHost: h\r\n\r\n");
    c.receive("HEAD /nope HTTP/1.1\r\nHost: h\r\n\r\n");
    c.receive("GET /bytes/x1 HTTP/1.1\r\nHost: h\r\n\r\n");
    c.receive("GET /bytes/2 HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_FALSE(c.closed());
    const std::string not_found = "no such resource; try GET /bytes/N or POST /sink\n";
    const std::string not_allowed = "method not allowed for this resource\n";
    const std::string bad_n = "N in /bytes/N must be a decimal byte count within the limit\n";
    EXPECT_EQ(
        c.output(),
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: " +
            std::to_string(not_found.size()) + "\r\n\r\n" + not_found +
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: " +
            std::to_string(not_allowed.size()) + "\r\nAllow: GET, HEAD\r\n\r\n" + not_allowed +
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: " +
            std::to_string(not_allowed.size()) + "\r\nAllow: POST\r\n\r\n" + not_allowed +
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: " +
            std::to_string(not_found.size()) + "\r\n\r\n" +  // HEAD: no body
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " +
            std::to_string(bad_n.size()) + "\r\n\r\n" + bad_n +
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            "Content-Length: 2\r\n\r\n" +
            pattern(2));
    EXPECT_EQ(c.session().responses(), 6u);
}

TEST(HttpServer, MalformedRequestGetsTheReasonAndCloses) {
    Connection c;
    c.receive("GET / HTTP/1.1\r\nHost : h\r\n\r\nGET /bytes/1 HTTP/1.1\r\nHost: h\r\n\r\n");
    const std::string reason = "malformed header field name\n";
    EXPECT_EQ(c.output(),
              "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " +
                  std::to_string(reason.size()) + "\r\nConnection: close\r\n\r\n" + reason);
    EXPECT_TRUE(c.closed());
}

TEST(HttpServer, OversizedHeadersGet431) {
    HttpServerConfig config;
    config.limits.max_header_bytes = 200;
    Connection c{1460, config};
    c.receive("GET / HTTP/1.1\r\nHost: h\r\nCookie: " + std::string(500, 'c') + "\r\n\r\n");
    EXPECT_EQ(c.output().find("HTTP/1.1 431 Request Header Fields Too Large\r\n"), 0u);
    EXPECT_NE(c.output().find("request header section larger than the limit\n"), std::string::npos);
    EXPECT_TRUE(c.closed());
}

TEST(HttpServer, BodyOverTheLimitGets413) {
    HttpServerConfig config;
    config.limits.max_body_bytes = 10;
    Connection c{1460, config};
    c.receive("POST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world");
    EXPECT_EQ(c.output().find("HTTP/1.1 413 Content Too Large\r\n"), 0u);
    EXPECT_TRUE(c.closed());
}

TEST(HttpServer, Http10ClosesUnlessKeepAlive) {
    Connection c;
    c.receive("GET /bytes/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_FALSE(c.closed());
    c.receive("GET /bytes/1 HTTP/1.0\r\n\r\n");
    EXPECT_TRUE(c.closed());
    const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1\r\n";
    EXPECT_EQ(c.output(), head + "Connection: keep-alive\r\n\r\n" + pattern(1) + head +
                              "Connection: close\r\n\r\n" + pattern(1));
}

TEST(HttpServer, ConnectionCloseIsHonouredAfterTheResponse) {
    Connection c;
    c.receive(
        "GET /bytes/3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /bytes/4 "
        "HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_TRUE(c.closed());
    EXPECT_EQ(c.session().responses(), 1u);
    EXPECT_NE(c.output().find("Connection: close\r\n"), std::string::npos);
}

TEST(HttpServer, ExpectContinueGetsAnInterimResponseFirst) {
    Connection c;
    c.receive(
        "POST /sink HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    EXPECT_EQ(c.output(), "HTTP/1.1 100 Continue\r\n\r\n");
    c.receive("abc");
    EXPECT_NE(
        c.output().find(
            R"({"bytes":3,"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"})"),
        std::string::npos);
}

TEST(HttpServer, FinMidRequestClosesWithoutAResponse) {
    Connection c;
    c.receive("POST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
    c.peer_closes();
    EXPECT_TRUE(c.closed());
    EXPECT_EQ(c.output(), "");
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrderUnderEverySplit) {
    const std::string input =
        "GET /bytes/5 HTTP/1.1\r\nHost: h\r\n\r\n"
        "POST /sink HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        "HEAD /bytes/9 HTTP/1.1\r\nHost: h\r\n\r\n"
        "POST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
        "GET /missing HTTP/1.1\r\nHost: h\r\n\r\n";
    const std::string want = serve(input);
    EXPECT_EQ(want.find("HTTP/1.1 200 OK\r\nContent-Type: "
                        "application/octet-stream\r\nContent-Length: 5\r\n\r\n" +
                        pattern(5) + "HTTP/1.1 200"),
              0u);
    EXPECT_NE(want.find("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
              std::string::npos);
    EXPECT_NE(want.find("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
              std::string::npos);
    EXPECT_LT(want.find("ba7816bf"), want.find("b94d27b9"));
    EXPECT_EQ(want.rfind("HTTP/1.1 404 Not Found"), want.find("HTTP/1.1 404"));
    for (const auto& split : split_patterns(input.size(), false)) {
        for (size_t out_piece : {1u, 1460u}) {
            if (out_piece == 1 && split.size() > 3 && split.size() < input.size()) continue;
            Connection c{out_piece};
            feed_split(input, split, [&](std::string_view p) { c.receive(p); });
            c.peer_closes();
            ASSERT_EQ(c.output(), want) << "pieces " << split.size() << " out " << out_piece;
            ASSERT_TRUE(c.closed());
            ASSERT_EQ(c.session().responses(), 5u);
        }
    }
}

TEST(HttpServer, MutatedRequestsBehaveTheSameHoweverTheyArrive) {
    // Seeded mutations (flips, insertions, deletions) of a valid pipelined stream: whatever
    // the parser makes of them, splitting the input and the output must not change it.
    const std::string base =
        "GET /bytes/7 HTTP/1.1\r\nHost: h\r\n\r\n"
        "POST /sink HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n"
        "0\r\nT: x\r\n\r\nPOST /sink HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        "HEAD /bytes/2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    const std::string alphabet = "\r\n :;0123456789abcdefABCDEF/-GETPOSTHEADchunked\t\x7f\x80";
    std::mt19937 rng{20261122};
    for (int trial = 0; trial < 400; ++trial) {
        std::string input = base;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !input.empty(); ++e) {
            const size_t at = rng() % input.size();
            const char c = alphabet[rng() % alphabet.size()];
            switch (rng() % 3) {
                case 0:
                    input[at] = c;
                    break;
                case 1:
                    input.insert(at, 1, c);
                    break;
                default:
                    input.erase(at, 1);
                    break;
            }
        }
        const std::string want = serve(input);
        Connection whole_closed{1460};
        whole_closed.receive(input);
        whole_closed.peer_closes();
        std::vector<size_t> pattern;
        for (size_t left = input.size(); left > 0;) {
            const size_t n = std::min<size_t>(left, 1 + rng() % 17);
            pattern.push_back(n);
            left -= n;
        }
        Connection c{1 + rng() % 40};
        feed_split(input, pattern, [&](std::string_view p) { c.receive(p); });
        c.peer_closes();
        ASSERT_EQ(c.output(), want) << "trial " << trial;
        ASSERT_EQ(c.closed(), whole_closed.closed()) << "trial " << trial;
        ASSERT_EQ(c.session().responses(), whole_closed.session().responses()) << trial;
    }
}

}  // namespace
}  // namespace shunt::app
