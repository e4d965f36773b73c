// The capture ring (tools/control/capture.hpp) with libpcap's compiled filters, and the
// capture commands (tools/control/commands.hpp) that own it for one client.
#include "tools/control/capture.hpp"
#include "tools/control/commands.hpp"

#include <gtest/gtest.h>

#include <time.h>

#include <vector>

namespace shunt::control {
namespace {

// Ethernet + IPv4 (no options) + 8 bytes of L4 header/payload, protocol `proto`.
std::vector<uint8_t> frame(uint8_t proto, size_t extra = 0) {
    std::vector<uint8_t> f = {0x02, 0,  0, 0,  0,  2,  0x02, 0, 0,  0,     0, 1, 0x08,
                              0x00,                                               // Ethernet, IPv4
                              0x45, 0,  0, 28, 0,  1,  0,    0, 64, proto, 0, 0,  // IPv4 header ...
                              10,   77, 0, 1,  10, 77, 0,    2,                   // ... addresses
                              8,    0,  0, 0,  0,  1,  0,    1};  // ICMP echo request
    f.resize(f.size() + extra, 0xab);
    return f;
}

int64_t wall_us() {
    timespec t{};
    ::clock_gettime(CLOCK_REALTIME, &t);
    return int64_t{t.tv_sec} * 1'000'000 + t.tv_nsec / 1000;
}

TEST(Capture, TheFilterIsLibpcapsAndKeepsOnlyMatches) {
    CaptureOptions o;
    o.filter = "icmp";
    auto c = Capture::start(o);
    ASSERT_TRUE(c) << c.error().message;
    const auto icmp = frame(1);
    const auto udp = frame(17);
    (*c)->offer(TapDirection::rx, icmp.data(), static_cast<uint32_t>(icmp.size()), Instant::now());
    (*c)->offer(TapDirection::tx, udp.data(), static_cast<uint32_t>(udp.size()), Instant::now());
    (*c)->offer(TapDirection::tx, icmp.data(), static_cast<uint32_t>(icmp.size()), Instant::now());
    EXPECT_EQ((*c)->counters().seen, 3u);
    EXPECT_EQ((*c)->counters().matched, 2u);
    auto frames = (*c)->read(10, 1 << 20);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].dir, TapDirection::rx);
    EXPECT_EQ(frames[1].dir, TapDirection::tx);
    EXPECT_EQ(frames[0].bytes, std::string(icmp.begin(), icmp.end()));
    EXPECT_EQ(frames[0].len, icmp.size());
    // Timestamps are wall clock (the pcap record's), taken from the poll's monotonic time.
    EXPECT_LT(std::abs(frames[0].wall_us - wall_us()), 5'000'000);
}

TEST(Capture, ABadFilterIsLibpcapsErrorMessage) {
    CaptureOptions o;
    o.filter = "icmp and and";
    auto c = Capture::start(o);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("syntax error"), std::string::npos) << c.error().message;
}

TEST(Capture, AFullRingCountsDropsAndNeverOverwrites) {
    CaptureOptions o;
    o.ring_frames = 2;
    auto c = Capture::start(o);
    ASSERT_TRUE(c);
    for (uint8_t i = 0; i < 5; ++i) {
        auto f = frame(1);
        f[19] = i;  // IPv4 ident: which frame it is
        (*c)->offer(TapDirection::rx, f.data(), static_cast<uint32_t>(f.size()), Instant::now());
    }
    EXPECT_EQ((*c)->counters().captured, 2u);
    EXPECT_EQ((*c)->counters().dropped, 3u);
    auto frames = (*c)->read(10, 1 << 20);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(static_cast<uint8_t>(frames[0].bytes[19]), 0);  // the oldest kept, in order
    EXPECT_EQ(static_cast<uint8_t>(frames[1].bytes[19]), 1);
    EXPECT_EQ((*c)->queued(), 0u);
}

TEST(Capture, SnaplenCutsTheCopyAndKeepsTheLength) {
    CaptureOptions o;
    o.snaplen = 64;
    auto c = Capture::start(o);
    ASSERT_TRUE(c);
    const auto big = frame(17, 1000);
    (*c)->offer(TapDirection::rx, big.data(), static_cast<uint32_t>(big.size()), Instant::now());
    auto frames = (*c)->read(1, 1 << 20);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].bytes.size(), 64u);
    EXPECT_EQ(frames[0].len, big.size());
}

TEST(Capture, TheCountLimitCompletesTheCapture) {
    CaptureOptions o;
    o.max_frames = 2;
    auto c = Capture::start(o);
    ASSERT_TRUE(c);
    const auto f = frame(1);
    for (int i = 0; i < 4; ++i) {
        (*c)->offer(TapDirection::rx, f.data(), static_cast<uint32_t>(f.size()), Instant::now());
    }
    EXPECT_TRUE((*c)->complete());
    EXPECT_EQ((*c)->counters().captured, 2u);
    EXPECT_EQ((*c)->counters().dropped, 0u);
}

