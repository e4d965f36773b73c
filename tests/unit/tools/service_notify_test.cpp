// shuntd's sd_notify use (tools/service_notify.hpp) against a datagram socket this test owns,
// as systemd's would be: READY=1 and STOPPING=1 with their STATUS= lines, WATCHDOG=1 only when
// WATCHDOG_USEC asks and only once per half period; nothing at all without NOTIFY_SOCKET.
#include "tools/service_notify.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace shunt::tools {
namespace {

struct NotifySocket : ::testing::Test {
    void SetUp() override {
        char tmpl[] = "/tmp/shunt-notify.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        path = dir + "/notify.sock";
        fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        ASSERT_GE(fd, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
        ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
        ::unsetenv("WATCHDOG_USEC");
        ::unsetenv("WATCHDOG_PID");
    }
    void TearDown() override {
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_USEC");
        if (fd >= 0) ::close(fd);
        ::unlink(path.c_str());
        ::rmdir(dir.c_str());
    }
    std::vector<std::string> received() {
        std::vector<std::string> out;
        char buf[4096];
        for (;;) {
            const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
            if (n < 0) break;
            out.emplace_back(buf, static_cast<size_t>(n));
        }
        return out;
    }
    std::string dir, path;
    int fd = -1;
};

TEST_F(NotifySocket, ReadyStatusAndStoppingCarryTheirStatusLines) {
    ServiceNotifier n;
    EXPECT_TRUE(n.under_systemd());
    EXPECT_FALSE(n.watchdog_period());
    n.status("starting on tap:x");
    n.ready("serving 10.0.0.2/24\non tap:x");  // a newline would end the assignment: a space
    n.tick(Instant::now());                    // no watchdog asked for: nothing
    n.stopping("stopping");
    EXPECT_EQ(received(), (std::vector<std::string>{
                              "STATUS=starting on tap:x",
                              "READY=1\nSTATUS=serving 10.0.0.2/24 on tap:x",
                              "STOPPING=1\nSTATUS=stopping",
                          }));
}

TEST_F(NotifySocket, WatchdogEveryHalfPeriod) {
    ::setenv("WATCHDOG_USEC", "400000", 1);
    ServiceNotifier n;
    ASSERT_TRUE(n.watchdog_period());
    EXPECT_EQ(*n.watchdog_period(), std::chrono::milliseconds(200));
    const Instant t0 = Instant::now();
    n.tick(t0);                                   // the first at once
    n.tick(t0 + std::chrono::milliseconds(199));  // not yet
    n.tick(t0 + std::chrono::milliseconds(200));  // due
    n.tick(t0 + std::chrono::milliseconds(300));
    EXPECT_EQ(received(), (std::vector<std::string>{"WATCHDOG=1", "WATCHDOG=1"}));
}

TEST_F(NotifySocket, AWatchdogForAnotherPidIsNotOurs) {
    ::setenv("WATCHDOG_USEC", "400000", 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
    ServiceNotifier n;
    EXPECT_FALSE(n.watchdog_period());
    ::unsetenv("WATCHDOG_PID");
}

TEST(ServiceNotifier, OutsideSystemdNothingIsSent) {
    ::unsetenv("NOTIFY_SOCKET");
    ::setenv("WATCHDOG_USEC", "400000", 1);
    ServiceNotifier n;
    EXPECT_FALSE(n.under_systemd());
    EXPECT_FALSE(n.watchdog_period());
    n.ready("x");  // and no crash, no error
    ::unsetenv("WATCHDOG_USEC");
}

}  // namespace
}  // namespace shunt::tools
