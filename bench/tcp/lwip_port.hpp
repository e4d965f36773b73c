// lwIP on the in-memory wire: a NO_SYS=1 port whose netif transmits into a MemWireNic and
// whose poll() feeds received frames to lwIP and runs its timers. lwIP keeps global state,
// so there is one LwipHost per process (the contender forks one process per end).
#pragma once

#include "base/mac_addr.hpp"
#include "base/result.hpp"
#include "bench/tcp/mem_wire.hpp"

#include <cstdint>
#include <memory>

struct netif;

namespace shunt::bench {

struct LwipHostConfig {
    uint32_t ip = 0;       // host byte order, e.g. 10.78.0.1
    uint32_t peer_ip = 0;  // the other end, entered as a static ARP entry
    MacAddr peer_mac{};
};

// lwIP's memory in use right now: every pool's used elements times its element size, plus
// its heap (where copied TCP data waits).
struct LwipFootprint {
    uint64_t pool_bytes = 0;
    uint64_t heap_bytes = 0;
    uint64_t tcp_pcbs = 0;
    uint64_t total() const { return pool_bytes + heap_bytes; }
};

class LwipHost {
  public:
    // lwip_init() and the netif; fails if called twice in one process.
    static Result<std::unique_ptr<LwipHost>> start(MemWireNic& nic, const LwipHostConfig& c);
    LwipHost(const LwipHost&) = delete;
    LwipHost& operator=(const LwipHost&) = delete;
    ~LwipHost();

    // One round: up to a batch of received frames into lwIP, then due timers.
    void poll();
    static LwipFootprint footprint();
    static size_t tcp_pcb_element_bytes();
    // Frames lost at link_output (wire ring full or no buffer): should stay 0.
    static uint64_t link_drops();

  private:
    explicit LwipHost(MemWireNic& nic);
    MemWireNic& nic_;
    std::unique_ptr<netif> netif_;
};

}  // namespace shunt::bench
