// A failing getrandom(2) is an error, never a zero secret or a guessable name: the TCP secret
// (Stack::random_secret, which keys ISNs and SYN cookies, RFC 6528) and the undo log's temp
// names (random_temp_name). EINTR is retried. This binary interposes getrandom: its
// definition below wins over libc's for the static libraries linked into it.
#include "ioctl_ctl/undo_log.hpp"
#include "stack/stack.hpp"

#include <gtest/gtest.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace {

int g_fail_errno = 0;   // 0: behave; else fail with this errno
int g_eintr_first = 0;  // fail this many calls with EINTR first
int g_calls = 0;

}  // namespace

extern "C" ssize_t getrandom(void* buf, size_t len, unsigned int /*flags*/) {
    ++g_calls;
    if (g_eintr_first > 0) {
        --g_eintr_first;
        errno = EINTR;
        return -1;
    }
    if (g_fail_errno != 0) {
        errno = g_fail_errno;
        return -1;
    }
    auto* p = static_cast<unsigned char*>(buf);
    for (size_t i = 0; i < len; ++i) p[i] = static_cast<unsigned char>(0xa5 ^ (i * 7));
    return static_cast<ssize_t>(len);
}

namespace shunt {
namespace {

struct Reset {
    Reset() { g_fail_errno = g_eintr_first = g_calls = 0; }
    ~Reset() { g_fail_errno = g_eintr_first = g_calls = 0; }
};

TEST(GetRandom, TcpSecretFailureIsAnErrorNotAZeroSecret) {
    Reset r;
    g_fail_errno = ENOSYS;
    auto cfg = Stack::random_secret(tcp::TcpConfig{});
    ASSERT_FALSE(cfg.ok());
    EXPECT_NE(cfg.error().message.find("getrandom failed"), std::string::npos)
        << cfg.error().message;
}

TEST(GetRandom, TcpSecretRetriesEintr) {
    Reset r;
    g_eintr_first = 3;
    auto cfg = Stack::random_secret(tcp::TcpConfig{});
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_GE(g_calls, 4);
    EXPECT_FALSE(
        std::all_of(cfg->secret.begin(), cfg->secret.end(), [](uint8_t b) { return b == 0; }));
}

TEST(GetRandom, TempNameFailureIsAnError) {
    Reset r;
    g_fail_errno = EFAULT;
    auto name = ctl::random_temp_name("/run/shunt/kernel-stack/x.undo");
    ASSERT_FALSE(name.ok());
    EXPECT_NE(name.error().message.find("getrandom failed"), std::string::npos);
    EXPECT_FALSE(ctl::write_file_atomic("/tmp/shunt-getrandom-test-never-written", "x").ok());
    g_fail_errno = 0;
    g_eintr_first = 2;
    EXPECT_TRUE(ctl::random_temp_name("/x").ok());
}

}  // namespace
}  // namespace shunt
