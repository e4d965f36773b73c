// One shunt Stack behind packetdrill's socket calls, on a virtual clock (docs/conformance.md).
//
// packetdrill runs a script's system calls and packets against this object through the
// struct packetdrill_interface that packetdrill_shim.cpp fills in. Time moves only when
// packetdrill asks it to (usleep, and the microsecond each gettimeofday adds so that its
// spin-waits end), or when it waits for a packet the stack has yet to send: then the clock
// jumps to the stack's next timer. Every change polls the stack at the current virtual time,
// so a segment leaves at the instant its cause happened, as in a kernel.
//
// packetdrill calls blocking system calls (those written with an end time) from a second
// thread and goes on injecting packets; the calls here hold one mutex and a blocking call
// sleeps on a condition variable that every poll signals (packetdrill checks that the thread
// is asleep in the kernel before it continues, which a futex wait is).
#pragma once

#include "script_nic.hpp"
#include "stack/stack.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace shunt::conformance {

struct HostConfig {
    wire::Ipv4Addr local_ip = wire::Ipv4Addr::from_octets(192, 168, 0, 1);
    // RFC 7323 timestamps on new connections: a script that turns Linux's off
    // (net.ipv4.tcp_timestamps=0) gets them off here too (run_packetdrill.sh passes it).
    bool timestamps = true;
};

// Parses packetdrill's --so_flags, comma-separated: "local_ip=192.168.0.2", "timestamps=0";
// nullopt on anything else.
std::optional<HostConfig> parse_flags(const char* flags);

class VirtualHost {
  public:
    explicit VirtualHost(HostConfig config);
    bool ok() const { return stack_.has_value(); }

    // The calls of struct packetdrill_interface: Linux's return values and errno.
    int socket(int domain, int type, int protocol);
    int bind(int fd, const sockaddr* addr, socklen_t len);
    int listen(int fd, int backlog);
    int accept(int fd, sockaddr* addr, socklen_t* len);
    int connect(int fd, const sockaddr* addr, socklen_t len);
    ssize_t recv(int fd, const iovec* iov, int iovcnt, int flags, sockaddr* from,
                 socklen_t* fromlen);
    ssize_t send(int fd, const iovec* iov, int iovcnt, int flags);
    int fcntl(int fd, int cmd, long arg);
    int ioctl(int fd, unsigned long request, void* arg);
    int close(int fd);
    int shutdown(int fd, int how);
    int getsockopt(int fd, int level, int name, void* val, socklen_t* len);
    int setsockopt(int fd, int level, int name, const void* val, socklen_t len);
    int poll(pollfd* fds, nfds_t n, int timeout_ms);
    int epoll_create(int size);
    int epoll_ctl(int epfd, int op, int fd, epoll_event* ev);
    int epoll_wait(int epfd, epoll_event* events, int max, int timeout_ms);

    int netdev_send(const void* buf, size_t count);
    int netdev_receive(void* buf, size_t* count, long long* time_usecs);
    int usleep(useconds_t usec);
    int gettimeofday(timeval* tv);

  private:
    enum class Kind : uint8_t { fresh, listener, conn, epoll };
    struct Interest {
        epoll_event ev{};
        uint32_t last = 0;      // EPOLLET: the mask at the last look
        uint32_t last_rcv = 0;  // EPOLLET: RCV.NXT at the last look (new data is an edge)
    };
    struct Sock {
        Kind kind = Kind::fresh;
        bool nonblock = false;
        Endpoint bound{};
        tcp::SocketOptions opts{};
        tcp::TcpListener* listener = nullptr;
        tcp::TcpSocket* conn = nullptr;
        bool rd_shut = false;
        bool wr_shut = false;
        bool error_reported = false;       // the connection's error went out once (Linux sk_err)
        std::map<int, Interest> interest;  // epoll only
    };

    Sock* find(int fd);
    int new_fd();
    // Polls the stack at now_ until it has nothing more to do, then wakes blocked calls.
    void pump();
    void advance_to(Instant t);
    // Sleeps (releasing the lock) until pump() runs again.
    void wait(std::unique_lock<std::mutex>& lock);
    uint32_t poll_mask(const Sock& s) const;
    int take_error(Sock& s);
    uint32_t rcv_of(const Sock& s) const;
    int epoll_collect(Sock& ep, epoll_event* events, int max);

    std::mutex mu_;
    std::condition_variable cv_;
    HostConfig config_;
    ScriptNic nic_;
    std::optional<Stack> stack_;
    Instant now_;
    std::map<int, Sock> fds_;
    std::condition_variable ran_;  // woken_ reached 0
    uint64_t pumps_ = 0;           // pump() calls: what a sleeping call waits to change
    int blocked_ = 0;              // calls asleep in wait()
    int woken_ = 0;                // of those, woken by the last pump() and not yet run
};

}  // namespace shunt::conformance
