// libshunt in-process: two runtimes joined back to back in memory (PairNic), one as the client
// and one as the server, driven from the test's thread. Covers the handle table (a closed
// handle stays invalid, even once its slot is reused), the calls' errno mapping, the
// level-triggered wait with interest masks and timeouts, the event fd, zero-copy both ways,
// UDP, and the C API on the same runtime.
#include "lib/handle_table.hpp"
#include "lib/inprocess.hpp"
#include "pair_nic.hpp"

#include <poll.h>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

extern "C" int shunt_c_header_compiles(void);  // c_api_test.c

namespace shunt {
namespace {

using lib::InProcessRuntime;

const MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
const MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x0b}};
constexpr uint32_t kIpA = 0x0a000001;  // 10.0.0.1
constexpr uint32_t kIpB = 0x0a000002;  // 10.0.0.2

std::unique_ptr<InProcessRuntime> make(test::PairWire& wire, int side, uint32_t max_sockets = 64) {
    lib::InProcessConfig c;
    c.iface.mac = side == 0 ? kMacA : kMacB;
    c.iface.address = wire::Ipv4Cidr{wire::Ipv4Addr{side == 0 ? kIpA : kIpB}, 24};
    c.tcp.secret[0] = static_cast<uint8_t>(7 + side);
    c.max_sockets = max_sockets;
    c.max_held = 8;
    auto nic = std::make_unique<test::PairNic>(wire, side, c.iface.mac);
    return InProcessRuntime::create(std::move(nic), c).value();
}

class LibTest : public ::testing::Test {
  protected:
    // Polls both sides until cond holds; bounded (2000 rounds, about 2 s of nap).
    template <typename F>
    bool pump(F&& cond) {
        for (int i = 0; i < 2000; ++i) {
            a->poll();
            b->poll();
            if (cond()) return true;
            if (i > 100) {
                timespec t{0, 1'000'000};
                ::nanosleep(&t, nullptr);
            }
        }
        return false;
    }
    // A connected pair: client on a (returned in c), server side on b (returned in s).
    void connect_pair(int& c, int& s) {
        listener = b->listen(80, 16);
        ASSERT_GT(listener, 0);
        ASSERT_EQ(a->connect(Addr{kIpB, 80}, c), -EINPROGRESS);
        ASSERT_GT(c, 0);
        ASSERT_TRUE(pump([&] { return (a->events_of(c) & SHUNT_EV_WRITABLE) != 0; }));
        Addr peer{};
        s = b->accept(listener, &peer);
        ASSERT_GT(s, 0);
        EXPECT_EQ(peer.ip, kIpA);
    }

    test::PairWire wire;  // before the runtimes: their shutdown still sends on it
    std::unique_ptr<InProcessRuntime> a = make(wire, 0);
    std::unique_ptr<InProcessRuntime> b = make(wire, 1);
    int listener = -1;
};

TEST(HandleTable, StaleHandlesNeverReachTheSlotsNextOccupant) {
    lib::HandleTable<int> t(2);
    const int h1 = t.add(10);
    const int h2 = t.add(20);
    EXPECT_GT(h1, 0);
    EXPECT_GT(h2, 0);
    EXPECT_EQ(t.add(30), -1);  // full
    ASSERT_TRUE(t.remove(h1));
    EXPECT_EQ(t.get(h1), nullptr);
    EXPECT_FALSE(t.remove(h1));
    const int h3 = t.add(30);  // reuses h1's slot
    EXPECT_NE(h3, h1);
    EXPECT_EQ(t.get(h1), nullptr);
    ASSERT_NE(t.get(h3), nullptr);
    EXPECT_EQ(*t.get(h3), 30);
    EXPECT_EQ(t.get(0), nullptr);
    EXPECT_EQ(t.get(-5), nullptr);
    EXPECT_EQ(t.get(12345678), nullptr);
}

