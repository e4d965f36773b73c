// listen_unix: mode 0660 from the start, stale sockets replaced, live ones and non-sockets left
// alone, bad paths and unknown groups refused with one sentence.
#include "base/unix_listener.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace shunt {
namespace {

class UnixListenerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/shunt-listener.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { (void)std::system(("rm -rf " + dir_).c_str()); }
    UnixListenOptions opts(const std::string& name, int type = SOCK_SEQPACKET) {
        UnixListenOptions o;
        o.path = dir_ + "/" + name;
        o.what = "test socket";
        o.type = type;
        return o;
    }
    std::string dir_;
};

TEST_F(UnixListenerTest, CreatesMode0660AndAcceptsAClient) {
    auto fd = listen_unix(opts("a.sock"));
    ASSERT_TRUE(fd) << fd.error().message;
    struct stat st {};
    ASSERT_EQ(::stat((dir_ + "/a.sock").c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string p = dir_ + "/a.sock";
    std::memcpy(a.sun_path, p.c_str(), p.size() + 1);
    UniqueFd c(::socket(AF_UNIX, SOCK_SEQPACKET, 0));
    EXPECT_EQ(::connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
}

TEST_F(UnixListenerTest, LiveSocketIsKeptStaleOneReplaced) {
    auto live = listen_unix(opts("b.sock"));
    ASSERT_TRUE(live);
    auto second = listen_unix(opts("b.sock"));
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("another daemon is serving it"), std::string::npos);
    live.value().reset();  // the daemon died: its file stays, nobody answers
    auto again = listen_unix(opts("b.sock"));
    EXPECT_TRUE(again) << again.error().message;
}

TEST_F(UnixListenerTest, NonSocketIsNeverRemoved) {
    const std::string p = dir_ + "/c.sock";
    std::ofstream(p) << "precious";
    auto fd = listen_unix(opts("c.sock"));
    ASSERT_FALSE(fd);
    EXPECT_NE(fd.error().message.find("exists and is not a socket"), std::string::npos);
    std::ifstream in(p);
    std::string content;
    in >> content;
    EXPECT_EQ(content, "precious");
}

TEST_F(UnixListenerTest, BadPathAndUnknownGroupAreRefused) {
    auto o = opts(std::string(200, 'x'));
    auto long_path = listen_unix(o);
    ASSERT_FALSE(long_path);
    EXPECT_EQ(long_path.error().message.rfind("test socket path", 0), 0u);
    auto g = opts("d.sock", SOCK_STREAM);
    g.group = "no-such-group-shunt-test";
    auto no_group = listen_unix(g);
    ASSERT_FALSE(no_group);
    EXPECT_NE(no_group.error().message.find("does not exist"), std::string::npos);
    struct stat st {};
    EXPECT_NE(::stat((dir_ + "/d.sock").c_str(), &st), 0);  // nothing left behind
}

}  // namespace
}  // namespace shunt
