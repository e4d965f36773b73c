// The attached deployment end to end in one process: a "daemon" stack (side b of an
// in-memory PairWire) runs an attach::Server; a pump thread polls both stacks; the test's
// thread is the attached app (AttachedRuntime over a real Unix socket, memfd and eventfds) and,
// under the pump's lock, a peer (side a, an in-process runtime). Covers the handshake, TCP
// and UDP through the rings byte for byte, zero-copy both ways, the event wait (timeout and
// wakeup), crash isolation (an app that goes away: its peers are reset, its port is free at
// once), and hostile ring contents (bad ops, rooms outside the region, a corrupt ring index).
#include "lib/attach/server.hpp"
#include "lib/attached.hpp"
#include "lib/inprocess.hpp"
#include "pair_nic.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

namespace shunt {
namespace {

using lib::AttachedRuntime;
using lib::InProcessRuntime;

const MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
const MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x0b}};
constexpr uint32_t kIpA = 0x0a000001;
constexpr uint32_t kIpB = 0x0a000002;

std::unique_ptr<InProcessRuntime> make(test::PairWire& wire, int side) {
    lib::InProcessConfig c;
    c.iface.mac = side == 0 ? kMacA : kMacB;
    c.iface.address = wire::Ipv4Cidr{wire::Ipv4Addr{side == 0 ? kIpA : kIpB}, 24};
    c.tcp.secret[0] = static_cast<uint8_t>(7 + side);
    c.max_sockets = 64;
    auto nic = std::make_unique<test::PairNic>(wire, side, c.iface.mac);
    return InProcessRuntime::create(std::move(nic), c).value();
}

class AttachTest : public ::testing::Test {
  protected:
    void SetUp() override {
        path = "/tmp/shunt-attach-test-" + std::to_string(::getpid()) + ".apps";
        attach::ServerConfig sc;
        sc.socket_path = path;
        sc.control_period = Duration(100);
        auto s = attach::Server::start(b->stack(), sc);
        ASSERT_TRUE(s.ok()) << s.error().message;
        server = std::move(s).value();
        pump = std::thread([this] {
            while (!stop.load()) {
                {
                    std::lock_guard<std::mutex> g(mu);
                    a->poll();
                    b->poll();
                }
                std::this_thread::sleep_for(std::chrono::microseconds(20));
            }
        });
    }
    void TearDown() override {
        stop.store(true);
        if (pump.joinable()) pump.join();
        server.reset();
    }
    template <typename F>
    bool until(F&& cond, int ms = 3000) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        while (std::chrono::steady_clock::now() < end) {
            if (cond()) return true;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        return false;
    }
    std::unique_ptr<AttachedRuntime> attach_app() {
        auto r = AttachedRuntime::attach(path);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? std::move(r).value() : nullptr;
    }
    // The peer connects to b:port; returns its handle once established.
    int peer_connect(uint16_t port) {
        int c = -1;
        {
            std::lock_guard<std::mutex> g(mu);
            EXPECT_EQ(a->connect(Addr{kIpB, port}, c), -EINPROGRESS);
        }
        EXPECT_TRUE(until([&] {
            std::lock_guard<std::mutex> g(mu);
            return (a->events_of(c) & SHUNT_EV_WRITABLE) != 0;
        }));
        return c;
    }
    // The server runs on the pump thread: look at it under the lock.
    template <typename F>
    auto locked(F&& f) {
        std::lock_guard<std::mutex> g(mu);
        return f();
    }
    int peer_events(int c) {
        std::lock_guard<std::mutex> g(mu);
        return a->events_of(c);
    }

    test::PairWire wire;
    std::unique_ptr<InProcessRuntime> a = make(wire, 0);
    std::unique_ptr<InProcessRuntime> b = make(wire, 1);  // the daemon's stack
    std::unique_ptr<attach::Server> server;
    std::string path;
    std::mutex mu;
    std::thread pump;
    std::atomic<bool> stop{false};
};

