// Issue 11: the sessions' timeouts on a fake clock (sans-IO: time comes from tick(now)).
// HTTP: a header not complete within header_timeout (slowloris), or no next request within
// idle_timeout, ends the session; nothing times out while a response is produced. Echo and
// discard: an idle timeout from the last byte either way.
#include "stack/app/http_server.hpp"
#include "stack/app/service.hpp"
#include "stack/app/stream_services.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

namespace shunt::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Instant kT0 = Instant::from_millis(100'000);

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Drains everything the session has to say; returns it.
std::string drain(HttpSession& s) {
    std::string out;
    std::array<uint8_t, 4096> buf{};
    while (size_t n = s.produce(buf)) out.append(reinterpret_cast<const char*>(buf.data()), n);
    return out;
}

HttpServerConfig short_timeouts() {
    HttpServerConfig c;
    c.header_timeout = seconds(3);
    c.idle_timeout = seconds(10);
    return c;
}

TEST(HttpTimeout, DefaultsAreTenAndSixtySeconds) {
    const HttpServerConfig c;
    EXPECT_EQ(c.header_timeout, seconds(10));
    EXPECT_EQ(c.idle_timeout, seconds(60));
}

TEST(HttpTimeout, SlowlorisHeaderIsCutAtTheHeaderTimeout) {
    HttpSession s(short_timeouts());
    const std::string_view req = "GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n";
    Instant now = kT0;
    s.tick(now);
    EXPECT_EQ(s.deadline(), kT0 + seconds(3));
    // One byte a second: the bytes themselves do not restart the header timer.
    size_t i = 0;
    for (; i < req.size() && s.timeout() == SessionTimeout::none; ++i) {
        now += seconds(1);
        s.tick(now);
        if (s.timeout() != SessionTimeout::none) break;
        EXPECT_EQ(s.on_receive(bytes(req.substr(i, 1))), 1u);
    }
    EXPECT_EQ(s.timeout(), SessionTimeout::header);
    EXPECT_EQ(now, kT0 + seconds(3));
    EXPECT_EQ(i, 2u);
    EXPECT_TRUE(s.should_close());
    EXPECT_EQ(drain(s), "") << "closed without a response";
    EXPECT_EQ(s.deadline(), std::nullopt);
}

TEST(HttpTimeout, ACompleteHeaderInTimeIsServed) {
    HttpSession s(short_timeouts());
    s.tick(kT0);
    s.tick(kT0 + milliseconds(2999));
    s.on_receive(bytes("GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(s.timeout(), SessionTimeout::none);
    EXPECT_NE(drain(s).find("200 OK"), std::string::npos);
    EXPECT_EQ(s.responses(), 1u);
    EXPECT_FALSE(s.should_close());
}

TEST(HttpTimeout, IdleBetweenRequestsIsCutAtTheIdleTimeout) {
    HttpSession s(short_timeouts());
    s.tick(kT0);
    s.on_receive(bytes("GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n"));
    s.tick(kT0 + seconds(1));
    drain(s);  // the response completes at t0 + 1 s: the idle wait starts
    EXPECT_EQ(s.deadline(), kT0 + seconds(11));
    s.tick(kT0 + seconds(10));  // past the header timeout, but idle is what runs
    EXPECT_EQ(s.timeout(), SessionTimeout::none);
    s.tick(kT0 + seconds(11));
    EXPECT_EQ(s.timeout(), SessionTimeout::idle);
    EXPECT_TRUE(s.should_close());
}

TEST(HttpTimeout, TheNextRequestsFirstByteStartsItsHeaderTimer) {
    HttpSession s(short_timeouts());
    s.tick(kT0);
    s.on_receive(bytes("GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n"));
    drain(s);
    s.tick(kT0 + seconds(8));
    s.on_receive(bytes("GE"));  // 8 s idle, then a slow second request
    EXPECT_EQ(s.deadline(), kT0 + seconds(11));
    s.tick(kT0 + seconds(10));
    EXPECT_EQ(s.timeout(), SessionTimeout::none);
    s.tick(kT0 + seconds(11));
    EXPECT_EQ(s.timeout(), SessionTimeout::header);
}

TEST(HttpTimeout, NoTimerRunsWhileAResponseIsProduced) {
    HttpSession s(short_timeouts());
    s.tick(kT0);
    s.on_receive(bytes("GET /bytes/100000 HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::array<uint8_t, 100> small{};
    s.produce(small);  // a slow reader: the response is far from done
    EXPECT_EQ(s.deadline(), std::nullopt);
    s.tick(kT0 + seconds(100));
    EXPECT_EQ(s.timeout(), SessionTimeout::none);
    EXPECT_TRUE(s.has_output());
}

TEST(HttpTimeout, ZeroTurnsATimeoutOff) {
    HttpServerConfig c;
    c.header_timeout = Duration(0);
    c.idle_timeout = Duration(0);
    HttpSession s(c);
    s.tick(kT0);
    s.on_receive(bytes("G"));
    s.tick(kT0 + seconds(100000));
    EXPECT_EQ(s.timeout(), SessionTimeout::none);
    EXPECT_EQ(s.deadline(), std::nullopt);
}

TEST(HttpTimeout, WithoutTicksNothingTimesOut) {
    // A driver that never passes time (the older tests) sees the old behaviour.
    HttpSession s(short_timeouts());
    s.on_receive(bytes("G"));
    EXPECT_EQ(s.timeout(), SessionTimeout::none);
    EXPECT_EQ(s.deadline(), std::nullopt);
}

TEST(StreamTimeout, EchoClosesAfterIdleFromTheLastByteEitherWay) {
    EchoSession e(1024, seconds(5));
    e.tick(kT0);
    EXPECT_EQ(e.deadline(), kT0 + seconds(5));
    e.tick(kT0 + seconds(4));
    e.on_receive(bytes("hello"));  // input restarts the clock
    e.tick(kT0 + seconds(8));
    std::array<uint8_t, 2> out{};
    EXPECT_EQ(e.produce(out), 2u);  // so does output
    e.tick(kT0 + seconds(12));
    EXPECT_EQ(e.timeout(), SessionTimeout::none);
    e.tick(kT0 + seconds(13));
    EXPECT_EQ(e.timeout(), SessionTimeout::idle);
    EXPECT_EQ(e.deadline(), std::nullopt);
}

TEST(StreamTimeout, DiscardClosesAfterIdle) {
    DiscardSession d(seconds(5));
    d.tick(kT0);
    d.tick(kT0 + seconds(3));
    d.on_receive(bytes("x"));
    d.tick(kT0 + seconds(7));
    EXPECT_EQ(d.timeout(), SessionTimeout::none);
    d.tick(kT0 + seconds(8));
    EXPECT_EQ(d.timeout(), SessionTimeout::idle);
    EXPECT_EQ(kStreamIdleTimeout, seconds(60));
}

TEST(StreamTimeout, ServiceSessionPassesTimeThrough) {
    HttpServerConfig http = short_timeouts();
    ServiceSession h(ServiceKind::http, http, seconds(5));
    ServiceSession e(ServiceKind::echo, http, seconds(5));
    ServiceSession d(ServiceKind::discard, http, seconds(5));
    for (ServiceSession* s : {&h, &e, &d}) s->tick(kT0);
    EXPECT_EQ(h.deadline(), kT0 + seconds(3));
    EXPECT_EQ(e.deadline(), kT0 + seconds(5));
    for (ServiceSession* s : {&h, &e, &d}) s->tick(kT0 + seconds(5));
    EXPECT_EQ(h.timeout(), SessionTimeout::header);
    EXPECT_EQ(e.timeout(), SessionTimeout::idle);
    EXPECT_EQ(d.timeout(), SessionTimeout::idle);
    EXPECT_EQ(to_string(SessionTimeout::header), "header");
}

}  // namespace
}  // namespace shunt::app
