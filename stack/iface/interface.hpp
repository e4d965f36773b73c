// One network interface of the stack, driven by poll(now): it pulls frames from a NIC queue,
// answers ARP, reassembles and fragments IPv4, answers ICMP echo, delivers UDP to sockets,
// runs the neighbor and reassembly timers, and pushes frames back out in batches.
// Nothing here reads a clock or allocates per packet; every dropped packet is counted.
#pragma once

#include "base/mac_addr.hpp"
#include "base/time.hpp"
#include "driver/nic.hpp"
#include "packet/packet_chain.hpp"
#include "stack/iface/buffer_budget.hpp"
#include "stack/iface/drop_reason.hpp"
#include "stack/iface/frame_tap.hpp"
#include "stack/iface/ip_protocol.hpp"
#include "stack/iface/neighbor_cache.hpp"
#include "stack/iface/reassembly.hpp"
#include "stack/iface/routes.hpp"
#include "stack/iface/token_bucket.hpp"
#include "stack/iface/udp_socket.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

namespace shunt {

struct InterfaceConfig {
    MacAddr mac{};
    wire::Ipv4Cidr address{};
    std::optional<wire::Ipv4Addr> gateway;
    uint16_t mtu = 1500;
    uint8_t ttl = 64;
    NeighborConfig neighbor{};
    ReassemblyConfig reassembly{};
    // ICMP errors (unreachable, time exceeded) per second and burst; Linux's default is
    // 1000/s with a burst of 50 (net.ipv4.icmp_msgs_per_sec / icmp_msgs_burst).
    uint32_t icmp_errors_per_sec = 1000;
    uint32_t icmp_error_burst = 50;
    size_t udp_queue_limit = 512;
    size_t rx_batch = 32;
    // Retry of TX work held back by a full ring or an empty pool (next_deadline): the first
    // after tx_retry_min, doubling while retries hand the NIC nothing, up to tx_retry_max.
    // 50 us is a sixth of a 256-descriptor ring at 1 Gbit/s; 1 ms bounds the added latency
    // when a NIC stays stuck.
    Duration tx_retry_min = Duration(50);
    Duration tx_retry_max = Duration(1000);
    // Drop (and count as ipv4_martian_source / arp_martian_source) what arrives from a source
    // no wire can carry: 0/8, 127/8, our own address, 240/4 (stack/iface/martian.hpp). On by
    // default, as RFC 1122 §3.2.1.3 requires; off only for odd test rigs.
    bool drop_martian_sources = true;
    // Who may hold how many of the pool's buffers, and the reserve (issue 11; see
    // stack/iface/buffer_budget.hpp and docs/limits-peer.md). The neighbour and reassembly
    // bounds above are lowered to their shares of the pool.
    BudgetConfig budget{};
};

// What the stack did, beyond drops.
struct StackCounters {
    uint64_t ipv4_rx = 0;
    uint64_t ipv4_tx = 0;  // IPv4 frames sent (each fragment counts)
    uint64_t arp_rx = 0;
    uint64_t arp_tx = 0;
    uint64_t icmp_echo_replies = 0;
    uint64_t icmp_errors_tx = 0;
    uint64_t udp_rx = 0;
    uint64_t udp_tx = 0;
    uint64_t frag_reassembled = 0;  // datagrams completed from fragments
    uint64_t frag_tx = 0;           // fragments sent
    uint64_t tx_copy_bytes = 0;     // bytes the stack copied to send (copy_* paths)
};

// Hears the neighbours an Interface learnt from received ARP packets (set_neighbor_listener).
class NeighborListener {
  public:
    virtual ~NeighborListener() = default;
    // Runs on the interface's thread inside its poll: hand the news on, do not block.
    virtual void learned(wire::Ipv4Addr ip, MacAddr mac, bool create) noexcept = 0;
};

class Interface final : public Ipv4Output {
  public:
    Interface(Nic& nic, uint16_t queue, InterfaceConfig config);
    Interface(const Interface&) = delete;
    Interface& operator=(const Interface&) = delete;
    ~Interface() override;

