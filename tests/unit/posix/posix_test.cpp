#include "posix/events.hpp"
#include "posix/fd_table.hpp"
#include "posix/libc_result.hpp"

#include <gtest/gtest.h>

#include <sys/types.h>

#include <atomic>
#include <thread>
#include <vector>

namespace shunt::posix {
namespace {

TEST(FdTable, KernelFdsAreNullAndNumbersBeyondTheTableAreRefused) {
    FdTable<int> t(64);
    int a = 1;
    EXPECT_EQ(t.get(3), nullptr);
    EXPECT_EQ(t.get(-1), nullptr);
    EXPECT_EQ(t.get(64), nullptr);
    EXPECT_EQ(t.get(1 << 30), nullptr);
    EXPECT_TRUE(t.set(3, &a));
    EXPECT_EQ(t.get(3), &a);
    EXPECT_FALSE(t.set(64, &a));  // beyond: the caller hands the socket to the kernel
    EXPECT_FALSE(t.set(-5, &a));
    EXPECT_EQ(t.take(3), &a);
    EXPECT_EQ(t.get(3), nullptr);
    EXPECT_EQ(t.take(3), nullptr);  // a second close finds nothing
}

TEST(FdTable, DupsShareOneSocket) {
    FdTable<int> t(16);
    int s = 7;
    ASSERT_TRUE(t.set(4, &s));
    ASSERT_TRUE(t.set(9, &s));
    EXPECT_EQ(t.take(4), &s);
    EXPECT_EQ(t.get(9), &s);  // closing one number leaves the other
}

TEST(FdTable, ReadersSeeEitherNullOrTheSocketWhileAWriterChangesIt) {
    FdTable<int> t(8);
    int s = 1;
    std::atomic<bool> stop{false};
    std::atomic<long> bad{0};
    std::thread reader([&] {
        while (!stop.load()) {
            int* p = t.get(5);
            if (p != nullptr && p != &s) bad.fetch_add(1);
        }
    });
    for (int i = 0; i < 100000; ++i) {
        t.set(5, &s);
        t.take(5);
    }
    stop = true;
    reader.join();
    EXPECT_EQ(bad.load(), 0);
}

TEST(Events, PollRequestsBecomeShuntInterest) {
    EXPECT_EQ(shunt_interest_of(POLLIN), SHUNT_EV_READABLE | SHUNT_EV_ACCEPT);
    EXPECT_EQ(shunt_interest_of(POLLOUT), SHUNT_EV_WRITABLE);
    EXPECT_EQ(shunt_interest_of(EPOLLIN | EPOLLOUT | EPOLLET),
              SHUNT_EV_READABLE | SHUNT_EV_ACCEPT | SHUNT_EV_WRITABLE);
    EXPECT_EQ(shunt_interest_of(EPOLLRDHUP), SHUNT_EV_READABLE | SHUNT_EV_ACCEPT);
    EXPECT_EQ(shunt_interest_of(0), 0u);
}

TEST(Events, ConnectedSocketReadinessAsLinuxReportsIt) {
    const auto c = SockState::connected;
    EXPECT_EQ(poll_bits(c, 0, false, false, false), 0u);
    EXPECT_EQ(poll_bits(c, SHUNT_EV_READABLE, false, false, false), uint32_t{POLLIN | POLLRDNORM});
    EXPECT_EQ(poll_bits(c, 0, true, false, false), uint32_t{POLLIN | POLLRDNORM});  // buffered
    EXPECT_EQ(poll_bits(c, SHUNT_EV_WRITABLE, false, false, false), uint32_t{POLLOUT | POLLWRNORM});
    EXPECT_EQ(poll_bits(c, SHUNT_EV_WRITABLE, false, false, true), 0u);  // after shutdown(WR)
    EXPECT_NE(poll_bits(c, SHUNT_EV_CLOSED, false, false, false) & POLLHUP, 0u);
    EXPECT_NE(poll_bits(c, SHUNT_EV_ERROR, false, false, false) & POLLERR, 0u);
}

TEST(Events, OtherStates) {
    // An unconnected TCP socket: POLLOUT|POLLHUP, as tcp_poll says.
    EXPECT_EQ(poll_bits(SockState::fresh, 0, false, false, false),
              uint32_t{POLLOUT | POLLWRNORM | POLLHUP});
    // A listener is readable only with a connection to accept; WRITABLE means nothing to it.
    EXPECT_EQ(poll_bits(SockState::listening, SHUNT_EV_WRITABLE, false, false, false), 0u);
    EXPECT_EQ(poll_bits(SockState::listening, SHUNT_EV_ACCEPT, false, false, false),
              uint32_t{POLLIN | POLLRDNORM});
    // A connection in progress: nothing until it completes.
    EXPECT_EQ(poll_bits(SockState::connecting, 0, false, false, false), 0u);
    // Finished: EOF readable, writes fail at once, hung up, POLLERR while SO_ERROR is set.
    const uint32_t done = poll_bits(SockState::closed, 0, false, true, false);
    EXPECT_NE(done & POLLIN, 0u);
    EXPECT_NE(done & POLLOUT, 0u);
    EXPECT_NE(done & POLLHUP, 0u);
    EXPECT_NE(done & POLLERR, 0u);
    EXPECT_EQ(poll_bits(SockState::closed, 0, false, false, false) & POLLERR, 0u);
}

TEST(Events, ReportedKeepsErrAndHupWhateverWasAsked) {
    EXPECT_EQ(reported(POLLIN | POLLOUT | POLLHUP, POLLIN), uint32_t{POLLIN | POLLHUP});
    EXPECT_EQ(reported(POLLOUT | POLLERR, POLLIN), uint32_t{POLLERR});
    EXPECT_EQ(reported(POLLIN, 0), 0u);
}

TEST(Errno, NegatedErrnoBecomesMinusOneWithErrno) {
    errno = 0;
    EXPECT_EQ(to_libc(5), 5);
    EXPECT_EQ(errno, 0);
    EXPECT_EQ(to_libc(0), 0);
    EXPECT_EQ(to_libc(-EAGAIN), -1);
    EXPECT_EQ(errno, EAGAIN);
    EXPECT_EQ(to_libc(ssize_t{-ECONNRESET}), ssize_t{-1});
    EXPECT_EQ(errno, ECONNRESET);
    EXPECT_EQ(to_libc(ssize_t{1} << 40), ssize_t{1} << 40);
}

}  // namespace
}  // namespace shunt::posix
