// libshunt's C++ API: applications on shunt's user-space TCP/IP stack.
//
// A Runtime is one stack shard as seen by an application: sockets as small integer handles
// and calls that return >= 0 or a negated errno, as POSIX's do (see shunt/shunt.h for the
// conventions, the event bits and the options, which this header shares). The application
// talks to the abstract Runtime only: Runtime::open() builds the in-process deployment (the
// app owns the NIC and runs the stack on its own thread, run-to-completion); an attached
// deployment (RuntimeConfig::attach: a running shuntd serving the app through shared memory)
// is another implementation of the same class. docs/libshunt.md describes both.
//
// This header includes nothing of shunt's internals, so it is stable across their changes.
#pragma once

#include <shunt/shunt.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace shunt {

struct RuntimeConfig {
    std::string nic;      // "tap:NAME" or "pci:DDDD:BB:DD.F"
    std::string ip;       // "A.B.C.D/LEN"
    std::string gateway;  // "A.B.C.D", or empty
    std::string mac;      // "aa:bb:cc:dd:ee:ff", or empty (the backend picks)
    uint16_t mtu = 1500;
    bool allow_noiommu = false;       // pci: accept a no-IOMMU VFIO group (DMA then unprotected)
    bool interrupts = false;          // pci: sleep on the NIC's interrupt instead of polling it
    uint32_t max_sockets = 4096;      // the handle table (listeners, connections, UDP)
    uint32_t max_connections = 4096;  // TCP connections of the shard, accepted ones included
    // Packet buffers of the NIC's pool (2 KiB data each): every receive window and send queue
    // holds them, so it must cover the windows of the connections the app keeps busy. Half
    // at most goes to send queues, so that received frames (the ACKs that free them) always
    // find buffers.
    uint32_t pool_buffers = 8192;
    // Non-empty: the attached deployment. The path of a running shuntd's app socket
    // (--app-socket); open() attaches to it and every field above is the daemon's business.
    std::string attach;
};

using Addr = shunt_addr;
using Event = shunt_event;
using IoVec = shunt_iovec;
using Buf = shunt_buf;

class Runtime {
  public:
    virtual ~Runtime() = default;
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    // The in-process deployment: opens the NIC and builds the stack; or, with config.attach,
    // the attached one. Null on failure, with one sentence in `error`.
    static std::unique_ptr<Runtime> open(const RuntimeConfig& config, std::string& error);

    // ---- the loop ----
    virtual int poll() noexcept = 0;
    virtual int wait(std::span<Event> events, int timeout_ms) noexcept = 0;
    virtual int event_fd() const noexcept = 0;
    virtual int interest(int sock, uint32_t events) noexcept = 0;

    // ---- TCP ----
    virtual int listen(uint16_t port, int backlog) noexcept = 0;
    virtual int accept(int listener, Addr* peer) noexcept = 0;
    // -EINPROGRESS with `sock` set: the SYN leaves on the next poll.
    virtual int connect(Addr remote, int& sock) noexcept = 0;
    virtual ssize_t send(int sock, const void* data, size_t len) noexcept = 0;
    virtual ssize_t recv(int sock, void* out, size_t len) noexcept = 0;
    virtual int recv_zc(int sock, std::span<IoVec> iov, int& token) noexcept = 0;
    virtual int release(int token) noexcept = 0;
    virtual int buf_alloc(Buf& buf) noexcept = 0;
    virtual int send_zc(int sock, int buf, size_t len) noexcept = 0;
    virtual int buf_free(int buf) noexcept = 0;
    virtual int shutdown(int sock, int how) noexcept = 0;
    virtual int close(int sock) noexcept = 0;
    virtual int setopt(int sock, int opt, uint32_t value) noexcept = 0;
    virtual int set_congestion(int sock, const char* name) noexcept = 0;
    virtual int socket_error(int sock) noexcept = 0;
    virtual int local_addr(int sock, Addr& addr) noexcept = 0;
    virtual int peer_addr(int sock, Addr& addr) noexcept = 0;

    // ---- UDP ----
    virtual int udp_bind(uint16_t port) noexcept = 0;
    virtual ssize_t sendto(int sock, const void* data, size_t len, Addr to) noexcept = 0;
    virtual ssize_t recvfrom(int sock, void* out, size_t len, Addr* from) noexcept = 0;
    virtual int sendto_zc(int sock, int buf, size_t len, Addr to) noexcept = 0;

  protected:
    Runtime() = default;
};

// The app socket an attach without a path uses: $SHUNT_APP_SOCKET, else the one *.apps socket
// in /run/shunt/. Empty (with `error`) when there is none or more than one.
std::string default_app_socket(std::string& error);

// "A.B.C.D" to a host-order address; -EINVAL when it is not one.
int parse_ipv4(const char* text, uint32_t& ip) noexcept;

}  // namespace shunt