    // One poll is three phases; poll() runs them in order. A Stack (stack/stack.hpp) runs
    // them itself so that applications get a turn between timers and egress.
    // Returns the number of frames received plus sent (0 means idle).
    size_t poll(Instant now) noexcept;
    // Ingress: receives and processes up to one batch (replies are queued, not sent).
    size_t poll_ingress(Instant now) noexcept;
    // Timers of the interface and of the registered transports.
    void poll_timers() noexcept;
    // Egress: frames the NIC refused last time go first, then each transport dispatches into
    // the TX batch until the NIC takes fewer frames than offered. Returns frames handed over.
    size_t poll_egress() noexcept;
    // When poll next has work to do (nullopt: only when frames arrive). When frames or
    // transports wait for room in the NIC's TX ring or for buffers, the retry time
    // (tx_retry_at: a bounded back-off, not `now`, so that a sleeping loop does not spin).
    std::optional<Instant> next_deadline() const noexcept;
    // The NIC's TX ring refused frames in this poll: senders that can wait (TCP) stop and
    // try again next poll; the refused frames wait here in order.
    bool tx_stalled() const noexcept { return tx_stalled_; }
    size_t tx_waiting() const noexcept { return tx_count_; }

    // UDP: bind a port (0 picks an ephemeral one). Null when the port is taken.
    UdpSocket* udp_bind(uint16_t port);
    void udp_close(UdpSocket* socket);

    // A transport for one IPv4 protocol number (TCP: 6). Its datagrams go to the handler,
    // its timers run in poll and count in next_deadline. Null unregisters. The handler must
    // outlive the interface or be unregistered first.
    void set_protocol_handler(uint8_t protocol, Ipv4Handler* handler) noexcept;

    // Sends an IPv4 datagram whose payload is `payload` (zero copy: headers are prepended,
    // fragments are made in place when the buffers allow it, copied otherwise).
    SendResult send_ipv4(wire::Ipv4Addr dst, uint8_t protocol,
                         PacketChain payload) noexcept override;
    // Ipv4Output for transports.
    wire::Ipv4Addr source_address(wire::Ipv4Addr) const noexcept override {
        return config_.address.addr;
    }
    uint16_t route_mtu(wire::Ipv4Addr) const noexcept override { return config_.mtu; }
    Mempool& tx_pool() noexcept override { return nic_.tx_pool(queue_); }
    uint16_t queue() const noexcept { return queue_; }
    void count_drop(DropReason reason, uint64_t n = 1) noexcept override {
        drops_.count(reason, n);
    }
    bool tx_l4_checksum_offload() const noexcept override { return tx_l4_csum_; }
    bool tx_ready() const noexcept override { return !tx_stalled_; }
    const BufferBudget* budget() const noexcept override {
        return budget_.enabled() ? &budget_ : nullptr;
    }
    std::optional<Instant> tx_retry_at() const noexcept override { return tx_retry_at_; }

    const InterfaceConfig& config() const { return config_; }
    const DropCounters& drops() const { return drops_; }
    const StackCounters& counters() const { return counters_; }
    const NeighborCache& neighbors() const { return neighbors_; }
    const Reassembler& reassembler() const { return reassembler_; }
    const BufferBudget& buffer_budget() const { return budget_; }
    const RouteTable& routes() const { return routes_; }
    Nic& nic() { return nic_; }
    Instant now() const { return now_; }
    // A tap that sees each RX and TX batch (null: none, the default). It must outlive its
    // installation (set_tap(nullptr) before it goes).
    void set_tap(FrameTap* tap) noexcept { tap_ = tap; }

