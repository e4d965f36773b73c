// The POSIX socket layer (docs/posix.md): shunt sockets behind real kernel fd numbers, over
// libshunt's public API (shunt/shunt.hpp) only.
//
// One Runtime per process, opened on the first socket the stack can serve, guarded by one
// mutex; a stack thread owned by the layer keeps the stack running (ACKs, retransmissions,
// timers) while the program blocks in calls the layer does not see, and wakes sockets by
// writing their eventfds. Every method returns >= 0 or a negated errno (interpose.cpp sets
// errno), as libshunt's calls do.
#pragma once

#include "posix/events.hpp"
#include "posix/fd_table.hpp"

#include <shunt/shunt.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace shunt::posix {

struct Socket {
    bool tcp = true;  // else UDP
    SockState state = SockState::fresh;
    int handle = -1;       // libshunt handle (listener, connection, UDP socket), -1 if none
    std::vector<int> fds;  // the kernel fd numbers (the eventfd and its dups); fds[0] is woken
    bool nonblock = false;
    uint32_t bound_ip = 0;  // host order
    uint16_t bound_port = 0;
    bool bound = false;
    Addr peer{};  // TCP: the peer; UDP: the connected peer (has_peer)
    bool has_peer = false;
    uint32_t armed = 0;  // shunt events the app waits for: the handle's interest
    uint32_t seen = 0;   // events reported by the last sync that saw this socket
    uint64_t seen_epoch = 0;
    uint64_t op_gen = 0;  // bumped by every read/write/accept (edge-triggered epoll re-reports)
    std::string rx;       // bytes pulled ahead (MSG_PEEK, FIONREAD, the end of a connection)
    Addr rx_from{};       // UDP: the sender of the datagram held in rx
    bool rd_shut = false;
    bool wr_shut = false;
    int error = 0;  // SO_ERROR (positive errno), cleared when reported
    // Options as set (get returns them); the ones the stack honours are applied too.
    std::map<std::pair<int, int>, std::string> opts;
    int rcvtimeo_ms = -1, sndtimeo_ms = -1;
    int backlog = 128;
};

struct EpollMember {
    uint32_t events = 0;
    uint64_t data = 0;
    bool disabled = false;                 // EPOLLONESHOT fired
    uint64_t reported_gen = ~uint64_t{0};  // EPOLLET: op_gen when last reported
    uint32_t reported_bits = 0;
};

struct EpollSet {
    int inner = -1;  // a kernel epoll over the members' eventfds, itself in the app's epoll
    uint64_t tag = 0;
    std::map<int, EpollMember> members;  // by fd
};

class Layer;
// The layer once it is on (null before the first socket, or when it is off).
extern std::atomic<Layer*> g_current;

class Layer {
  public:
    // The lock-free lookup every interposed call starts with: the socket behind fd, or null
    // for a kernel fd.
    static Socket* find(int fd) noexcept {
        Layer* l = g_current.load(std::memory_order_acquire);
        return l == nullptr ? nullptr : l->table_.get(fd);
    }
    static Layer* current() noexcept { return g_current.load(std::memory_order_acquire); }
    // The process's layer; null when the layer is off (no SHUNT_NIC, a setuid program, or the
    // runtime failed to open), then every call goes to the kernel.
    static Layer* get() noexcept;
    static void at_exit() noexcept;
    static void after_fork_child() noexcept;

    FdTable<Socket>& table() noexcept { return table_; }
    FdTable<EpollSet>& epolls() noexcept { return epolls_; }
    bool forked_child() const noexcept { return forked_child_; }
    void log_fallback(int fd, const char* what, const char* why) noexcept;

