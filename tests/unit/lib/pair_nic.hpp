// Two NICs joined back to back in memory: what one sends, the other receives (copied into its
// own pool, as a wire and a NIC's DMA would). Single-threaded; polled only (wait_fd -1).
#pragma once

#include "driver/nic.hpp"
#include "packet/memory.hpp"
#include "packet/mempool.hpp"

#include <cstring>
#include <deque>
#include <memory>
#include <vector>

namespace shunt::test {

struct PairWire {
    std::deque<std::vector<uint8_t>> to[2];  // frames waiting for side i
};

class PairNic final : public Nic {
  public:
    PairNic(PairWire& wire, int side, MacAddr mac) : wire_(wire), side_(side), mac_(mac) {
        MemfdProvider memfd;
        pool_ = Mempool::create(memfd, 2048, side == 0 ? "pair-a" : "pair-b").value();
    }
    std::string name() const override { return side_ == 0 ? "pair:a" : "pair:b"; }
    std::string driver() const override { return "pair"; }
    MacAddr mac() const override { return mac_; }
    uint16_t mtu() const override { return 1500; }
    LinkStatus link() override { return {true, 0}; }
    uint16_t queue_count() const override { return 1; }
    NicCaps caps() const override { return {}; }
    NicCounters counters() override { return counters_; }
    size_t rx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept override {
        auto& in = wire_.to[side_];
        size_t n = 0;
        while (n < bufs.size() && !in.empty()) {
            PacketBuf* b = pool_->alloc();
            if (b == nullptr) break;
            std::memcpy(b->rx_area(), in.front().data(), in.front().size());
            b->set_received(static_cast<uint16_t>(in.front().size()));
            in.pop_front();
            bufs[n++] = b;
        }
        counters_.rx_packets += n;
        return n;
    }
    size_t tx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept override {
        for (PacketBuf* b : bufs) {
            wire_.to[1 - side_].emplace_back(b->data(), b->data() + b->length());
            b->unref();
        }
        counters_.tx_packets += bufs.size();
        return bufs.size();
    }
    int wait_fd(uint16_t) const override { return -1; }
    Mempool& tx_pool(uint16_t) override { return *pool_; }

  private:
    PairWire& wire_;
    int side_;
    MacAddr mac_;
    std::unique_ptr<Mempool> pool_;
    NicCounters counters_{};
};

}  // namespace shunt::test