TEST_F(AttachTest, TcpThroughTheRingsBothWaysByteForByte) {
    auto app = attach_app();
    ASSERT_NE(app, nullptr);
    const int l = app->listen(80, 8);
    ASSERT_GT(l, 0);
    EXPECT_EQ(app->listen(80, 8), -EADDRINUSE);
    const int c = peer_connect(80);
    std::array<Event, 8> ev{};
    ASSERT_EQ(app->wait(ev, 2000), 1);
    EXPECT_EQ(ev[0].sock, l);
    EXPECT_NE(ev[0].events & SHUNT_EV_ACCEPT, 0u);
    Addr peer{};
    const int s = app->accept(l, &peer);
    ASSERT_GT(s, 0);
    EXPECT_EQ(peer.ip, kIpA);
    Addr local{};
    ASSERT_EQ(app->local_addr(s, local), 0);
    EXPECT_EQ(local.ip, kIpB);
    EXPECT_EQ(local.port, 80);
    // 200 KiB from the peer, read by the app with recv (copies through the rooms).
    std::string sent(200 * 1024, '\0');
    for (size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>((i * 131) ^ (i >> 9));
    std::string got;
    size_t off = 0;
    std::vector<char> buf(70000);
    ASSERT_TRUE(until(
        [&] {
            if (off < sent.size()) {
                std::lock_guard<std::mutex> g(mu);
                const ssize_t n = a->send(c, sent.data() + off, sent.size() - off);
                if (n > 0) off += static_cast<size_t>(n);
            }
            const ssize_t r = app->recv(s, buf.data(), buf.size());
            if (r > 0) got.append(buf.data(), static_cast<size_t>(r));
            return got.size() == sent.size();
        },
        10000));
    EXPECT_EQ(got, sent);
    // The other way, zero-copy: a buffer from the app's rooms.
    Buf zb{};
    ASSERT_EQ(app->buf_alloc(zb), 0);
    ASSERT_GE(zb.capacity, 1000u);
    std::memcpy(zb.data, "zero-copy payload", 17);
    ASSERT_EQ(app->send_zc(s, zb.id, 17), 17);
    EXPECT_EQ(app->buf_free(zb.id), -EBADF);  // it went with the send
    EXPECT_EQ(app->send(s, " and a copy", 11), 11);
    std::string back;
    ASSERT_TRUE(until([&] {
        std::lock_guard<std::mutex> g(mu);
        char tmp[64];
        const ssize_t r = a->recv(c, tmp, sizeof tmp);
        if (r > 0) back.append(tmp, static_cast<size_t>(r));
        return back.size() == 28;
    }));
    EXPECT_EQ(back, "zero-copy payload and a copy");
    // recv_zc: a view of the app's own rooms, held until release.
    {
        std::lock_guard<std::mutex> g(mu);
        ASSERT_EQ(a->send(c, "view", 4), 4);
    }
    IoVec iov[4];
    int token = -1;
    int n = 0;
    ASSERT_TRUE(until([&] { return (n = app->recv_zc(s, iov, token)) != -EAGAIN; }));
    ASSERT_EQ(n, 1);
    EXPECT_EQ(std::string(static_cast<const char*>(iov[0].base), iov[0].len), "view");
    EXPECT_EQ(app->release(token), 0);
    EXPECT_EQ(app->release(token), -EBADF);
    // Peer half-closes: the app reads EOF; closes.
    {
        std::lock_guard<std::mutex> g(mu);
        ASSERT_EQ(a->shutdown(c, SHUNT_SHUT_WR), 0);
    }
    char x;
    ASSERT_TRUE(until([&] { return app->recv(s, &x, 1) == 0; }));
    EXPECT_EQ(app->close(s), 0);
    EXPECT_EQ(app->close(s), -EBADF);
    EXPECT_FALSE(app->detached());
}

TEST_F(AttachTest, UdpAndOptionsThroughTheRings) {
    auto app = attach_app();
    ASSERT_NE(app, nullptr);
    const int u = app->udp_bind(5353);
    ASSERT_GT(u, 0);
    int pu = -1;
    {
        std::lock_guard<std::mutex> g(mu);
        pu = a->udp_bind(4000);
        ASSERT_EQ(a->sendto(pu, "ping", 4, Addr{kIpB, 5353}), 4);
    }
    char buf[16];
    Addr from{};
    ssize_t r = 0;
    ASSERT_TRUE(until([&] { return (r = app->recvfrom(u, buf, sizeof buf, &from)) != -EAGAIN; }));
    ASSERT_EQ(r, 4);
    EXPECT_EQ(std::string(buf, 4), "ping");
    EXPECT_EQ(from.ip, kIpA);
    EXPECT_EQ(from.port, 4000);
    EXPECT_EQ(app->sendto(u, "pong", 4, from), 4);
    ASSERT_TRUE(until([&] {
        std::lock_guard<std::mutex> g(mu);
        r = a->recvfrom(pu, buf, sizeof buf, nullptr);
        return r != -EAGAIN;
    }));
    EXPECT_EQ(std::string(buf, 4), "pong");
    EXPECT_EQ(app->setopt(0, SHUNT_OPT_NODELAY, 1), 0);
    EXPECT_EQ(app->setopt(0, 999, 1), -ENOPROTOOPT);
    EXPECT_EQ(app->set_congestion(0, "newreno"), 0);
    EXPECT_EQ(app->set_congestion(0, "bbr"), -ENOENT);
    EXPECT_EQ(app->set_congestion(0, "a-name-far-too-long-for-the-ring"), -ENOENT);
    EXPECT_EQ(app->sendto(u, buf, 70000, from), -EMSGSIZE);
}

TEST_F(AttachTest, WaitTimesOutThenWakesOnAnEvent) {
    auto app = attach_app();
    ASSERT_NE(app, nullptr);
    const int l = app->listen(81, 8);
    ASSERT_GT(l, 0);
    std::array<Event, 4> ev{};
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(app->wait(ev, 50), 0);
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, std::chrono::milliseconds(45));
    EXPECT_LT(waited, std::chrono::milliseconds(1000));
    // wait(0) leaves an armed wait: event_fd() turns readable once a connection comes.
    EXPECT_EQ(app->wait(ev, 0), 0);
    pollfd p{app->event_fd(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 0);
    std::thread connector([&] { peer_connect(81); });
    EXPECT_EQ(::poll(&p, 1, 3000), 1);
    connector.join();
    EXPECT_EQ(app->wait(ev, 0), 1);
    EXPECT_EQ(ev[0].sock, l);
    // A blocking wait wakes when the event comes (not at its timeout).
    ASSERT_GT(app->accept(l, nullptr), 0);
    std::thread later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        peer_connect(81);
    });
    t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(app->wait(ev, 5000), 1);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2000));
    later.join();
}