TEST(Capture, ReadIsBoundedByFramesAndBytes) {
    auto c = Capture::start(CaptureOptions{});
    ASSERT_TRUE(c);
    const auto f = frame(1, 100);
    for (int i = 0; i < 10; ++i) {
        (*c)->offer(TapDirection::rx, f.data(), static_cast<uint32_t>(f.size()), Instant::now());
    }
    EXPECT_EQ((*c)->read(3, 1 << 20).size(), 3u);
    EXPECT_EQ((*c)->read(100, f.size() * 2).size(), 2u);
    EXPECT_EQ((*c)->read(100, 1).size(), 1u);  // at least one frame per read
    EXPECT_EQ((*c)->read(100, 1 << 20).size(), 4u);
}

TEST(Capture, OptionsOutOfRangeAreRefused) {
    CaptureOptions o;
    o.snaplen = 10;
    EXPECT_FALSE(Capture::start(o));
    o = CaptureOptions{};
    o.ring_frames = 0;
    EXPECT_FALSE(Capture::start(o));
}

Json reply_of(const std::string& line) {
    return Json::parse(line);
}

Request req(const std::string& cmd, Json args = Json::object()) {
    Request r;
    r.id = 1;
    r.cmd = cmd;
    r.args = std::move(args);
    return r;
}

struct Commands : ::testing::Test {
    std::vector<FrameTap*> taps;
    ControlCommands commands{DaemonHooks{"shuntd", "tap:x",
                                         [] {
                                             return Json{{"uptime_ms", 5}};
                                         },
                                         [this](FrameTap* t) { taps.push_back(t); }}};
};

TEST_F(Commands, HelloNamesTheProtocolAndCommands) {
    Json r = reply_of(commands.handle(req("hello"), 1));
    ASSERT_TRUE(r["ok"]);
    EXPECT_EQ(r["result"]["protocol"], 1);
    EXPECT_EQ(r["result"]["protocol_minor"], 1);
    EXPECT_TRUE(r["result"]["version"].is_string());
    EXPECT_NE(r["result"]["version"], "unknown");
    EXPECT_EQ(r["result"]["nic"], "tap:x");
    EXPECT_GE(r["result"]["commands"].size(), 5u);
}

TEST_F(Commands, StatsIsTheDaemonsObjectPlusCapture) {
    Json r = reply_of(commands.handle(req("stats"), 1));
    ASSERT_TRUE(r["ok"]);
    EXPECT_EQ(r["result"]["uptime_ms"], 5);
    EXPECT_EQ(r["result"]["capture"]["running"], false);
}

TEST_F(Commands, UnknownAndReservedCommandsAreErrors) {
    EXPECT_EQ(reply_of(commands.handle(req("nope"), 1))["error"]["code"], "unknown_command");
    EXPECT_EQ(reply_of(commands.handle(req("apps"), 1))["error"]["code"], "not_implemented");
}

TEST_F(Commands, ACaptureBelongsToOneClientAndEndsWithIt) {
    Json r = reply_of(commands.handle(req("capture-start", {{"filter", "icmp"}}), 1));
    ASSERT_TRUE(r["ok"]) << r.dump();
    ASSERT_EQ(taps.size(), 1u);
    ASSERT_NE(taps[0], nullptr);
    EXPECT_EQ(reply_of(commands.handle(req("capture-start"), 2))["error"]["code"], "busy");
    EXPECT_EQ(reply_of(commands.handle(req("capture-read"), 2))["error"]["code"], "busy");
    // A frame through the installed tap comes back in capture-read.
    auto f = frame(1);
    static_cast<Capture*>(taps[0])->offer(TapDirection::rx, f.data(),
                                          static_cast<uint32_t>(f.size()), Instant::now());
    Json read = reply_of(commands.handle(req("capture-read"), 1));
    ASSERT_TRUE(read["ok"]);
    ASSERT_EQ(read["result"]["frames"].size(), 1u);
    EXPECT_EQ(read["result"]["frames"][0]["dir"], "rx");
    EXPECT_EQ(read["result"]["frames"][0]["data"].get<std::string>().size(), f.size() * 2);
    commands.client_gone(1);
    ASSERT_EQ(taps.size(), 2u);
    EXPECT_EQ(taps[1], nullptr);
    EXPECT_FALSE(commands.capturing());
    EXPECT_EQ(reply_of(commands.handle(req("capture-stop"), 1))["error"]["code"], "not_running");
}

TEST_F(Commands, BadCaptureArgumentsAreBadArgs) {
    EXPECT_EQ(
        reply_of(commands.handle(req("capture-start", {{"filter", "(("}}), 1))["error"]["code"],
        "bad_args");
    EXPECT_EQ(reply_of(commands.handle(req("capture-start", {{"count", -1}}), 1))["error"]["code"],
              "bad_args");
    EXPECT_EQ(
        reply_of(commands.handle(req("capture-start", {{"snaplen", "x"}}), 1))["error"]["code"],
        "bad_args");
    EXPECT_TRUE(taps.empty());
}

}  // namespace
}  // namespace shunt::control