TEST_F(LibTest, ClosedHandlesGiveEbadfEvenAfterTheirSlotIsReused) {
    const int u = b->udp_bind(5000);
    ASSERT_GT(u, 0);
    ASSERT_EQ(b->close(u), 0);
    char x = 0;
    EXPECT_EQ(b->close(u), -EBADF);
    EXPECT_EQ(b->recv(u, &x, 1), -EBADF);
    EXPECT_EQ(b->sendto(u, &x, 1, Addr{kIpA, 1}), -EBADF);
    EXPECT_EQ(b->interest(u, SHUNT_EV_READABLE), -EBADF);
    const int u2 = b->udp_bind(5000);  // same slot, same port: a new handle
    ASSERT_GT(u2, 0);
    EXPECT_NE(u2, u);
    EXPECT_EQ(b->recvfrom(u, &x, 1, nullptr), -EBADF);
    EXPECT_EQ(b->recvfrom(u2, &x, 1, nullptr), -EAGAIN);
    EXPECT_EQ(b->send(999, &x, 1), -EBADF);
}

TEST_F(LibTest, ErrnoOfCallsLikePosix) {
    EXPECT_EQ(b->listen(80, 4) > 0, true);
    EXPECT_EQ(b->listen(80, 4), -EADDRINUSE);
    EXPECT_EQ(b->listen(0, 4), -EINVAL);
    const int u = b->udp_bind(53);
    EXPECT_EQ(b->udp_bind(53), -EADDRINUSE);
    int c = -1;
    EXPECT_EQ(a->connect(Addr{0, 80}, c), -EINVAL);
    const int l = b->listen(81, 4);
    EXPECT_EQ(b->accept(l, nullptr), -EAGAIN);
    EXPECT_EQ(b->accept(u, nullptr), -EINVAL);
    char x = 0;
    EXPECT_EQ(b->send(l, &x, 1), -ENOTCONN);
    EXPECT_EQ(b->send(u, &x, 1), -EOPNOTSUPP);
    EXPECT_EQ(b->sendto(l, &x, 1, Addr{kIpA, 9}), -EOPNOTSUPP);
    EXPECT_EQ(b->setopt(l, 999, 1), -ENOTCONN);
    EXPECT_EQ(b->setopt(0, 999, 1), -ENOPROTOOPT);
    EXPECT_EQ(b->set_congestion(0, "bbr"), -ENOENT);
    EXPECT_EQ(b->set_congestion(0, "newreno"), 0);
    EXPECT_EQ(lib::errno_of(tcp::TcpError::reset), ECONNRESET);
    EXPECT_EQ(lib::errno_of(tcp::TcpError::refused), ECONNREFUSED);
    EXPECT_EQ(lib::errno_of(tcp::TcpError::keepalive), ETIMEDOUT);
    EXPECT_EQ(lib::errno_of(tcp::TcpError::none), 0);
}

TEST_F(LibTest, ConnectRefusedReportsErrorAndEconnrefused) {
    int c = -1;
    ASSERT_EQ(a->connect(Addr{kIpB, 4444}, c), -EINPROGRESS);  // nobody listens on b
    char x = 0;
    EXPECT_EQ(a->send(c, &x, 1), -EAGAIN);  // still connecting
    std::array<Event, 4> ev{};
    int n = 0;
    ASSERT_TRUE(pump([&] {
        n = a->wait(ev, 0);
        return n > 0;
    }));
    EXPECT_EQ(ev[0].sock, c);
    EXPECT_NE(ev[0].events & SHUNT_EV_ERROR, 0u);
    EXPECT_EQ(a->socket_error(c), ECONNREFUSED);
    EXPECT_EQ(a->recv(c, &x, 1), -ECONNREFUSED);
    EXPECT_EQ(a->send(c, &x, 1), -ECONNREFUSED);
    EXPECT_EQ(a->close(c), 0);
}

