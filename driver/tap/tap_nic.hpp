// TAP backend: frames cross a /dev/net/tun file descriptor (IFF_TAP | IFF_NO_PI), so shunt
// runs on any Linux machine with the kernel's own stack as the peer on the other side.
// The copy across the fd is this backend's inherent cost; it is counted (rx/tx_copy_bytes).
//
// With queues > 1 the TAP is opened IFF_MULTI_QUEUE, one fd per queue pair, each with its own
// pool and counters, so one shard per queue runs on its own thread. The queue of each frame
// the kernel sends us is chosen as a NIC's RSS would (tap_steering.hpp: IPv4 by a fixed
// symmetric hash, ARP and the rest on queue 0), so shards see what they see on igb/ixgbe.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "driver/nic.hpp"
#include "packet/mempool.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace shunt {

struct TapConfig {
    std::string ifname;  // created if it does not exist (needs CAP_NET_ADMIN)
    MacAddr mac{};       // our side's MAC; zero picks a stable locally administered one
    uint16_t mtu = 1500;
    uint32_t pool_buffers = 4096;  // per queue
    uint16_t queues = 1;           // 1..kMaxQueues; more than one needs IFF_MULTI_QUEUE
};

class TapNic final : public Nic {
  public:
    static constexpr uint16_t kMaxQueues = 16;
    static Result<std::unique_ptr<TapNic>> open(const TapConfig& config);

    std::string name() const override { return "tap:" + ifname_; }
    std::string driver() const override { return "tap"; }
    MacAddr mac() const override { return mac_; }
    uint16_t mtu() const override { return mtu_; }
    LinkStatus link() override;
    uint16_t queue_count() const override { return static_cast<uint16_t>(queues_.size()); }
    NicCaps caps() const override { return {}; }
    // Any thread may read the counters while the queues' owners run (they are relaxed atomics
    // with one writer each).
    NicCounters counters() override;
    QueueCounters queue_counters(uint16_t queue) override;

    // Each queue is driven by one thread at a time (its shard's); queue < queue_count().
    size_t rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept override;
    size_t tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept override;
    int wait_fd(uint16_t queue) const override {
        return queue < queues_.size() ? queues_[queue]->fd.get() : -1;
    }
    Mempool& tx_pool(uint16_t queue) override {
        return *queues_[queue < queues_.size() ? queue : 0]->pool;
    }

    const std::string& ifname() const { return ifname_; }
    // How the kernel picks a queue for what it sends us (empty with one queue).
    const std::string& steering() const { return steering_; }

  private:
    TapNic() = default;

    // One writer (the queue's thread), any reader: relaxed loads and stores, no RMW.
    struct Counter {
        std::atomic<uint64_t> v{0};
        void add(uint64_t n) noexcept {
            v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
        }
        uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
    };
    struct Queue {
        UniqueFd fd;
        std::unique_ptr<Mempool> pool;
        Counter rx_packets, rx_bytes, rx_dropped, rx_errors;
        Counter tx_packets, tx_bytes, tx_errors;
    };

    UniqueFd ctl_sock_;  // for SIOCGIFFLAGS on link()
    std::string ifname_;
    std::string steering_;
    MacAddr mac_{};
    uint16_t mtu_ = 1500;
    std::vector<std::unique_ptr<Queue>> queues_;
};

// A locally administered MAC derived from a name, so restarts keep the peer's ARP entry valid.
MacAddr mac_from_name(const std::string& name);

}  // namespace shunt
