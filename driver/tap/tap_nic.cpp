#include "driver/tap/tap_nic.hpp"

#include "driver/tap/tap_steering.hpp"

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

namespace {

// Opens one queue of the TAP (the first open creates the interface when it does not exist).
Result<UniqueFd> open_queue(const std::string& ifname, bool multi_queue, std::string* actual) {
    UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) {
        return make_error("tap {}: cannot open /dev/net/tun: {}", ifname, std::strerror(errno));
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (multi_queue) ifr.ifr_flags |= IFF_MULTI_QUEUE;
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0) {
        const int err = errno;
        return make_error("tap {}: TUNSETIFF failed: {}{}", ifname, std::strerror(err),
                          err == EPERM ? " (needs root or CAP_NET_ADMIN)"
                          : err == EBUSY
                              ? " (another process has it open, or it is not a TAP device)"
                          : err == EINVAL && multi_queue
                              ? " (it exists without multi_queue: delete it, or run with one queue)"
                              : "");
    }
    if (actual != nullptr) *actual = ifr.ifr_name;
    return fd;
}

}  // namespace

Result<std::unique_ptr<TapNic>> TapNic::open(const TapConfig& config) {
    if (config.ifname.empty() || config.ifname.size() >= IFNAMSIZ) {
        return make_error("tap: interface name '{}' must be 1-{} characters", config.ifname,
                          IFNAMSIZ - 1);
    }
    if (config.mtu < 68 || config.mtu > PacketBuf::kDataRoom - 14) {
        return make_error("tap: MTU {} out of range 68-{}", config.mtu, PacketBuf::kDataRoom - 14);
    }
    if (config.queues < 1 || config.queues > kMaxQueues) {
        return make_error("tap {}: {} queues: expected 1-{}", config.ifname, config.queues,
                          kMaxQueues);
    }
    std::unique_ptr<TapNic> nic(new TapNic());
    // One queue keeps the classic single-queue TAP, so an existing one (ip tuntap add without
    // multi_queue) still opens.
    const bool multi = config.queues > 1;
    MemfdProvider memfd;
    for (uint16_t q = 0; q < config.queues; ++q) {
        auto fd = open_queue(q == 0 ? config.ifname : nic->ifname_, multi,
                             q == 0 ? &nic->ifname_ : nullptr);
        if (!fd) return fd.error();
        auto queue = std::make_unique<Queue>();
        queue->fd = std::move(fd).value();
        auto pool = Mempool::create(
            memfd, config.pool_buffers,
            "shunt-tap-" + config.ifname + (multi ? "-q" + std::to_string(q) : std::string()));
        if (!pool) return pool.error();
        queue->pool = std::move(pool).value();
        nic->queues_.push_back(std::move(queue));
    }
    if (multi) {
        // Like a NIC's RSS (tap_steering.hpp); without it (no CAP_BPF) the kernel's automq.
        if (auto s = install_rss_like_steering(nic->queues_[0]->fd.get()); s) {
            nic->steering_ = "rss-like (eBPF: IPv4 by addresses and ports, the rest to queue 0)";
        } else {
            nic->steering_ = "the kernel's automq (" + s.error().message + ")";
        }
    }
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
    return nic;
}

NicCounters TapNic::counters() {
    NicCounters n;
    for (const auto& q : queues_) {
        n.rx_packets += q->rx_packets.get();
        n.rx_bytes += q->rx_bytes.get();
        n.rx_dropped += q->rx_dropped.get();
        n.rx_errors += q->rx_errors.get();
        n.tx_packets += q->tx_packets.get();
        n.tx_bytes += q->tx_bytes.get();
        n.tx_errors += q->tx_errors.get();
    }
    n.rx_copy_bytes = n.rx_bytes;  // every byte crosses the fd by copy
    n.tx_copy_bytes = n.tx_bytes;
    return n;
}

QueueCounters TapNic::queue_counters(uint16_t queue) {
    if (queue >= queues_.size()) return {};
    const Queue& q = *queues_[queue];
    QueueCounters c;
    c.rx_packets = q.rx_packets.get();
    c.rx_bytes = q.rx_bytes.get();
    c.rx_dropped = q.rx_dropped.get();
    c.tx_packets = q.tx_packets.get();
    c.tx_bytes = q.tx_bytes.get();
    return c;
}

LinkStatus TapNic::link() {
    // Our end is up while the fd is open; the wire is up when the kernel side is IFF_UP.
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname_.c_str(), IFNAMSIZ - 1);
    if (!ctl_sock_.valid() || ::ioctl(ctl_sock_.get(), SIOCGIFFLAGS, &ifr) != 0) return {};
    return {(ifr.ifr_flags & IFF_UP) != 0, 0};
}

size_t TapNic::rx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept {
    if (queue >= queues_.size()) return 0;
    Queue& q = *queues_[queue];
    size_t n = 0;
    uint64_t bytes = 0;
    while (n < bufs.size()) {
        PacketBuf* b = q.pool->alloc();
        if (b == nullptr) {
            q.rx_dropped.add(1);  // pool exhausted: the frame stays in the kernel queue
            break;
        }
        ssize_t r = ::read(q.fd.get(), b->rx_area(), PacketBuf::kDataRoom);
        if (r <= 0) {
            b->unref();
            if (r < 0 && errno != EAGAIN && errno != EINTR) q.rx_errors.add(1);
            break;
        }
        b->set_received(static_cast<uint16_t>(r));
        bytes += static_cast<uint64_t>(r);
        bufs[n++] = b;
    }
    q.rx_packets.add(n);
    q.rx_bytes.add(bytes);
    return n;
}

size_t TapNic::tx_batch(uint16_t queue, std::span<PacketBuf*> bufs) noexcept {
    if (queue >= queues_.size()) return 0;
    Queue& q = *queues_[queue];
    size_t n = 0;
    uint64_t sent = 0, bytes = 0, errors = 0;
    for (; n < bufs.size(); ++n) {
        PacketBuf* b = bufs[n];
        ssize_t w = ::write(q.fd.get(), b->data(), b->length());
        if (w < 0 && errno == EAGAIN) break;  // kernel queue full: caller keeps the rest
        if (w == static_cast<ssize_t>(b->length())) {
            ++sent;
            bytes += b->length();
        } else {
            ++errors;  // e.g. EIO while the kernel side is down: frame dropped
        }
        b->unref();
    }
    q.tx_packets.add(sent);
    q.tx_bytes.add(bytes);
    q.tx_errors.add(errors);
    return n;
}

}  // namespace shunt