TEST_F(LibTest, CopyingStreamBothWaysWithHalfCloseAndEof) {
    int c = -1, s = -1;
    connect_pair(c, s);
    Addr local{}, peer{};
    ASSERT_EQ(a->local_addr(c, local), 0);
    ASSERT_EQ(b->peer_addr(s, peer), 0);
    EXPECT_EQ(local.ip, kIpA);
    EXPECT_EQ(peer.port, local.port);
    const std::string msg = "hello, shunt";
    EXPECT_EQ(a->send(c, msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
    char buf[64] = {};
    EXPECT_EQ(b->recv(s, buf, sizeof buf), -EAGAIN);  // not polled yet
    ASSERT_TRUE(pump([&] { return (b->events_of(s) & SHUNT_EV_READABLE) != 0; }));
    // A short read leaves the rest for the next one.
    EXPECT_EQ(b->recv(s, buf, 5), 5);
    EXPECT_EQ(b->recv(s, buf + 5, sizeof buf - 5), static_cast<ssize_t>(msg.size() - 5));
    EXPECT_EQ(std::string(buf, msg.size()), msg);
    EXPECT_EQ(a->shutdown(c, SHUNT_SHUT_WR), 0);
    EXPECT_EQ(a->send(c, msg.data(), 1), -EPIPE);
    EXPECT_EQ(a->shutdown(c, 0), -EINVAL);
    ASSERT_TRUE(pump([&] { return b->recv(s, buf, sizeof buf) == 0; }));  // EOF
    // The half-closed side still receives.
    EXPECT_EQ(b->send(s, "bye", 3), 3);
    ASSERT_TRUE(pump([&] { return a->recv(c, buf, sizeof buf) == 3; }));
    EXPECT_EQ(b->close(s), 0);
    ASSERT_TRUE(pump([&] { return (a->events_of(c) & SHUNT_EV_CLOSED) != 0; }));
    EXPECT_EQ(a->recv(c, buf, sizeof buf), 0);
    EXPECT_EQ(a->socket_error(c), 0);
    EXPECT_EQ(a->close(c), 0);
}

TEST_F(LibTest, CloseWithUnreadDataResetsThePeer) {
    int c = -1, s = -1;
    connect_pair(c, s);
    ASSERT_EQ(b->send(s, "unread", 6), 6);
    ASSERT_TRUE(pump([&] { return (a->events_of(c) & SHUNT_EV_READABLE) != 0; }));
    char x;
    ASSERT_EQ(a->recv(c, &x, 1), 1);  // part read: the library holds the rest
    EXPECT_EQ(a->close(c), 0);
    ASSERT_TRUE(pump([&] { return (b->events_of(s) & SHUNT_EV_ERROR) != 0; }));
    EXPECT_EQ(b->socket_error(s), ECONNRESET);
    EXPECT_EQ(b->send(s, "x", 1), -ECONNRESET);
}

TEST_F(LibTest, WaitIsLevelTriggeredAndFollowsInterest) {
    int c = -1, s = -1;
    connect_pair(c, s);
    std::array<Event, 8> ev{};
    // Nothing to report on b (its socket is not readable; the listener has no connection).
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(b->wait(ev, 30), 0);
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, std::chrono::milliseconds(30));
    EXPECT_LT(waited, std::chrono::milliseconds(1000));
    ASSERT_EQ(a->send(c, "ping", 4), 4);
    ASSERT_TRUE(pump([&] { return (b->events_of(s) & SHUNT_EV_READABLE) != 0; }));
    // Reported on every wait while unread (level-triggered)...
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(b->wait(ev, 0), 1);
        EXPECT_EQ(ev[0].sock, s);
        EXPECT_EQ(ev[0].events, SHUNT_EV_READABLE);  // WRITABLE is not in the default interest
    }
    // ...and the event fd is readable while it is pending.
    pollfd p{b->event_fd(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 1);
    // Interest without READABLE hides it; with WRITABLE the socket reports that instead.
    ASSERT_EQ(b->interest(s, SHUNT_EV_WRITABLE), 0);
    ASSERT_EQ(b->wait(ev, 0), 1);
    EXPECT_EQ(ev[0].events, SHUNT_EV_WRITABLE);
    ASSERT_EQ(b->interest(s, 0), 0);
    EXPECT_EQ(b->wait(ev, 0), 0);
    ASSERT_EQ(b->interest(s, SHUNT_EV_READABLE), 0);
    char buf[8];
    ASSERT_EQ(b->recv(s, buf, sizeof buf), 4);
    EXPECT_EQ(b->wait(ev, 0), 0);  // read: no longer reported
    // A wait that fills its array resumes with the sockets it left out (fairness).
    const int u1 = b->udp_bind(7001), u2 = b->udp_bind(7002), u3 = b->udp_bind(7003);
    for (int u : {u1, u2, u3}) ASSERT_EQ(b->interest(u, SHUNT_EV_WRITABLE), 0);
    std::array<Event, 2> two{};
    ASSERT_EQ(b->wait(two, 0), 2);
    const int first = two[0].sock, second = two[1].sock;
    ASSERT_EQ(b->wait(two, 0), 2);
    EXPECT_NE(two[0].sock, first);
    EXPECT_NE(two[0].sock, second);
}

TEST_F(LibTest, ZeroCopyReceiveAndSend) {
    int c = -1, s = -1;
    connect_pair(c, s);
    // Zero-copy send: the app fills a pool buffer; the stack sends that buffer.
    Buf buf{};
    ASSERT_EQ(a->buf_alloc(buf), 0);
    ASSERT_GE(buf.capacity, 1000u);
    std::memset(buf.data, 'z', 1000);
    EXPECT_EQ(a->send_zc(c, buf.id, 1000), 1000);
    EXPECT_EQ(a->buf_free(buf.id), -EBADF);  // the stack owns it now
    ASSERT_TRUE(pump([&] { return (b->events_of(s) & SHUNT_EV_READABLE) != 0; }));
    // Zero-copy receive: views of the received buffers, valid until released.
    std::array<IoVec, 4> iov{};
    int token = -1;
    const int n = b->recv_zc(s, iov, token);
    ASSERT_GT(n, 0);
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
        const auto* p = static_cast<const char*>(iov[static_cast<size_t>(i)].base);
        for (size_t k = 0; k < iov[static_cast<size_t>(i)].len; ++k) ASSERT_EQ(p[k], 'z');
        total += iov[static_cast<size_t>(i)].len;
    }
    EXPECT_EQ(total, 1000u);
    EXPECT_EQ(b->release(token), 0);
    EXPECT_EQ(b->release(token), -EBADF);
    // The app's holdings are bounded (max_held 8): the ninth buffer is refused, not taken.
    std::array<Buf, 8> held{};
    for (auto& h : held) ASSERT_EQ(a->buf_alloc(h), 0);
    Buf extra{};
    EXPECT_EQ(a->buf_alloc(extra), -ENOBUFS);
    for (auto& h : held) EXPECT_EQ(a->buf_free(h.id), 0);
    EXPECT_EQ(a->send_zc(c, held[0].id, 10), -EBADF);
    ASSERT_EQ(a->buf_alloc(extra), 0);
    EXPECT_EQ(a->send_zc(c, extra.id, 0), -EINVAL);
    EXPECT_EQ(a->send_zc(c, extra.id, extra.capacity + 1), -EINVAL);
    EXPECT_EQ(a->buf_free(extra.id), 0);
}

