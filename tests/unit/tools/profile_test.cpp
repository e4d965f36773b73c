// shuntctl profile's pipeline on perf script text shaped as perf 6.1 prints it.
#include "tools/profile/flamegraph.hpp"
#include "tools/profile/folded.hpp"
#include "tools/profile/stages.hpp"
#include "tools/subprocess.hpp"

#include <gtest/gtest.h>

namespace shunt::profile {
namespace {

// Two samples of shuntd (one in TCP's checksum, one in the TAP's read), one of another
// process, and a sample whose stack perf could not walk.
constexpr std::string_view kScript =
    "shuntd 4242/4242 28576.005205:    1001001 cpu-clock: \n"
    "\t    55d0c0de1234 shunt::internet_checksum(std::span<unsigned char const, "
    "18446744073709551615ul>, unsigned int) (/usr/bin/shuntd)\n"
    "\t    55d0c0de2234 shunt::TcpStack::emit_and_send(shunt::TcpSocket&) (/usr/bin/shuntd)\n"
    "\t    55d0c0de3234 shunt::Stack::poll(shunt::Instant) (/usr/bin/shuntd)\n"
    "\t    55d0c0de4234 main (/usr/bin/shuntd)\n"
    "\t               0 [unknown] ([unknown])\n"
    "\n"
    "shuntd 4242/4242 28576.006205:    1001001 cpu-clock: \n"
    "\tffffffff816ad9f9 tun_chr_read_iter ([kernel.kallsyms])\n"
    "\t    7f0000001000 read (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\t    55d0c0de5234 shunt::TapNic::rx_batch(unsigned short, std::span<shunt::PacketBuf*, "
    "18446744073709551615ul>) (/usr/bin/shuntd)\n"
    "\t    55d0c0de3234 shunt::Stack::poll(shunt::Instant) (/usr/bin/shuntd)\n"
    "\t    55d0c0de4234 main (/usr/bin/shuntd)\n"
    "\n"
    "Web Content 77/78 28576.007000:    1001001 cpu-clock: \n"
    "\t    7f0000002000 [unknown] (/usr/lib/firefox/libxul.so)\n"
    "\n"
    "shuntd 4242/4242 28576.008205:    1001001 cpu-clock: \n"
    "\n"
    "this is not a header\n";

TEST(FoldPerfScript, FoldsRootFirstWithShortNames) {
    ScriptSummary sum;
    auto f = fold_perf_script(kScript, "shuntd", &sum);
    ASSERT_TRUE(f);
    EXPECT_EQ(sum.samples, 2u);  // the empty-stack sample has no frames; "Web Content" is left out
    EXPECT_EQ(sum.weight, 2002002u);
    EXPECT_EQ(sum.event, "cpu-clock");
    EXPECT_EQ(sum.malformed, 1u);
    ASSERT_EQ(f.value().size(), 2u);
    EXPECT_EQ(f.value().count("main;shunt::Stack::poll;shunt::TcpStack::emit_and_send;"
                              "shunt::internet_checksum"),
              1u);
    EXPECT_EQ(f.value().count("main;shunt::Stack::poll;shunt::TapNic::rx_batch;read;"
                              "tun_chr_read_iter"),
              1u);
}

TEST(FoldPerfScript, CommWithSpacesAndUnknownFrames) {
    auto f = fold_perf_script(kScript, "Web Content", nullptr);
    ASSERT_TRUE(f);
    ASSERT_EQ(f.value().size(), 1u);
    EXPECT_EQ(f.value().begin()->first, "[libxul.so]");
}

TEST(ShortFunctionName, StripsParametersAndQualifiers) {
    EXPECT_EQ(short_function_name("shunt::Stack::poll(shunt::Instant)"), "shunt::Stack::poll");
    EXPECT_EQ(short_function_name("Foo::operator()(int) const"), "Foo::operator()");
    EXPECT_EQ(short_function_name("f()::{lambda(int)#1}::operator()(int) const"),
              "f()::{lambda(int)#1}::operator()");
    EXPECT_EQ(short_function_name("main"), "main");
    EXPECT_EQ(short_function_name("std::vector<int>::push_back(int const&)"),
              "std::vector<int>::push_back");
}

TEST(Stages, InnermostStageFrameWins) {
    EXPECT_EQ(stage_of_stack("main;shunt::Stack::poll;shunt::TcpStack::emit_and_send;"
                             "shunt::internet_checksum"),
              Stage::tcp);
    EXPECT_EQ(stage_of_stack("main;shunt::Stack::poll;shunt::TapNic::rx_batch;read;x"),
              Stage::driver_rx);
    EXPECT_EQ(stage_of_stack("main;shunt::Stack::poll;shunt::TcpStack::flush;"
                             "shunt::Interface::send_ipv4;shunt::E1000Nic::tx_batch"),
              Stage::driver_tx);
    EXPECT_EQ(stage_of_stack("main;shunt::Stack::poll;shunt::TcpServices::on_poll;"
                             "shunt::TcpStack::send"),
              Stage::tcp);
    EXPECT_EQ(stage_of_stack("main;shunt::Stack::poll;shunt::TcpServices::on_poll"), Stage::app);
    EXPECT_EQ(stage_of_stack("main;shunt::Interface::receive_frame;shunt::Icmp"), Stage::ip);
    EXPECT_EQ(stage_of_stack("main;epoll_wait"), Stage::other);
    // libc's write keeps no frame pointer: the TAP's tx_batch frame is skipped in the unwind.
    EXPECT_EQ(stage_of_stack("main;shunt::Stack::poll;shunt::Interface::flush_tx;"
                             "__GI___libc_write;entry_SYSCALL_64;ksys_write"),
              Stage::driver_tx);
    EXPECT_EQ(stage_of_stack("main;shunt::Stack::poll;shunt::Interface::poll_ingress;read;"
                             "vfs_read"),
              Stage::driver_rx);
    // A file written by the stats writer is not the driver's.
    EXPECT_EQ(stage_of_stack("main;shunt::tools::StatsWriter::write;write;ksys_write"),
              Stage::other);
    FoldedStacks s{{"main;shunt::TapNic::rx_batch", 30}, {"main;epoll_wait", 70}};
    const auto b = breakdown(s);
    EXPECT_EQ(b.total, 100u);
    EXPECT_EQ(b.weight[static_cast<size_t>(Stage::driver_rx)], 30u);
    EXPECT_EQ(b.weight[static_cast<size_t>(Stage::other)], 70u);
}

TEST(Flamegraph, WidthsFollowWeightsAndTextIsEscaped) {
    FoldedStacks s{{"main;a<b>", 75}, {"main;c&d", 25}};
    FlameOptions o;
    o.width = 1020;  // 1000 px for the graph
    const std::string svg = render_flamegraph(s, o);
    EXPECT_NE(svg.find("<title>all (100.00%, weight 100)</title>"), std::string::npos);
    EXPECT_NE(svg.find("<title>a&lt;b&gt; (75.00%, weight 75)</title>"), std::string::npos);
    EXPECT_NE(svg.find("width=\"750.0\""), std::string::npos);
    EXPECT_NE(svg.find("<title>c&amp;d (25.00%, weight 25)</title>"), std::string::npos);
    EXPECT_NE(svg.find("width=\"250.0\""), std::string::npos);
    EXPECT_EQ(svg.find("a<b>"), std::string::npos);
    EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);
}

TEST(Subprocess, CapturesOutputExitCodeAndTimesOut) {
    auto r = tools::run_command({"sh", "-c", "echo out; echo err >&2; exit 3"},
                                std::chrono::seconds(10));
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().out, "out\n");
    EXPECT_EQ(r.value().err, "err\n");
    EXPECT_EQ(r.value().exit_code, 3);
    auto slow = tools::run_command({"sleep", "5"}, std::chrono::milliseconds(200));
    EXPECT_FALSE(slow);
    auto missing = tools::run_command({"/nonexistent/program"}, std::chrono::seconds(1));
    EXPECT_FALSE(missing);
}

}  // namespace
}  // namespace shunt::profile
