#include "tools/shuntd_shard.hpp"

#include "base/log.hpp"
#include "stack/tcp/tcp_json.hpp"
#include "tools/stack_loop.hpp"
#include "tools/stats_file.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace shunt::tools {

size_t UdpEcho::run(Instant) noexcept {
    size_t n = 0;
    UdpDatagram d;
    while (socket->recv(d)) {
        socket->send_to(d.from, std::move(d.payload));
        ++n;
    }
    return n;
}

Result<std::unique_ptr<ShuntdShard>> ShuntdShard::start(size_t index, Nic& nic, uint16_t queue,
                                                        const InterfaceConfig& iface,
                                                        const tcp::TcpConfig& tcp,
                                                        const ShardServices& services) {
    std::unique_ptr<ShuntdShard> s(new ShuntdShard(index, queue));
    s->wake_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!s->wake_fd_.valid()) {
        return make_error("shard {}: eventfd: {}", index, std::strerror(errno));
    }
    // Each shard its own ISN/cookie secret (RFC 6528): a flow stays on its shard, so no
    // shard needs another's.
    auto keyed = Stack::random_secret(tcp);
    if (!keyed) return keyed.error();
    s->stack_ = std::make_unique<Stack>(nic, queue, iface, keyed.value());
    if (services.udp_echo) {
        s->echo_.socket = s->stack_->udp_bind(7);
        if (s->echo_.socket != nullptr) s->stack_->add_app(s->echo_);
    }
    auto started =
        TcpServices::start(*s->stack_, services.ports, services.http, 4096, services.timeouts);
    if (!started) return started.error();
    s->services_ = std::move(started).value();
    s->stack_->iface().set_neighbor_listener(s.get());
    s->inbox_.reserve(64);
    s->taking_.reserve(64);
    s->publish();
    return s;
}

ShuntdShard::~ShuntdShard() {
    join();
    if (stack_) {
        stack_->iface().set_neighbor_listener(nullptr);
        stack_->iface().set_tap(nullptr);
        if (echo_.socket != nullptr) stack_->remove_app(echo_);
    }
    services_.reset();  // before the Stack it runs in
}

void ShuntdShard::set_peers(std::vector<ShuntdShard*> peers) {
    peers_ = std::move(peers);
}

void ShuntdShard::learned(wire::Ipv4Addr ip, MacAddr mac, bool create) noexcept {
    for (ShuntdShard* p : peers_) p->post_neighbor(ip, mac, create);
}

void ShuntdShard::post_neighbor(wire::Ipv4Addr ip, MacAddr mac, bool create) noexcept {
    // Only the first news of a batch wakes the shard: an ARP flood costs the posting shard
    // one lock per packet and peer, not a syscall each.
    bool first_news = false;
    {
        std::lock_guard lock(inbox_mu_);
        first_news = inbox_.empty();
        if (inbox_.size() >= kInboxLimit) {
            inbox_dropped_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        // push_back may allocate (the vector grows to kInboxLimit at most, once).
        try {
            inbox_.push_back(News{ip, mac, create});
        } catch (...) {
            inbox_dropped_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
    }
    has_news_.store(true, std::memory_order_release);
    if (first_news) wake();
}

void ShuntdShard::want_tap(FrameTap* tap) noexcept {
    wanted_tap_.store(tap, std::memory_order_release);
    wake();
}

void ShuntdShard::wake() noexcept {
    const uint64_t one = 1;
    // A full counter (never in practice) still leaves the fd readable: nothing lost.
    [[maybe_unused]] ssize_t w = ::write(wake_fd_.get(), &one, sizeof one);
}

void ShuntdShard::drain_wake() noexcept {
    uint64_t v = 0;
    [[maybe_unused]] ssize_t r = ::read(wake_fd_.get(), &v, sizeof v);
}

size_t ShuntdShard::take_mail() noexcept {
    size_t n = 0;
    if (has_news_.load(std::memory_order_acquire)) {
        {
            std::lock_guard lock(inbox_mu_);
            taking_.swap(inbox_);
            has_news_.store(false, std::memory_order_relaxed);
        }
        for (const News& news : taking_) {
            stack_->iface().learn_neighbor(news.ip, news.mac, news.create);
        }
        n = taking_.size();
        taking_.clear();
    }
    FrameTap* want = wanted_tap_.load(std::memory_order_acquire);
    if (want != applied_tap_.load(std::memory_order_relaxed)) {
        stack_->iface().set_tap(want);
        applied_tap_.store(want, std::memory_order_release);
    }
    return n;
}

nlohmann::ordered_json ShuntdShard::live_json() {
    return shard_json(index_, stack_->iface(), nlohmann::ordered_json{{"tcp", services_->stats()}},
                      tcp::to_json(stack_->tcp().drops()));
}

void ShuntdShard::publish() {
    auto j = live_json();
    j["neighbor_news_dropped"] = inbox_dropped();
    std::lock_guard lock(snapshot_mu_);
    snapshot_ = std::move(j);
}

nlohmann::ordered_json ShuntdShard::snapshot() const {
    std::lock_guard lock(snapshot_mu_);
    return snapshot_;
}

void ShuntdShard::run_thread(const std::atomic<bool>& stop, const std::atomic<bool>& send_rsts) {
    thread_ = std::thread([this, &stop, &send_rsts] { loop(stop, send_rsts); });
}

void ShuntdShard::join() {
    if (thread_.joinable()) thread_.join();
}

void ShuntdShard::loop(const std::atomic<bool>& stop, const std::atomic<bool>& send_rsts) noexcept {
    Nic& nic = stack_->iface().nic();
    UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
    // A queue without a wait fd (a PCI NIC in poll mode) is busy-polled: never sleep on it.
    const int nic_fd = nic.wait_fd(queue_);
    const bool can_sleep = nic_fd >= 0 && ep.valid();
    if (can_sleep) {
        for (int fd : {nic_fd, wake_fd_.get()}) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = fd;
            ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev);
        }
    }
    auto next_publish = Instant::now() + kPublishPeriod;
    while (!stop.load(std::memory_order_acquire)) {
        const Instant now = Instant::now();
        const size_t work = take_mail() + stack_->poll(now);
        if (now >= next_publish) {
            publish();
            next_publish = now + kPublishPeriod;
        }
        if (work > 0 || !can_sleep) continue;
        auto wake_at = std::min(now + Duration(100'000), next_publish);
        if (auto d = stack_->next_deadline(); d && *d < wake_at) wake_at = *d;
        const timespec timeout = timespec_until(now, wake_at);
        std::array<epoll_event, 2> evs{};
        const int n =
            ::epoll_pwait2(ep.get(), evs.data(), static_cast<int>(evs.size()), &timeout, nullptr);
        for (int i = 0; i < n; ++i) {
            if (evs[static_cast<size_t>(i)].data.fd == wake_fd_.get()) drain_wake();
        }
    }
    take_mail();  // a tap removal asked for at the end is honoured
    if (send_rsts.load(std::memory_order_acquire)) shutdown_ok_ = shutdown_stack(*stack_);
    publish();
}

}  // namespace shunt::tools