TEST_F(LibTest, UdpSendtoRecvfrom) {
    const int ua = a->udp_bind(4000);
    const int ub = b->udp_bind(5000);
    ASSERT_GT(ua, 0);
    ASSERT_GT(ub, 0);
    EXPECT_EQ(a->sendto(ua, "datagram", 8, Addr{kIpB, 5000}), 8);
    ASSERT_TRUE(pump([&] { return (b->events_of(ub) & SHUNT_EV_READABLE) != 0; }));
    char buf[4];
    Addr from{};
    // Truncated as recvfrom(2) truncates: the rest of the datagram is gone.
    EXPECT_EQ(b->recvfrom(ub, buf, sizeof buf, &from), 4);
    EXPECT_EQ(std::string(buf, 4), "data");
    EXPECT_EQ(from.ip, kIpA);
    EXPECT_EQ(from.port, 4000);
    EXPECT_EQ(b->recvfrom(ub, buf, sizeof buf, &from), -EAGAIN);
    // Zero copy out of a pool buffer.
    Buf zb{};
    ASSERT_EQ(b->buf_alloc(zb), 0);
    std::memcpy(zb.data, "back", 4);
    EXPECT_EQ(b->sendto_zc(ub, zb.id, 4, from), 4);
    ASSERT_TRUE(pump([&] { return (a->events_of(ua) & SHUNT_EV_READABLE) != 0; }));
    EXPECT_EQ(a->recvfrom(ua, buf, sizeof buf, nullptr), 4);
    EXPECT_EQ(std::string(buf, 4), "back");
    EXPECT_EQ(a->sendto(ua, "x", 1, Addr{kIpB, 0}), -EDESTADDRREQ);
}

