// The buffer budget of one stack shard (issue 11, item 1): who may keep how many buffers of
// the shard's one packet pool. Everything the stack holds on to (TCP receive, out-of-order
// and send queues, IPv4 reassembly, neighbour queues, UDP socket queues) is counted in whole
// buffers, the pool's true size (Linux's skb truesize, not payload bytes: a one-byte segment
// pins a whole 2 KiB buffer), and is bounded by a share of the pool. A reserve is kept free
// for what must go on when everything else is full: refilling the RX ring, ACKs, ARP and
// ICMP. Holders stop taking buffers at the reserve; only short-lived allocations (a reply,
// a refill) may dip into it.
//
// The numbers come from the pool itself (Mempool::available()), so they are exact whoever
// took the buffers (the driver's RX ring included); the shares only say how many one holder
// may keep. Two levels, as Linux's tcp_mem has (sk_memory_allocated against
// tcp_mem[pressure]):
//   - reserve: free buffers at or below it: nothing more is held (hold() refuses);
//   - pressure: free buffers below pressure_percent of the pool: out-of-order data goes first
//     (pruned), in-order data past a socket's share is refused, receive windows stop
//     growing, and connections stuck at a zero window are aborted (TcpConfig).
#pragma once

#include "packet/mempool.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace shunt {

// Shares are percentages of the pool less the reserve; 0 turns that bound off (the reserve
// and pressure levels still apply). Defaults for the 4096-buffer pools of shuntd: a reserve
// of 409, a socket may hold 368 buffers each way (533 KB of full segments: above the 256 KB
// socket buffers), all out-of-order queues 737, reassembly 368, neighbour queues 184.
struct BudgetConfig {
    // false: no reserve, no shares, no pressure; holders keep only their own bounds, as before
    // issue 11 (for the tests that show what the budget prevents: netns.tcp_ooo_flood).
    bool enabled = true;
    uint32_t reserve_percent = 10;        // of the pool, at least min(16, pool / 4) buffers
    uint32_t pressure_percent = 25;       // of the pool: free below it is pressure
    uint32_t tcp_socket_rx_percent = 10;  // one socket's receive queue (in order + OOO)
    uint32_t tcp_ooo_percent = 20;        // every out-of-order queue together
    uint32_t tcp_socket_tx_percent = 10;  // one socket's send queue
    uint32_t tcp_tx_percent = 50;         // every send queue together
    uint32_t reassembly_percent = 10;     // fragments held for reassembly
    uint32_t neighbor_percent = 5;        // frames waiting for ARP, every neighbour together
    uint32_t udp_socket_percent = 10;     // one UDP socket's receive queue
};

// Counters of the budget (stats file "budget").
struct BudgetCounters {
    uint64_t exhaustion_episodes = 0;  // times the pool ran dry (logged once each)
    uint64_t pressure_episodes = 0;    // times free buffers fell below the pressure level
};

class BufferBudget {
  public:
    static constexpr uint32_t kMinReserve = 16;

    BufferBudget(const Mempool& pool, const BudgetConfig& config) noexcept
        : pool_(&pool), config_(config) {
        const uint32_t cap = pool.capacity();
        const uint32_t floor = std::min(kMinReserve, cap / 4);
        reserve_ = std::max(floor, percent_of(cap, config.reserve_percent));
        pressure_ = std::max(reserve_, percent_of(cap, config.pressure_percent));
        // An exhaustion episode ends at the pressure level even without a budget, so that a
        // pool kept near empty is still logged once, not on every refused allocation.
        recovered_ = pressure_;
        if (!config.enabled) reserve_ = pressure_ = 0;  // never reached: no budget
    }

    uint32_t capacity() const noexcept { return pool_->capacity(); }
    uint32_t free() const noexcept { return pool_->available(); }
    uint32_t in_use() const noexcept { return capacity() - free(); }
    uint32_t reserve() const noexcept { return reserve_; }
    uint32_t pressure_level() const noexcept { return pressure_; }
    const BudgetConfig& config() const noexcept { return config_; }

    // A share of what the reserve leaves (at least one buffer); 0 percent: no bound.
    size_t share(uint32_t percent) const noexcept {
        if (percent == 0 || !config_.enabled) return SIZE_MAX;
        return std::max<size_t>(1, percent_of(capacity() - reserve_, percent));
    }
    // Whether n more buffers, not yet taken from the pool, may be held (the reserve stays).
    bool can_take(size_t n) const noexcept { return free() >= reserve_ + n; }
    // Whether buffers already taken (a received frame) may be kept: the reserve is intact.
    bool reserve_intact() const noexcept { return free() >= reserve_; }
    bool under_pressure() const noexcept { return free() < pressure_; }
    bool enabled() const noexcept { return config_.enabled; }

    // Once per poll: notes the start of an exhaustion episode (the pool empty, or an
    // allocation refused since the last call) and its end (free buffers back above the
    // pressure level). True when an episode starts: the caller logs it, once.
    bool observe() noexcept {
        const uint64_t failures = pool_->alloc_failures();
        const bool dry = free() == 0 || failures != last_failures_;
        last_failures_ = failures;
        const bool pressure = under_pressure();
        if (pressure && !in_pressure_) counters_.pressure_episodes++;
        in_pressure_ = pressure;
        if (dry && !exhausted_) {
            exhausted_ = true;
            counters_.exhaustion_episodes++;
            return true;
        }
        if (exhausted_ && free() >= recovered_) exhausted_ = false;
        return false;
    }
    bool exhausted() const noexcept { return exhausted_; }
    const BudgetCounters& counters() const noexcept { return counters_; }

  private:
    static uint32_t percent_of(uint32_t n, uint32_t percent) noexcept {
        return static_cast<uint32_t>(uint64_t{n} * std::min<uint32_t>(percent, 100) / 100);
    }

    const Mempool* pool_;
    BudgetConfig config_;
    uint32_t reserve_ = 0;
    uint32_t pressure_ = 0;
    uint32_t recovered_ = 0;  // free buffers that end an exhaustion episode
    uint64_t last_failures_ = 0;
    bool exhausted_ = false;
    bool in_pressure_ = false;
    BudgetCounters counters_;
};

}  // namespace shunt
