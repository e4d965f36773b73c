// One stack shard: one NIC queue pair driven by one thread. It owns the Interface (ARP,
// IPv4, ICMP, UDP) and TCP, and runs them in a fixed order each poll:
//
//   ingress  (receive a batch: arrivals update state and mark sockets; nothing is sent)
//   timers   (interface and TCP timers: again they only mark)
//   apps     (registered StackApps, e.g. TcpServices: read, compute, send: still only marks)
//   egress   (frames the NIC refused last time, TCP replies, then each marked socket
//             dispatches into the TX batch until the NIC takes fewer frames than offered)
//
// so a request that arrives in a poll is answered by the same poll (run to completion), ACKs
// of a whole batch are coalesced, and a full TX ring holds segments back instead of dropping
// them. The poll's `now` is the one clock everything in it sees.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "driver/nic.hpp"
#include "stack/iface/interface.hpp"
#include "stack/tcp/tcp_stack.hpp"

#include <cstddef>
#include <optional>
#include <vector>

namespace shunt {

// An application that runs inside the poll, between timers and egress.
class StackApp {
  public:
    virtual ~StackApp() = default;
    // Returns a count of work done (0: idle).
    virtual size_t run(Instant now) noexcept = 0;
};

class Stack {
  public:
    // `tcp.secret` keys ISNs and SYN cookies (RFC 6528); random_secret() fills it from the
    // kernel's CSPRNG, or fails (never a zero secret). The stack takes it as given so that
    // tests stay deterministic.
    Stack(Nic& nic, uint16_t queue, InterfaceConfig iface, tcp::TcpConfig tcp);
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    static Result<tcp::TcpConfig> random_secret(tcp::TcpConfig config) noexcept;

    // Ingress, timers, apps, egress. Returns frames received and sent plus app work (0: idle).
    size_t poll(Instant now) noexcept;
    // When poll next has work without a frame arriving (nullopt: none).
    std::optional<Instant> next_deadline() const noexcept;

    // One step of an orderly exit: aborts the open connections (as many as the reply queue
    // takes) and polls, so their RSTs leave in this poll's egress. True once every connection
    // is aborted and nothing waits for the NIC's TX ring; until then the caller polls again
    // (at next_deadline(): a full ring retries after a back-off), bounded by its own limits.
    bool shutdown_step(Instant now) noexcept;

    // Apps run in the order added; an app must be removed (or outlive the stack).
    void add_app(StackApp& app);
    void remove_app(StackApp& app) noexcept;

    // Active open (the SYN leaves in the next poll's egress). `now` is the caller's clock,
    // normally the time of the poll it runs in.
    tcp::TcpSocket* connect(Endpoint remote, Instant now, uint16_t local_port = 0,
                            const tcp::SocketOptions* options = nullptr) {
        return tcp_.connect(remote, now, local_port, options);
    }
    tcp::TcpListener* listen(uint16_t port, size_t backlog,
                             const tcp::SocketOptions* options = nullptr) {
        return tcp_.listen(port, backlog, options);
    }
    UdpSocket* udp_bind(uint16_t port) { return iface_.udp_bind(port); }

    Interface& iface() noexcept { return iface_; }
    const Interface& iface() const noexcept { return iface_; }
    tcp::TcpStack& tcp() noexcept { return tcp_; }
    const tcp::TcpStack& tcp() const noexcept { return tcp_; }
    Mempool& tx_pool() noexcept { return iface_.tx_pool(); }
    Instant now() const noexcept { return now_; }

  private:
    Interface iface_;
    tcp::TcpStack tcp_;  // after iface_: it sends through it, and is unregistered first
    std::vector<StackApp*> apps_;
    Instant now_{};
};

}  // namespace shunt