TEST_F(LibTest, FullHandleTableIsEmfileAndLosesNoConnection) {
    test::PairWire w2;
    auto small_a = make(w2, 0);
    auto small_b = make(w2, 1, 2);  // the listener and one connection
    const int l = small_b->listen(80, 8);
    int c1 = -1, c2 = -1;
    ASSERT_EQ(small_a->connect(Addr{kIpB, 80}, c1), -EINPROGRESS);
    ASSERT_EQ(small_a->connect(Addr{kIpB, 80}, c2), -EINPROGRESS);
    bool ok = false;
    for (int i = 0; i < 2000 && !ok; ++i) {
        small_a->poll();
        small_b->poll();
        ok = (small_a->events_of(c1) & small_a->events_of(c2) & SHUNT_EV_WRITABLE) != 0;
    }
    ASSERT_TRUE(ok);
    const int s1 = small_b->accept(l, nullptr);
    EXPECT_GT(s1, 0);
    EXPECT_EQ(small_b->accept(l, nullptr), -EMFILE);
    ASSERT_EQ(small_b->close(s1), 0);
    EXPECT_GT(small_b->accept(l, nullptr), 0);  // still queued: nothing was lost
}

TEST_F(LibTest, CApiOverTheSameRuntime) {
    EXPECT_EQ(shunt_c_header_compiles(), 0);
    shunt_runtime* ca = lib::wrap_for_c(std::move(a));
    shunt_runtime* cb = lib::wrap_for_c(std::move(b));
    const int l = shunt_listen(cb, 8080, 4);
    ASSERT_GT(l, 0);
    int c = -1;
    ASSERT_EQ(shunt_connect(ca, shunt_addr{kIpB, 8080}, &c), -EINPROGRESS);
    shunt_event ev[4];
    bool accepted = false;
    for (int i = 0; i < 2000 && !accepted; ++i) {
        shunt_poll(ca);
        const int n = shunt_wait(cb, ev, 4, 0);
        accepted = n == 1 && ev[0].sock == l && (ev[0].events & SHUNT_EV_ACCEPT) != 0;
    }
    ASSERT_TRUE(accepted);
    shunt_addr peer{};
    const int s = shunt_accept(cb, l, &peer);
    ASSERT_GT(s, 0);
    EXPECT_EQ(peer.ip, kIpA);
    EXPECT_EQ(shunt_setopt(cb, s, SHUNT_OPT_NODELAY, 1), 0);
    EXPECT_EQ(shunt_setopt(cb, s, SHUNT_OPT_RCVBUF, 1 << 16), -EINVAL);
    EXPECT_EQ(shunt_send(cb, s, "c-api", 5), 5);
    char buf[8];
    ssize_t got = -EAGAIN;
    for (int i = 0; i < 2000 && got == -EAGAIN; ++i) {
        shunt_poll(cb);
        shunt_poll(ca);
        got = shunt_recv(ca, c, buf, sizeof buf);
    }
    ASSERT_EQ(got, 5);
    EXPECT_EQ(std::string(buf, 5), "c-api");
    EXPECT_EQ(shunt_send(ca, c, nullptr, 5), -EFAULT);
    EXPECT_EQ(shunt_wait(ca, nullptr, 4, 0), -EINVAL);
    EXPECT_EQ(shunt_close(ca, c), 0);
    EXPECT_EQ(shunt_close(ca, c), -EBADF);
    EXPECT_EQ(shunt_poll(nullptr), -EINVAL);
    uint32_t ip = 0;
    EXPECT_EQ(shunt_parse_ipv4("10.77.0.2", &ip), 0);
    EXPECT_EQ(ip, 0x0a4d0002u);
    EXPECT_EQ(shunt_parse_ipv4("10.77.0", &ip), -EINVAL);
    shunt_close_runtime(ca);
    shunt_close_runtime(cb);
}

TEST(LibOpen, BadConfigFailsWithOneSentence) {
    const char* error = nullptr;
    shunt_config cfg{};
    EXPECT_EQ(shunt_open(&cfg, &error), nullptr);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string(error).find("required"), std::string::npos);
    cfg.nic = "tap:x";
    cfg.ip = "10.0.0.1";  // no prefix
    EXPECT_EQ(shunt_open(&cfg, &error), nullptr);
    EXPECT_NE(std::string(error).find("A.B.C.D/LEN"), std::string::npos);
    cfg.ip = "10.0.0.1/24";
    cfg.nic = "usb:0";
    EXPECT_EQ(shunt_open(&cfg, &error), nullptr);
    EXPECT_NE(std::string(error).find("expected tap:NAME"), std::string::npos);
    std::string err;
    RuntimeConfig rc;
    rc.nic = "pci:zz";
    rc.ip = "10.0.0.1/24";
    EXPECT_EQ(Runtime::open(rc, err), nullptr);
    EXPECT_NE(err.find("not a PCI address"), std::string::npos);
}

}  // namespace
}  // namespace shunt