    int socket(int domain, int type, int protocol) noexcept;
    int bind(int fd, const sockaddr* addr, socklen_t len) noexcept;
    int listen(int fd, int backlog) noexcept;
    int accept(int fd, sockaddr* addr, socklen_t* len, int flags) noexcept;
    int connect(int fd, const sockaddr* addr, socklen_t len) noexcept;
    ssize_t recv(int fd, const iovec* iov, int iovcnt, int flags, sockaddr* from,
                 socklen_t* fromlen) noexcept;
    ssize_t send(int fd, const iovec* iov, int iovcnt, int flags, const sockaddr* to,
                 socklen_t tolen) noexcept;
    int shutdown(int fd, int how) noexcept;
    int close(int fd) noexcept;
    int getsockopt(int fd, int level, int name, void* val, socklen_t* len) noexcept;
    int setsockopt(int fd, int level, int name, const void* val, socklen_t len) noexcept;
    int getsockname(int fd, sockaddr* addr, socklen_t* len) noexcept;
    int getpeername(int fd, sockaddr* addr, socklen_t* len) noexcept;
    int fcntl(int fd, int cmd, long arg) noexcept;
    int ioctl(int fd, unsigned long req, void* arg) noexcept;
    int poll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask) noexcept;
    int dup(int oldfd, int newfd, int flags, bool any) noexcept;
    int epoll_ctl(int epfd, int op, int fd, epoll_event* ev) noexcept;
    int epoll_wait(int epfd, epoll_event* evs, int max, int timeout_ms,
                   const sigset_t* mask) noexcept;
    void epoll_closed(int epfd) noexcept;
    ssize_t sendfile(int out, int in, off_t* offset, size_t count) noexcept;

  private:
    Layer(std::unique_ptr<Runtime> rt, uint32_t ip, uint32_t prefix_mask, uint32_t gateway);
    using Lock = std::unique_lock<std::mutex>;

    // The stack thread: sleeps on the runtime's event fd, runs the stack, wakes sockets.
    void stack_loop() noexcept;
    // Runs the stack and dispatches its events (lock held); returns this sync's epoch.
    uint64_t sync() noexcept;
    void dispatch(const Event& e) noexcept;
    void end_connection(Socket& s) noexcept;
    void set_interest(Socket& s) noexcept;
    // Blocks (dropping the lock) until `want` is reported for s, the timeout passes (-EAGAIN)
    // or a signal arrives (-EINTR). Spins first (SHUNT_SPIN_US), polling the stack itself.
    int block(Lock& lk, Socket& s, uint32_t want, int timeout_ms) noexcept;
    uint32_t readiness(Socket& s, uint32_t asked, uint64_t epoch) noexcept;
    void release(Socket& s) noexcept;
    // Hands a fresh socket to the kernel (dup3 of a real socket onto its number).
    int to_kernel(int fd, Socket& s, const char* why) noexcept;
    bool routable(uint32_t ip) const noexcept;
    int ensure_udp_bound(Socket& s) noexcept;
    int pull(Socket& s, size_t want) noexcept;
    ssize_t tcp_recv(Lock& lk, Socket& s, const iovec* iov, int iovcnt, int flags) noexcept;
    ssize_t tcp_send(Lock& lk, Socket& s, const iovec* iov, int iovcnt, int flags) noexcept;
    ssize_t udp_recv(Lock& lk, Socket& s, const iovec* iov, int iovcnt, int flags, sockaddr* from,
                     socklen_t* fromlen) noexcept;
    ssize_t udp_send(Lock& lk, Socket& s, const iovec* iov, int iovcnt, int flags,
                     const sockaddr* to, socklen_t tolen) noexcept;
    void apply_opts(Socket& s) noexcept;
    void reap_orphans() noexcept;
    void shutdown_all() noexcept;

    std::unique_ptr<Runtime> rt_;
    uint32_t ip_, mask_, gateway_;
    std::mutex mu_;
    FdTable<Socket> table_;
    FdTable<EpollSet> epolls_;
    std::vector<EpollSet*> epoll_list_;
    std::unordered_map<int, Socket*> by_handle_;
    std::unordered_map<int, int64_t> orphans_;  // handles closed by the app, FIN in flight
    std::vector<Event> events_;
    uint64_t epoch_ = 0;
    int spin_us_ = 50;
    uint16_t next_port_ = 0;
    int kick_fd_ = -1;  // wakes the stack thread (exit)
    std::atomic<bool> stop_{false};
    bool forked_child_ = false;
    std::thread thread_;
};

}  // namespace shunt::posix