    // Shards of one NIC share what ARP teaches (docs/architecture.md): an ARP reply comes in
    // on whichever queue the NIC picks (RSS hashes only IP, so ARP lands on queue 0), not
    // necessarily on the shard that asked. The listener hears each sender this interface
    // learnt from a received ARP packet (null: none); `create` is whether it was for us.
    void set_neighbor_listener(NeighborListener* listener) noexcept {
        neighbor_listener_ = listener;
    }
    // What another shard heard: merged as a received ARP packet would be (RFC 826: an entry
    // is updated, made only with `create`), frames waiting for it leave in the next egress.
    // Not passed on to the listener. Call it from this interface's own thread, between polls.
    void learn_neighbor(wire::Ipv4Addr ip, MacAddr mac, bool create) noexcept;

  private:
    friend class UdpSocket;

    void receive_frame(Packet frame) noexcept;
    void receive_arp(Packet frame) noexcept;
    void receive_ipv4(Packet frame) noexcept;
    void dispatch_ipv4(const Ipv4Meta& meta, PacketChain payload) noexcept;
    void receive_icmp(const Ipv4Meta& meta, PacketChain payload) noexcept;
    void receive_udp(const Ipv4Meta& meta, PacketChain payload) noexcept;

    void send_arp(uint16_t op, MacAddr target_mac, wire::Ipv4Addr target_ip,
                  MacAddr eth_dst) noexcept;
    void send_icmp_error(uint8_t type, uint8_t code, const PacketBuf& original) noexcept;
    bool fill_l4_checksum(wire::Ipv4Addr dst, uint8_t protocol, PacketChain& payload) noexcept;
    bool send_fragments(wire::Ipv4Addr dst, wire::Ipv4Addr next_hop, uint8_t protocol,
                        PacketChain payload) noexcept;
    PacketChain copy_fragments(const PacketChain& payload, size_t fragment_payload) noexcept;
    void output_datagram_piece(Packet p, wire::Ipv4Addr dst, wire::Ipv4Addr next_hop,
                               uint8_t protocol, uint16_t ident, bool more_frags,
                               size_t offset) noexcept;
    void output_ip_frame(wire::Ipv4Addr next_hop, Packet ip_packet) noexcept;
    void queue_frame(Packet frame, MacAddr dst, uint16_t ethertype) noexcept;
    // Hands the batch to the NIC; what it refuses stays at the front, in order.
    size_t flush_tx() noexcept;
    void schedule_tx_retry() noexcept;
    void run_timers() noexcept;
    bool is_our_broadcast(wire::Ipv4Addr a) const noexcept;

    Nic& nic_;
    uint16_t queue_;
    InterfaceConfig config_;
    DropCounters drops_;
    StackCounters counters_;
    BufferBudget budget_;  // before the holders below: their bounds are its shares
    NeighborCache neighbors_;
    Reassembler reassembler_;
    RouteTable routes_;
    TokenBucket icmp_errors_;
    Instant now_{};
    bool announced_ = false;
    bool tx_l4_csum_ = false;  // the NIC's capabilities, read once (caps() is not noexcept)
    bool tx_ip_csum_ = false;
    uint16_t next_ident_ = 1;
    uint16_t next_ephemeral_ = 49152;  // RFC 6335 §6 dynamic range
    std::unordered_map<uint16_t, std::unique_ptr<UdpSocket>> udp_sockets_;
    std::array<Ipv4Handler*, 256> handlers_{};  // by IPv4 protocol number
    // The registered ones, packed: poll and next_deadline visit these instead of all 256
    // slots (a scan that cost about a sixth of an idle poll).
    std::array<Ipv4Handler*, 256> active_handlers_{};
    size_t active_count_ = 0;
    std::array<PacketBuf*, 64> tx_frames_{};
    size_t tx_count_ = 0;
    size_t tx_handed_ = 0;     // frames the NIC took in this poll's egress
    bool tx_stalled_ = false;  // the NIC took fewer frames than offered in this poll
    // TX work held back by the last egress retries at tx_retry_at_ (InterfaceConfig).
    Duration tx_backoff_{0};  // 0: nothing held back
    Instant tx_retry_at_{};
    FrameTap* tap_ = nullptr;
    NeighborListener* neighbor_listener_ = nullptr;
    size_t tx_tapped_ = 0;  // frames at the front of tx_frames_ the tap has already seen
};

}  // namespace shunt
