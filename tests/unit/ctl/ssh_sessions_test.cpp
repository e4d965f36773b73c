// The SSH guard's socket-table reading: /proc/net/tcp and /proc/net/tcp6 text (captured on
// Linux 6.1 x86-64 and edited) parsed into sockets, and the established sessions to an SSH
// port or held by sshd picked out.
#include "ioctl_ctl/ssh_sessions.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace shunt::ctl {
namespace {

// sshd listening on 0.0.0.0:22; a session 192.0.2.2:22 <- 198.51.100.7:50312; a web
// connection 192.0.2.2:443 <- 198.51.100.8:40000; a session to port 2222 held by sshd
// (inode 555); a TIME_WAIT to port 22 (inode 0).
constexpr const char* kTcp4 =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n"
    "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
    "1001 1 0000000000000000 100 0 0 10 0\n"
    "   1: 020200C0:0016 076433C6:C488 01 00000000:00000000 02:0009F2B5 00000000     0        0 "
    "1002 4 0000000000000000 20 4 31 10 -1\n"
    "   2: 020200C0:01BB 086433C6:9C40 01 00000000:00000000 00:00000000 00000000    33        0 "
    "1003 1 0000000000000000 20 4 30 10 -1\n"
    "   3: 020200C0:08AE 096433C6:A000 01 00000000:00000000 00:00000000 00000000     0        0 "
    "555 1 0000000000000000 20 4 30 10 -1\n"
    "   4: 020200C0:0016 0A6433C6:A001 06 00000000:00000000 03:00001770 00000000     0        0 "
    "0 3 0000000000000000\n";

// [2001:db8:1::2]:22 <- [2001:db8:1::1]:41000 established; an IPv4 client on the IPv6
// socket: [::ffff:192.0.2.2]:22 <- [::ffff:192.0.2.1]:41001.
constexpr const char* kTcp6 =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 "
    "0\n"
    "   1: B80D0120000001000000000002000000:0016 B80D0120000001000000000001000000:A028 01 "
    "00000000:00000000 02:00055CE6 00000000     0        0 2002 2 0000000000000000 20 4 24 10 "
    "-1\n"
    "   2: 0000000000000000FFFF0000020200C0:0016 0000000000000000FFFF0000010200C0:A029 01 "
    "00000000:00000000 02:00055CE6 00000000     0        0 2003 2 0000000000000000 20 4 24 10 "
    "-1\n";

TEST(ProcNetTcp, ParsesIpv4) {
    auto s = parse_proc_net_tcp(kTcp4, AF_INET);
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_EQ(s->size(), 5u);
    EXPECT_EQ((*s)[0].local, "0.0.0.0");
    EXPECT_EQ((*s)[0].local_port, 22);
    EXPECT_EQ((*s)[0].state, 10);  // LISTEN
    EXPECT_EQ((*s)[1].local, "192.0.2.2");
    EXPECT_EQ((*s)[1].remote, "198.51.100.7");
    EXPECT_EQ((*s)[1].remote_port, 50312);
    EXPECT_EQ((*s)[1].state, 1);  // ESTABLISHED
    EXPECT_EQ((*s)[1].inode, 1002u);
}

TEST(ProcNetTcp, ParsesIpv6AndUnmapsIpv4Clients) {
    auto s = parse_proc_net_tcp(kTcp6, AF_INET6);
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_EQ(s->size(), 3u);
    EXPECT_EQ((*s)[0].local, "::");
    EXPECT_EQ((*s)[1].local, "2001:db8:1::2");
    EXPECT_EQ((*s)[1].remote, "2001:db8:1::1");
    EXPECT_EQ((*s)[1].remote_port, 41000);
    EXPECT_EQ((*s)[2].local, "192.0.2.2");
    EXPECT_EQ((*s)[2].remote, "192.0.2.1");
}

TEST(ProcNetTcp, MalformedLinesAreErrors) {
    const std::string header = "  sl  local_address rem_address   st\n";
    EXPECT_FALSE(parse_proc_net_tcp(header + "   0: 0100007F:0016 00000000:0000 0A\n", AF_INET));
    EXPECT_FALSE(parse_proc_net_tcp(
        header + "   0: 0100007G:0016 00000000:0000 0A 0:0 0:0 0 0 0 1\n", AF_INET));
    EXPECT_FALSE(
        parse_proc_net_tcp(header + "   0: 0100007F 00000000:0000 0A 0:0 0:0 0 0 0 1\n", AF_INET));
    EXPECT_TRUE(parse_proc_net_tcp(header, AF_INET).ok());  // no sockets
}

TEST(SshSessions, EstablishedToAnSshPortOrHeldBySshd) {
    auto v4 = parse_proc_net_tcp(kTcp4, AF_INET);
    auto v6 = parse_proc_net_tcp(kTcp6, AF_INET6);
    ASSERT_TRUE(v4.ok() && v6.ok());
    auto all = v4.value();
    all.insert(all.end(), v6->begin(), v6->end());
    const auto sessions = ssh_sessions_in(all, {22}, {555});
    ASSERT_EQ(sessions.size(), 4u);
    EXPECT_EQ(sessions[0].local, "192.0.2.2");
    EXPECT_EQ(sessions[0].remote, "198.51.100.7");
    EXPECT_EQ(sessions[1].local_port, 2222);  // sshd's socket on another port
    EXPECT_EQ(sessions[2].local, "2001:db8:1::2");
    EXPECT_EQ(sessions[3].remote, "192.0.2.1");
    // Neither the listener, nor the web connection, nor the TIME_WAIT.
    EXPECT_TRUE(ssh_sessions_in(all, {}, {}).empty());
    EXPECT_EQ(ssh_sessions_in(all, {443}, {}).size(), 1u);
}

}  // namespace
}  // namespace shunt::ctl
