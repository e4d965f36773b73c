// The in-process deployment of libshunt: the application owns the NIC and one Stack shard and
// runs it on its own thread (run-to-completion: the stack's poll runs inside the app's
// poll()/wait() calls). Sockets are handles into HandleTables over the Stack's TcpSocket,
// TcpListener and UdpSocket, so the app never holds a stack pointer; that is what lets the
// attached deployment (a daemon's stack behind shared-memory rings) implement the same
// shunt::Runtime later.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "driver/nic.hpp"
#include "lib/handle_table.hpp"
#include "packet/packet_chain.hpp"
#include "stack/iface/interface.hpp"
#include "stack/stack.hpp"
#include "stack/tcp/tcp_stack.hpp"

#include <shunt/shunt.hpp>

#include <memory>
#include <string_view>
#include <vector>

namespace shunt::lib {

struct InProcessConfig {
    InterfaceConfig iface;
    tcp::TcpConfig tcp;  // tcp.secret: the caller seeds it (Stack::random_secret)
    uint32_t max_sockets = 4096;
    // Zero-copy views (recv_zc) and transmit buffers (buf_alloc) the app may hold at once:
    // each holds packet buffers of the shard's pool, so this bounds what an app can pin.
    uint32_t max_held = 1024;
    // Polls wait() runs back to back before it looks at events again (bounds one call's work).
    uint32_t polls_per_wait = 64;
};

class InProcessRuntime final : public Runtime {
  public:
    // Takes the NIC (tests pass an in-memory one).
    static Result<std::unique_ptr<InProcessRuntime>> create(std::unique_ptr<Nic> nic,
                                                            const InProcessConfig& config);
    // A handle table over a Stack someone else owns and polls (shuntd serving an attached
    // app: one per app). Only the socket calls, events_of and collect_events are for it;
    // poll/wait/event_fd are the owner's business (poll returns 0, wait -EOPNOTSUPP).
    static Result<std::unique_ptr<InProcessRuntime>> borrow(Stack& stack,
                                                            const InProcessConfig& config);
    ~InProcessRuntime() override;

    int poll() noexcept override;
    int wait(std::span<Event> events, int timeout_ms) noexcept override;
    int event_fd() const noexcept override { return epoll_.get(); }
    int interest(int sock, uint32_t events) noexcept override;

    int listen(uint16_t port, int backlog) noexcept override;
    int accept(int listener, Addr* peer) noexcept override;
    int connect(Addr remote, int& sock) noexcept override;
    ssize_t send(int sock, const void* data, size_t len) noexcept override;
    ssize_t recv(int sock, void* out, size_t len) noexcept override;
    int recv_zc(int sock, std::span<IoVec> iov, int& token) noexcept override;
    int release(int token) noexcept override;
    int buf_alloc(Buf& buf) noexcept override;
    int send_zc(int sock, int buf, size_t len) noexcept override;
    int buf_free(int buf) noexcept override;
    int shutdown(int sock, int how) noexcept override;
    int close(int sock) noexcept override;
    int setopt(int sock, int opt, uint32_t value) noexcept override;
    int set_congestion(int sock, const char* name) noexcept override;
    int socket_error(int sock) noexcept override;
    int local_addr(int sock, Addr& addr) noexcept override;
    int peer_addr(int sock, Addr& addr) noexcept override;

    int udp_bind(uint16_t port) noexcept override;
    ssize_t sendto(int sock, const void* data, size_t len, Addr to) noexcept override;
    ssize_t recvfrom(int sock, void* out, size_t len, Addr* from) noexcept override;
    int sendto_zc(int sock, int buf, size_t len, Addr to) noexcept override;

    // For tests and stats.
    Stack& stack() noexcept { return *stack_; }
    size_t open_sockets() const noexcept { return socks_.live(); }
    // The SHUNT_EV_* bits a socket has now (before interest); -EBADF for a bad handle.
    int events_of(int sock) noexcept;
    // Events of the sockets as wait() reports them (interest applied), without polling.
    size_t collect_events(std::span<Event> out) noexcept { return collect(out); }
    // Bytes a TCP socket's send queue takes now (send may still take fewer: buffer slots).
    int64_t send_space_of(int sock) noexcept;
    // Resets every open connection (RST) and closes every socket: what an app's crash does.
    void abort_all() noexcept;

    // What an operator sees of one socket (shuntctl connections).
    struct SocketInfo {
        int handle = 0;
        std::string_view kind;   // "tcp", "listener", "udp"
        std::string_view state;  // TCP state (RFC 9293 names), or "listen"/"bound"
        Addr local{};
        Addr remote{};
        uint64_t recv_queued = 0;  // bytes received, not yet read by the app
        uint64_t send_queued = 0;  // bytes sent by the app, not yet acknowledged
        uint32_t pending = 0;      // a listener's accept queue; a UDP socket's datagrams
    };
    std::vector<SocketInfo> sockets_info();

  private:
    enum class Kind : uint8_t { none, tcp, listener, udp };
    struct Sock {
        Kind kind = Kind::none;
        bool wr_shut = false;
        uint32_t interest = 0;
        tcp::TcpSocket* tcp = nullptr;
        tcp::TcpListener* listener = nullptr;
        UdpSocket* udp = nullptr;
        PacketChain rx_left;  // bytes taken from the socket the app has not read yet
    };

    InProcessRuntime(std::unique_ptr<Nic> nic, const InProcessConfig& config);
    InProcessRuntime(Stack& stack, const InProcessConfig& config);
    Status init_fds();
    uint32_t events(Sock& s) noexcept;
    Sock* tcp_sock(int sock, int& err) noexcept;
    int add_tcp(tcp::TcpSocket* s, uint32_t interest) noexcept;
    Packet take_buf(int buf, size_t len, int& err) noexcept;
    size_t collect(std::span<Event> out) noexcept;
    void refresh_event_fd(bool pending) noexcept;
    void sleep_until(Instant now, Instant wake) noexcept;
    void shutdown_stack() noexcept;

    InProcessConfig config_;
    std::unique_ptr<Nic> nic_;            // before owned_stack_: destroyed after it; null borrowed
    std::unique_ptr<Stack> owned_stack_;  // after nic_; null when borrowed
    Stack* stack_ = nullptr;              // owned_stack_, or the borrowed one
    tcp::SocketOptions defaults_;
    HandleTable<Sock> socks_;
    HandleTable<PacketChain> held_rx_;
    HandleTable<Packet> held_tx_;
    size_t scan_start_ = 0;  // collect() starts where the last full one stopped (fairness)
    UniqueFd epoll_;         // event_fd(): NIC fd + pending eventfd + deadline timerfd
    UniqueFd pending_;       // eventfd, readable while events are pending
    UniqueFd timer_;         // timerfd at the stack's next deadline
    bool pending_set_ = false;
};

// The C API's handle around any Runtime (tests wrap one built on an in-memory NIC).
shunt_runtime* wrap_for_c(std::unique_ptr<Runtime> rt) noexcept;

// TcpError to the errno POSIX reports for the same end (0 for none).
int errno_of(tcp::TcpError e) noexcept;

}  // namespace shunt::lib
