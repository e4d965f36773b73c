#include "bench/tcp/mem_wire.hpp"

#include <cstring>

namespace shunt::bench {

namespace {
constexpr size_t kChunk = 32;      // frames moved per ring operation
constexpr size_t kEthHeader = 18;  // destination, source, one VLAN tag, EtherType
}  // namespace

MacAddr memwire_mac(int side) {
    return MacAddr{{0x02, 0x5b, 0x00, 0x00, 0x00, static_cast<uint8_t>(side + 1)}};
}

MemWireNic::MemWireNic(MemWireRings& rings, int side, Mempool& pool, const MemWireConfig& config)
    : rings_(rings),
      side_(side),
      peer_(1 - side),
      pool_(pool),
      mac_(memwire_mac(side)),
      mtu_(config.mtu),
      offload_(config.checksum_offload) {}

NicCaps MemWireNic::caps() const {
    return NicCaps{offload_, offload_, offload_, offload_};
}

bool MemWireNic::fits(const PacketBuf* b) const noexcept {
    return b->length() <= size_t{mtu_} + kEthHeader;
}

void MemWireNic::reclaim() noexcept {
    std::array<PacketBuf*, 64> done{};
    auto& ring = rings_.returns[static_cast<size_t>(side_)];
    for (size_t n; (n = ring.pop(done)) > 0;) {
        Mempool::unref_batch(std::span(done.data(), n));
        in_flight_ -= n;
    }
}

size_t MemWireNic::tx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept {
    reclaim();
    auto& ring = rings_.frames[static_cast<size_t>(side_)];
    size_t taken = 0;
    while (taken < bufs.size()) {
        if (!fits(bufs[taken])) {  // a frame no real link would carry: ours to drop
            ++counters_.tx_errors;
            bufs[taken++]->unref();
            continue;
        }
        size_t run = 1;
        while (taken + run < bufs.size() && fits(bufs[taken + run])) ++run;
        const size_t pushed = ring.push(bufs.subspan(taken, run));
        for (size_t i = taken; i < taken + pushed; ++i) counters_.tx_bytes += bufs[i]->length();
        counters_.tx_packets += pushed;
        in_flight_ += pushed;
        taken += pushed;
        if (pushed < run) break;  // ring full: the caller keeps the rest
    }
    return taken;
}

size_t MemWireNic::receive_chunk(std::span<PacketBuf*> out) noexcept {
    auto& home = rings_.returns[static_cast<size_t>(peer_)];
    // Only take frames whose buffers we can hand back right away (we are the only producer
    // of the peer's return ring, so its free space can only grow while we work).
    const size_t limit = std::min({out.size(), kChunk, home.free_slots()});
    std::array<PacketBuf*, kChunk> in{};
    const size_t n = rings_.frames[static_cast<size_t>(peer_)].pop(std::span(in.data(), limit));
    if (n == 0) return 0;
    const size_t got = pool_.alloc_batch(out.first(n));
    for (size_t i = 0; i < got; ++i) {
        const PacketBuf* src = in[i];
        PacketBuf* dst = out[i];
        std::memcpy(dst->rx_area(), src->data(), src->length());  // the wire's "DMA"
        dst->set_received(src->length());
        uint16_t flags = 0;
        if (offload_ && (src->flags() & tx_flags::ip_csum) != 0) flags |= rx_flags::ip_csum_good;
        if (offload_ && (src->flags() & tx_flags::l4_csum) != 0) flags |= rx_flags::l4_csum_good;
        dst->set_flags(flags);
        counters_.rx_bytes += src->length();
        counters_.rx_copy_bytes += src->length();
    }
    counters_.rx_packets += got;
    counters_.rx_dropped += n - got;  // our pool ran dry: frames lost, as on a real NIC
    home.push(std::span<PacketBuf* const>(in.data(), n));
    return got;
}

size_t MemWireNic::rx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept {
    reclaim();
    size_t total = 0;
    while (total < bufs.size()) {
        const size_t got = receive_chunk(bufs.subspan(total));
        if (got == 0) break;
        total += got;
    }
    return total;
}

size_t MemWireNic::rx_borrow(std::span<PacketBuf*> bufs) noexcept {
    reclaim();
    const size_t n = rings_.frames[static_cast<size_t>(peer_)].pop(bufs);
    for (size_t i = 0; i < n; ++i) counters_.rx_bytes += bufs[i]->length();
    counters_.rx_packets += n;
    return n;
}

void MemWireNic::give_back(PacketBuf* peer_buf) noexcept {
    rings_.returns[static_cast<size_t>(peer_)].push(std::span<PacketBuf* const>(&peer_buf, 1));
}

Result<std::unique_ptr<MemWire>> MemWire::create(const MemWireConfig& config) {
    if (config.mtu < 68 || config.mtu > PacketBuf::kDataRoom - kEthHeader) {
        return make_error("memwire: MTU {} out of range 68-{}", config.mtu,
                          PacketBuf::kDataRoom - kEthHeader);
    }
    if (config.pool_buffers > kMaxPoolBuffers) {
        return make_error("memwire: at most {} buffers per endpoint", kMaxPoolBuffers);
    }
    std::unique_ptr<MemWire> wire(new MemWire());
    auto rings = SharedObject<MemWireRings>::create();
    if (!rings) return rings.error();
    wire->rings_ = std::make_unique<SharedObject<MemWireRings>>(std::move(rings).value());
    for (int side = 0; side < 2; ++side) {
        auto pool = Mempool::create(wire->memory_, config.pool_buffers,
                                    side == 0 ? "memwire-a" : "memwire-b");
        if (!pool) return pool.error();
        auto s = static_cast<size_t>(side);
        wire->pools_[s] = std::move(pool).value();
        wire->nics_[s] =
            std::make_unique<MemWireNic>(**wire->rings_, side, *wire->pools_[s], config);
    }
    return wire;
}

}  // namespace shunt::bench
