#include "driver/tap/tap_nic.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

namespace shunt {

MacAddr mac_from_name(const std::string& name) {
    uint64_t h = std::hash<std::string>{}(name);
    MacAddr m;
    m.bytes[0] = 0x02;  // locally administered, unicast (IEEE 802-2014 §8.2.2)
    for (size_t i = 1; i < 6; ++i) m.bytes[i] = static_cast<uint8_t>(h >> (8 * i));
    return m;
}

Result<std::unique_ptr<TapNic>> TapNic::open(const TapConfig& config) {
    if (config.ifname.empty() || config.ifname.size() >= IFNAMSIZ) {
        return make_error("tap: interface name '{}' must be 1-{} characters", config.ifname,
                          IFNAMSIZ - 1);
    }
    if (config.mtu < 68 || config.mtu > PacketBuf::kDataRoom - 14) {
        return make_error("tap: MTU {} out of range 68-{}", config.mtu, PacketBuf::kDataRoom - 14);
    }
    std::unique_ptr<TapNic> nic(new TapNic());
    nic->fd_.reset(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!nic->fd_.valid()) {
        return make_error("tap {}: cannot open /dev/net/tun: {}", config.ifname,
                          std::strerror(errno));
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, config.ifname.c_str(), IFNAMSIZ - 1);
    if (::ioctl(nic->fd_.get(), TUNSETIFF, &ifr) != 0) {
        int err = errno;
        return make_error("tap {}: TUNSETIFF failed: {}{}", config.ifname, std::strerror(err),
                          err == EPERM ? " (needs root or CAP_NET_ADMIN)"
                          : err == EBUSY
                              ? " (another process has it open, or it is not a TAP device)"
                              : "");
    }
    nic->ifname_ = ifr.ifr_name;
    nic->ctl_sock_.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    // The kernel side of the TAP carries the same MTU as our side of the wire.
    ifreq mtu_req{};
    std::strncpy(mtu_req.ifr_name, nic->ifname_.c_str(), IFNAMSIZ - 1);
    mtu_req.ifr_mtu = config.mtu;
    if (nic->ctl_sock_.valid() && ::ioctl(nic->ctl_sock_.get(), SIOCSIFMTU, &mtu_req) != 0) {
        return make_error("tap {}: setting MTU {}: {}", nic->ifname_, config.mtu,
                          std::strerror(errno));
    }
    nic->mtu_ = config.mtu;
    nic->mac_ = config.mac.is_zero() ? mac_from_name("shunt:" + nic->ifname_) : config.mac;
    MemfdProvider memfd;
    auto pool = Mempool::create(memfd, config.pool_buffers, "shunt-tap-" + nic->ifname_);
    if (!pool) return pool.error();
    nic->pool_ = std::move(pool).value();
    return nic;
}

LinkStatus TapNic::link() {
    // Our end is up while the fd is open; the wire is up when the kernel side is IFF_UP.
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname_.c_str(), IFNAMSIZ - 1);
    if (!ctl_sock_.valid() || ::ioctl(ctl_sock_.get(), SIOCGIFFLAGS, &ifr) != 0) return {};
    return {(ifr.ifr_flags & IFF_UP) != 0, 0};
}

size_t TapNic::rx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept {
    size_t n = 0;
    while (n < bufs.size()) {
        PacketBuf* b = pool_->alloc();
        if (b == nullptr) {
            ++counters_.rx_dropped;  // pool exhausted: the frame stays in the kernel queue
            break;
        }
        ssize_t r = ::read(fd_.get(), b->rx_area(), PacketBuf::kDataRoom);
        if (r <= 0) {
            b->unref();
            if (r < 0 && errno != EAGAIN && errno != EINTR) ++counters_.rx_errors;
            break;
        }
        b->set_received(static_cast<uint16_t>(r));
        counters_.rx_packets++;
        counters_.rx_bytes += static_cast<uint64_t>(r);
        counters_.rx_copy_bytes += static_cast<uint64_t>(r);
        bufs[n++] = b;
    }
    return n;
}

size_t TapNic::tx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept {
    size_t n = 0;
    for (; n < bufs.size(); ++n) {
        PacketBuf* b = bufs[n];
        ssize_t w = ::write(fd_.get(), b->data(), b->length());
        if (w < 0 && errno == EAGAIN) break;  // kernel queue full: caller keeps the rest
        if (w == static_cast<ssize_t>(b->length())) {
            counters_.tx_packets++;
            counters_.tx_bytes += b->length();
            counters_.tx_copy_bytes += b->length();
        } else {
            ++counters_.tx_errors;  // e.g. EIO while the kernel side is down: frame dropped
        }
        b->unref();
    }
    return n;
}

}  // namespace shunt
