// One of shuntd's shards (docs/architecture.md): a Stack on one NIC queue pair with the
// built-in services (UDP echo, TCP echo/discard/HTTP), driven by one thread. Shard 0 runs on
// shuntd's main thread beside the control socket and the stats file; the others run their own
// loop (run_thread). Nothing is shared on the fast path; what the shards do share goes
// through here, off it:
//
//   neighbour news  a shard that learns a sender from ARP posts it to the others' inboxes
//                   (an ARP reply reaches whichever queue the NIC picks, not the asker);
//   the capture     the control thread asks each shard to install or remove a FrameTap, and
//                   waits until every shard has (the tap must not go while one uses it);
//   stats           each shard publishes its counters as JSON every kPublishPeriod and when
//                   it stops; the control thread reads the last one.
#pragma once

#include "base/result.hpp"
#include "base/time.hpp"
#include "base/unique_fd.hpp"
#include "stack/app/service.hpp"
#include "stack/stack.hpp"
#include "stack/tcp_services.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace shunt::tools {

struct ShardServices {
    bool udp_echo = true;
    app::ServicePorts ports;
    app::HttpServerConfig http;
    app::ServiceTimeouts timeouts;
};

// A UDP echo run by every poll between timers and egress: every waiting datagram goes back to
// its sender, zero copy (the received buffers go out).
struct UdpEcho final : StackApp {
    UdpSocket* socket = nullptr;
    size_t run(Instant now) noexcept override;
};

class ShuntdShard final : public NeighborListener {
  public:
    static constexpr Duration kPublishPeriod = Duration(100'000);
    // Neighbour news waiting in one inbox at most (beyond it the newest is dropped and
    // counted: an ARP flood must not grow a shard's memory).
    static constexpr size_t kInboxLimit = 4096;

    static Result<std::unique_ptr<ShuntdShard>> start(size_t index, Nic& nic, uint16_t queue,
                                                      const InterfaceConfig& iface,
                                                      const tcp::TcpConfig& tcp,
                                                      const ShardServices& services);
    ~ShuntdShard() override;
    ShuntdShard(const ShuntdShard&) = delete;
    ShuntdShard& operator=(const ShuntdShard&) = delete;

    size_t index() const noexcept { return index_; }
    uint16_t queue() const noexcept { return queue_; }
    Stack& stack() noexcept { return *stack_; }
    bool udp_echo() const noexcept { return echo_.socket != nullptr; }

    // The shards neighbour news goes to (every other shard). Set before any thread runs.
    void set_peers(std::vector<ShuntdShard*> peers);

    // --- the owning thread ---
    // NeighborListener: posts to every peer's inbox (inside this shard's poll).
    void learned(wire::Ipv4Addr ip, MacAddr mac, bool create) noexcept override;
    // Between polls: merges the neighbour news and installs the tap asked for. Returns the
    // news taken (work: frames may wait to leave).
    size_t take_mail() noexcept;
    // This shard's stats object now (shard_json: drops, stack, pool, tcp).
    nlohmann::ordered_json live_json();
    void publish();

    // --- any thread ---
    void post_neighbor(wire::Ipv4Addr ip, MacAddr mac, bool create) noexcept;
    void want_tap(FrameTap* tap) noexcept;
    bool has_tap(FrameTap* tap) const noexcept {
        return applied_tap_.load(std::memory_order_acquire) == tap;
    }
    nlohmann::ordered_json snapshot() const;
    uint64_t inbox_dropped() const noexcept {
        return inbox_dropped_.load(std::memory_order_relaxed);
    }
    void wake() noexcept;
    // For a loop that runs this shard itself (shard 0 in shuntd's main loop): the fd that
    // wakes it, and the read that re-arms it.
    int wake_fd() const noexcept { return wake_fd_.get(); }
    void drain_wake() noexcept;

    // Runs this shard's loop on a thread of its own until `stop`; then, when `send_rsts`, resets
    // its open connections (their RSTs on the wire) and publishes a last time. `can_sleep`:
    // the NIC has a wait fd for the queue (otherwise the loop busy-polls).
    void run_thread(const std::atomic<bool>& stop, const std::atomic<bool>& send_rsts);
    void join();
    // The thread's shutdown put every RST on the wire (after join()).
    bool shutdown_complete() const noexcept { return shutdown_ok_; }

  private:
    ShuntdShard(size_t index, uint16_t queue) : index_(index), queue_(queue) {}
    void loop(const std::atomic<bool>& stop, const std::atomic<bool>& send_rsts) noexcept;

    struct News {
        wire::Ipv4Addr ip;
        MacAddr mac;
        bool create;
    };

    size_t index_;
    uint16_t queue_;
    std::unique_ptr<Stack> stack_;
    UdpEcho echo_;
    std::unique_ptr<TcpServices> services_;
    std::vector<ShuntdShard*> peers_;
    UniqueFd wake_fd_;  // eventfd: posting to a sleeping shard wakes it

    std::mutex inbox_mu_;
    std::vector<News> inbox_;
    std::vector<News> taking_;  // the owner's swap buffer
    std::atomic<bool> has_news_{false};
    std::atomic<uint64_t> inbox_dropped_{0};

    std::atomic<FrameTap*> wanted_tap_{nullptr};
    std::atomic<FrameTap*> applied_tap_{nullptr};

    mutable std::mutex snapshot_mu_;
    nlohmann::ordered_json snapshot_;

    std::thread thread_;
    bool shutdown_ok_ = true;
};

}  // namespace shunt::tools