TEST_F(AttachTest, AnAppThatGoesAwayIsResetAndItsPortIsFreeAtOnce) {
    auto app = attach_app();
    ASSERT_NE(app, nullptr);
    const int l = app->listen(82, 8);
    ASSERT_GT(l, 0);
    const int c = peer_connect(82);
    std::array<Event, 4> ev{};
    ASSERT_EQ(app->wait(ev, 2000), 1);
    ASSERT_GT(app->accept(l, nullptr), 0);
    ASSERT_TRUE(until([&] { return locked([&] { return server->app_count(); }) == 1; }));
    ASSERT_EQ(locked([&] { return server->apps(); }).at(0).sockets, 2u);
    EXPECT_EQ(locked([&] { return server->apps(); }).at(0).pid, ::getpid());
    app.reset();  // what SIGKILL does to the control socket: EOF at the daemon
    ASSERT_TRUE(until([&] { return locked([&] { return server->app_count(); }) == 0; }));
    ASSERT_TRUE(until([&] { return (peer_events(c) & SHUNT_EV_ERROR) != 0; }));
    {
        std::lock_guard<std::mutex> g(mu);
        EXPECT_EQ(a->socket_error(c), ECONNRESET);
    }
    auto next = attach_app();
    ASSERT_NE(next, nullptr);
    EXPECT_GT(next->listen(82, 8), 0);  // the port is free again at once
    EXPECT_EQ(locked([&] { return server->detached_total(); }), 1u);
}

