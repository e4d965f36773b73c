// The control server (tools/control/server.hpp) over a real Unix socket in a temporary
// directory: replies to requests, answers a malformed or oversize line once and drops the
// client (counted), refuses clients over its bound, mode 0660, a stale socket is replaced.
#include "tools/control/server.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace shunt::control {
namespace {

struct Echo : ControlHandler {
    std::vector<uint64_t> gone;
    std::string handle(const Request& r, uint64_t) override {
        return reply_ok(r.id, Json{{"cmd", r.cmd}});
    }
    void client_gone(uint64_t client) override { gone.push_back(client); }
};

struct ServerTest : ::testing::Test {
    std::string dir;
    std::string path;
    Echo handler;
    std::unique_ptr<ControlServer> server;
    std::string pending;  // bytes read past the last line returned

    void SetUp() override {
        char tmpl[] = "/tmp/shunt-control-test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        path = dir + "/sub/d.sock";  // the parent directory is made
        ServerOptions o;
        o.path = path;
        o.max_clients = 2;
        auto s = ControlServer::open(o, handler);
        ASSERT_TRUE(s) << s.error().message;
        server = std::move(s.value());
    }
    void TearDown() override {
        server.reset();
        ::rmdir((dir + "/sub").c_str());
        ::rmdir(dir.c_str());
    }

    UniqueFd connect_client() {
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path, path.data(), path.size());
        EXPECT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)), 0);
        return fd;
    }
    void send_all(const UniqueFd& fd, const std::string& s) {
        size_t off = 0;
        while (off < s.size()) {
            pollfd p{fd.get(), POLLOUT, 0};
            ::poll(&p, 1, 10);
            server->poll();
            const ssize_t n = ::send(fd.get(), s.data() + off, s.size() - off, MSG_DONTWAIT);
            if (n > 0) off += static_cast<size_t>(n);
            if (n < 0 && errno != EAGAIN) return;  // the server dropped us mid-way
        }
    }
    // Polls the server until the client has a whole line (or EOF: returns "<eof>"), bounded.
    std::string read_line(const UniqueFd& fd) {
        std::string got = std::exchange(pending, {});
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < until) {
            server->poll();
            char buf[4096];
            const ssize_t n = ::recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
            if (n > 0) got.append(buf, static_cast<size_t>(n));
            if (auto nl = got.find('\n'); nl != std::string::npos) {
                pending = got.substr(nl + 1);
                return got.substr(0, nl);
            }
            if (n == 0) return got.empty() ? "<eof>" : got;
            ::usleep(1000);
        }
        return "<timeout>";
    }
};

TEST_F(ServerTest, SocketIsMode0660) {
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(ServerTest, RepliesToEachRequestInOrder) {
    auto c = connect_client();
    send_all(c, "{\"v\":1,\"id\":1,\"cmd\":\"a\"}\n{\"v\":1,\"id\":2,\"cmd\":\"b\"}\n");
    Json r1 = Json::parse(read_line(c));
    EXPECT_EQ(r1["id"], 1);
    EXPECT_EQ(r1["result"]["cmd"], "a");
    Json r2 = Json::parse(read_line(c));
    EXPECT_EQ(r2["id"], 2);
    EXPECT_EQ(server->counters().requests, 2u);
}

TEST_F(ServerTest, AMalformedLineGetsOneErrorThenTheClientIsDropped) {
    auto c = connect_client();
    send_all(c, "this is not json\n{\"v\":1,\"id\":2,\"cmd\":\"b\"}\n");
    Json r = Json::parse(read_line(c));
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["error"]["code"], "malformed");
    EXPECT_EQ(read_line(c), "<eof>");  // the request after it is not served
    EXPECT_EQ(server->counters().bad_lines, 1u);
    EXPECT_EQ(server->counters().requests, 0u);
    EXPECT_EQ(handler.gone.size(), 1u);
    // The server carries on for others.
    auto d = connect_client();
    send_all(d, "{\"v\":1,\"id\":3,\"cmd\":\"c\"}\n");
    EXPECT_EQ(Json::parse(read_line(d))["id"], 3);
}

TEST_F(ServerTest, AnOversizeLineGetsOneErrorThenTheClientIsDropped) {
    auto c = connect_client();
    send_all(c, std::string(kMaxRequestLine + 10, 'x'));
    Json r = Json::parse(read_line(c));
    EXPECT_EQ(r["error"]["code"], "line_too_long");
    EXPECT_EQ(read_line(c), "<eof>");
    EXPECT_EQ(server->counters().oversize_lines, 1u);
}

TEST_F(ServerTest, ClientsOverTheBoundAreRefusedWithAnError) {
    auto a = connect_client();
    auto b = connect_client();
    send_all(a, "{\"v\":1,\"id\":1,\"cmd\":\"a\"}\n");
    send_all(b, "{\"v\":1,\"id\":1,\"cmd\":\"a\"}\n");
    EXPECT_EQ(Json::parse(read_line(a))["id"], 1);
    EXPECT_EQ(Json::parse(read_line(b))["id"], 1);
    auto c = connect_client();
    Json r = Json::parse(read_line(c));
    EXPECT_EQ(r["error"]["code"], "busy");
    EXPECT_EQ(read_line(c), "<eof>");
    EXPECT_EQ(server->counters().refused, 1u);
    EXPECT_EQ(server->clients(), 2u);
}

TEST_F(ServerTest, AClosedClientIsReleased) {
    {
        auto c = connect_client();
        send_all(c, "{\"v\":1,\"cmd\":\"a\"}\n");
        read_line(c);
    }
    for (int i = 0; i < 100 && server->clients() > 0; ++i) {
        server->poll();
        ::usleep(1000);
    }
    EXPECT_EQ(server->clients(), 0u);
    EXPECT_EQ(handler.gone.size(), 1u);
}

TEST_F(ServerTest, ASecondServerOnALiveSocketIsRefusedAStaleOneReplaced) {
    Echo other;
    ServerOptions o;
    o.path = path;
    auto again = ControlServer::open(o, other);
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("another daemon"), std::string::npos);
    // A socket file nobody listens on (a daemon that died) is replaced.
    server.reset();
    UniqueFd stale(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.data(), path.size());
    ASSERT_EQ(::bind(stale.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)), 0);
    stale.reset();
    auto replaced = ControlServer::open(o, other);
    ASSERT_TRUE(replaced) << replaced.error().message;
}

TEST(ControlSocketPath, DefaultIsUnderRunShuntNamedAfterTheNic) {
    EXPECT_EQ(default_socket_path("tap:shunt0"), "/run/shunt/tap-shunt0.sock");
    EXPECT_EQ(default_socket_path("pci:0000:03:00.0"), "/run/shunt/pci-0000-03-00.0.sock");
}

}  // namespace
}  // namespace shunt::control
