// TAP backend: frames cross a /dev/net/tun file descriptor (IFF_TAP | IFF_NO_PI), so shunt
// runs on any Linux machine with the kernel's own stack as the peer on the other side.
// The copy across the fd is this backend's inherent cost; it is counted (rx/tx_copy_bytes).
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "driver/nic.hpp"
#include "packet/mempool.hpp"

#include <memory>
#include <string>

namespace shunt {

struct TapConfig {
    std::string ifname;  // created if it does not exist (needs CAP_NET_ADMIN)
    MacAddr mac{};       // our side's MAC; zero picks a stable locally administered one
    uint16_t mtu = 1500;
    uint32_t pool_buffers = 4096;
};

class TapNic final : public Nic {
  public:
    static Result<std::unique_ptr<TapNic>> open(const TapConfig& config);

    std::string name() const override { return "tap:" + ifname_; }
    std::string driver() const override { return "tap"; }
    MacAddr mac() const override { return mac_; }
    uint16_t mtu() const override { return mtu_; }
    LinkStatus link() override;
    uint16_t queue_count() const override { return 1; }
    NicCaps caps() const override { return {}; }
    NicCounters counters() override { return counters_; }

    size_t rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept override;
    size_t tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept override;
    int wait_fd(uint16_t) const override { return fd_.get(); }
    Mempool& tx_pool(uint16_t) override { return *pool_; }

    const std::string& ifname() const { return ifname_; }

  private:
    TapNic() = default;

    UniqueFd fd_;
    UniqueFd ctl_sock_;  // for SIOCGIFFLAGS on link()
    std::string ifname_;
    MacAddr mac_{};
    uint16_t mtu_ = 1500;
    std::unique_ptr<Mempool> pool_;
    NicCounters counters_{};
};

// A locally administered MAC derived from a name, so restarts keep the peer's ARP entry valid.
MacAddr mac_from_name(const std::string& name);

}  // namespace shunt