// A hand-made client: the handshake, then whatever it writes into the rings.
struct RawApp {
    UniqueFd conn;
    std::unique_ptr<attach::Region> region;
    UniqueFd doorbell, wake;
    bool open(const std::string& path) {
        conn.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        if (::connect(conn.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
            return false;
        attach::Hello h{attach::kMagic, attach::kVersion};
        if (::send(conn.get(), &h, sizeof h, 0) != sizeof h) return false;
        attach::Welcome w{};
        iovec iov{&w, sizeof w};
        alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))]{};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        if (::recvmsg(conn.get(), &msg, 0) != sizeof w || w.status != 0) return false;
        int fds[3];
        std::memcpy(fds, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof fds);
        doorbell.reset(fds[1]);
        wake.reset(fds[2]);
        auto r = attach::Region::map(fds[0]);
        if (!r) return false;
        region = std::move(r).value();
        return true;
    }
};

TEST_F(AttachTest, HostileRingContentsAreRejectedCountedAndDetach) {
    RawApp raw;
    ASSERT_TRUE(raw.open(path));
    auto& r = *raw.region;
    attach::RingProducer<attach::Command> cmds(r.command_control(), r.command_slots(),
                                               r.layout().command_capacity);
    attach::RingConsumer<attach::Completion> cpls(r.completion_control(), r.completion_slots(),
                                                  r.layout().completion_capacity);
    auto ask = [&](attach::Command c) {
        EXPECT_EQ(cmds.push(c), attach::RingStatus::ok);
        ::eventfd_write(raw.doorbell.get(), 1);
        attach::Completion out{};
        EXPECT_TRUE(until([&] { return cpls.pop(out) == attach::RingStatus::ok; }));
        EXPECT_EQ(out.seq, c.seq);
        return out.result;
    };
    attach::Command c{};
    c.seq = 1;
    c.op = 999;  // no such op
    EXPECT_EQ(ask(c), -ENOSYS);
    c = {};
    c.seq = 2;
    c.op = static_cast<uint16_t>(attach::Op::recv);
    c.room = r.layout().room_count - 1;
    c.len = 2 * attach::kRoomSize;  // runs off the end of the region
    EXPECT_EQ(ask(c), -EFAULT);
    c.room = 0xffffffff;
    c.len = 1;
    c.seq = 3;
    EXPECT_EQ(ask(c), -EFAULT);
    c = {};
    c.seq = 4;
    c.op = static_cast<uint16_t>(attach::Op::send);
    c.sock = 12345;  // not one of its handles
    c.len = 4;
    EXPECT_EQ(ask(c), -EBADF);
    c = {};
    c.seq = 5;
    c.op = static_cast<uint16_t>(attach::Op::events);
    c.len = 3;  // not even one event fits
    EXPECT_EQ(ask(c), -EINVAL);
    ASSERT_EQ(locked([&] { return server->app_count(); }), 1u);
    auto info = locked([&] { return server->apps(); }).at(0);
    EXPECT_EQ(info.bad[static_cast<size_t>(attach::BadCommand::unknown_op)], 1u);
    EXPECT_EQ(info.bad[static_cast<size_t>(attach::BadCommand::bad_room)], 2u);
    EXPECT_EQ(info.errors, 5u);
    // A producer index claiming more entries than the ring holds: the app is detached.
    r.command_control()->produced.store(r.command_control()->produced.load() + 100000);
    ::eventfd_write(raw.doorbell.get(), 1);
    ASSERT_TRUE(until([&] { return locked([&] { return server->app_count(); }) == 0; }));
    EXPECT_EQ(locked([&] {
                  return server->bad_total();
              })[static_cast<size_t>(attach::BadCommand::bad_ring)],
              1u);
    // The daemon closed its end: the app sees EOF on its control socket.
    char byte;
    EXPECT_EQ(::recv(raw.conn.get(), &byte, 1, 0), 0);
}

TEST_F(AttachTest, AHelloOfAnotherVersionIsRefused) {
    UniqueFd conn(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::connect(conn.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    attach::Hello h{attach::kMagic, attach::kVersion + 1};
    ASSERT_EQ(::send(conn.get(), &h, sizeof h, 0), static_cast<ssize_t>(sizeof h));
    attach::Welcome w{};
    ASSERT_EQ(::recv(conn.get(), &w, sizeof w, 0), static_cast<ssize_t>(sizeof w));
    EXPECT_EQ(w.status, -EPROTO);
    EXPECT_EQ(locked([&] { return server->app_count(); }), 0u);
    EXPECT_FALSE(AttachedRuntime::attach("/nonexistent/x.apps").ok());
}

}  // namespace
}  // namespace shunt
