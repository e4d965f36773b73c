// A NIC made of two queues in memory: tests inject frames and read what the stack sent.
#pragma once

#include "driver/nic.hpp"
#include "packet/memory.hpp"
#include "packet/mempool.hpp"

#include <cstring>
#include <deque>
#include <memory>
#include <vector>

namespace shunt::test {

class FakeNic final : public Nic {
  public:
    explicit FakeNic(MacAddr mac, uint32_t buffers = 2048) : mac_(mac) {
        MemfdProvider memfd;
        pool_ = Mempool::create(memfd, buffers, "fake-nic").value();
    }
    ~FakeNic() override {
        for (PacketBuf* b : rx_) b->unref();
    }

    // Queues a frame for the stack to receive; false when the pool is empty.
    bool inject(const std::vector<uint8_t>& frame) {
        PacketBuf* b = pool_->alloc();
        if (b == nullptr || frame.size() > PacketBuf::kDataRoom) return false;
        std::memcpy(b->rx_area(), frame.data(), frame.size());
        b->set_received(static_cast<uint16_t>(frame.size()));
        rx_.push_back(b);
        return true;
    }
    // Frames the stack sent since the last call.
    std::vector<std::vector<uint8_t>> take_sent() { return std::exchange(sent_, {}); }
    void set_tx_capacity(size_t n) { tx_capacity_ = n; }

    std::string name() const override { return "fake:0"; }
    std::string driver() const override { return "fake"; }
    MacAddr mac() const override { return mac_; }
    uint16_t mtu() const override { return 1500; }
    LinkStatus link() override { return {true, 0}; }
    uint16_t queue_count() const override { return 1; }
    NicCaps caps() const override { return {}; }
    NicCounters counters() override { return counters_; }
    size_t rx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept override {
        size_t n = 0;
        while (n < bufs.size() && !rx_.empty()) {
            bufs[n++] = rx_.front();
            rx_.pop_front();
        }
        counters_.rx_packets += n;
        return n;
    }
    size_t tx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept override {
        const size_t n = std::min(bufs.size(), tx_capacity_);
        for (size_t i = 0; i < n; ++i) {
            sent_.emplace_back(bufs[i]->data(), bufs[i]->data() + bufs[i]->length());
            bufs[i]->unref();
        }
        counters_.tx_packets += n;
        return n;
    }
    int wait_fd(uint16_t) const override { return -1; }
    Mempool& tx_pool(uint16_t) override { return *pool_; }
    Mempool& pool() { return *pool_; }

  private:
    MacAddr mac_;
    std::unique_ptr<Mempool> pool_;
    std::deque<PacketBuf*> rx_;
    std::vector<std::vector<uint8_t>> sent_;
    size_t tx_capacity_ = SIZE_MAX;
    NicCounters counters_{};
};

}  // namespace shunt::test
