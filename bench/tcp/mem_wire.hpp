// The in-memory wire: two endpoints joined by SPSC rings of packet-buffer pointers, each
// endpoint a `Nic` backend (MemWireNic), so shunt's Interface runs on it unchanged.
//
// Per direction there are two rings: `frames[s]` carries endpoint s's transmitted buffers
// to the peer, `returns[s]` brings them back once the peer has taken the frame (a NIC's TX
// completion). The receiver copies each frame into a buffer from its *own* pool (the DMA a
// real NIC would do), because Mempool is single-threaded by design: a buffer is only ever
// allocated and released by the endpoint that owns its pool. Every frame therefore costs
// exactly one copy on the wire, counted in rx_copy_bytes. (A stack that copies frames out of
// its own buffers anyway, like lwIP's port, borrows received frames instead: rx_borrow.)
//
// Rings and both pools live in MAP_SHARED memory created before any fork(), so the same
// wire joins two threads (shunt) or two processes (lwIP, which keeps global state).
//
// Checksum offload (on by default) mirrors veth, the Linux contender's link: buffers sent
// with tx_flags::ip_csum / l4_csum arrive marked rx_flags::*_csum_good and nothing computes
// the sums, as on any lossless virtual link.
#pragma once

#include "bench/tcp/shared_mapping.hpp"
#include "bench/tcp/spsc_ring.hpp"
#include "driver/nic.hpp"
#include "packet/memory.hpp"
#include "packet/mempool.hpp"

#include <array>
#include <memory>

namespace shunt::bench {

inline constexpr size_t kWireRingSize = 1024;
// A return ring holds every buffer of a pool, so giving one back can never fail.
inline constexpr size_t kMaxPoolBuffers = 8192;

struct MemWireRings {
    std::array<SpscRing<PacketBuf*, kWireRingSize>, 2> frames;     // sent by endpoint s
    std::array<SpscRing<PacketBuf*, kMaxPoolBuffers>, 2> returns;  // endpoint s's buffers home
};

struct MemWireConfig {
    uint32_t pool_buffers = 4096;  // per endpoint
    uint16_t mtu = 1500;
    bool checksum_offload = true;
};

class MemWireNic final : public Nic {
  public:
    MemWireNic(MemWireRings& rings, int side, Mempool& pool, const MemWireConfig& config);

    std::string name() const override { return side_ == 0 ? "memwire:a" : "memwire:b"; }
    std::string driver() const override { return "memwire"; }
    MacAddr mac() const override { return mac_; }
    uint16_t mtu() const override { return mtu_; }
    LinkStatus link() override { return {true, 0}; }
    uint16_t queue_count() const override { return 1; }
    NicCaps caps() const override;
    NicCounters counters() override { return counters_; }

    size_t rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept override;
    // Zero-copy receive for a stack with its own buffer type (the lwIP port): hands out the
    // peer's buffers themselves. Each must come back through give_back(), in any order and
    // whenever the stack is done with it, and must not be unref'd or written.
    size_t rx_borrow(std::span<PacketBuf*> bufs) noexcept;
    void give_back(PacketBuf* peer_buf) noexcept;
    size_t tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept override;
    int wait_fd(uint16_t) const override { return -1; }  // polled only
    Mempool& tx_pool(uint16_t) override { return pool_; }

    // Releases our buffers the peer has finished with (also done by rx_batch/tx_batch).
    void reclaim() noexcept;
    // Buffers of ours still on the wire (sent, not yet returned).
    size_t in_flight() const noexcept { return in_flight_; }

  private:
    bool fits(const PacketBuf* b) const noexcept;
    size_t receive_chunk(std::span<PacketBuf*> out) noexcept;

    MemWireRings& rings_;
    int side_;
    int peer_;
    Mempool& pool_;
    MacAddr mac_;
    uint16_t mtu_;
    bool offload_;
    size_t in_flight_ = 0;
    NicCounters counters_{};
};

// The wire with both endpoints. Create it before forking if the ends run in two processes.
class MemWire {
  public:
    static Result<std::unique_ptr<MemWire>> create(const MemWireConfig& config);
    MemWireNic& endpoint(int side) { return *nics_[static_cast<size_t>(side)]; }

  private:
    MemWire() = default;
    MemfdProvider memory_;
    std::unique_ptr<SharedObject<MemWireRings>> rings_;
    std::array<std::unique_ptr<Mempool>, 2> pools_;
    std::array<std::unique_ptr<MemWireNic>, 2> nics_;
};

// Both endpoints' MACs, fixed so captures are readable.
MacAddr memwire_mac(int side);

}  // namespace shunt::bench
