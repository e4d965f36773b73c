// Interface: receive path (Ethernet, ARP, IPv4 input and reassembly), timers, TX batching.
#include "stack/iface/interface.hpp"
#include "base/log.hpp"
#include "base/probes.hpp"
#include "stack/iface/martian.hpp"

#include "stack/wire/arp.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmpv4.hpp"
#include "stack/wire/ipv4.hpp"

namespace shunt {

using wire::Ipv4Addr;

namespace {

// A bound lowered to a share of the pool (0 keeps "no bound" only where the holder has one).
size_t bounded(size_t configured, size_t share) {
    return configured == 0 ? share : std::min(configured, share);
}
NeighborConfig neighbor_share(NeighborConfig c, const BufferBudget& b) {
    c.max_pending_total = bounded(c.max_pending_total, b.share(b.config().neighbor_percent));
    return c;
}
ReassemblyConfig reassembly_share(ReassemblyConfig c, const BufferBudget& b) {
    c.max_buffers =
        std::max<size_t>(1, bounded(c.max_buffers, b.share(b.config().reassembly_percent)));
    return c;
}

}  // namespace

Interface::Interface(Nic& nic, uint16_t queue, InterfaceConfig config)
    : nic_(nic),
      queue_(queue),
      config_(config),
      budget_(nic.tx_pool(queue), config.budget),
      neighbors_(neighbor_share(config.neighbor, budget_), drops_),
      reassembler_(reassembly_share(config.reassembly, budget_), drops_),
      icmp_errors_(config.icmp_errors_per_sec, config.icmp_error_burst) {
    routes_.add_connected(config_.address);
    if (config_.gateway) routes_.add_default(*config_.gateway);
    const NicCaps caps = nic_.caps();
    tx_l4_csum_ = caps.tx_l4_csum;
    tx_ip_csum_ = caps.tx_ip_csum;
}

Interface::~Interface() {
    for (size_t i = 0; i < tx_count_; ++i) tx_frames_[i]->unref();
}

size_t Interface::poll(Instant now) noexcept {
    const size_t n = poll_ingress(now);
    poll_timers();
    return n + poll_egress();
}

size_t Interface::poll_ingress(Instant now) noexcept {
    now_ = now;
    if (!announced_) {
        // Gratuitous ARP (RFC 5227 §2.3 announcement): peers that knew an older MAC for our
        // address update their caches, and a conflicting host would speak up.
        announced_ = true;
        send_arp(1, MacAddr{}, config_.address.addr, MacAddr::broadcast());
    }
    if (budget_.observe()) {
        // Once per episode: the pool ran dry. Holders are bounded by their shares and the
        // reserve, so this is the driver's refill or a burst of replies; it recovers as
        // buffers come back (the episode ends when free buffers pass the pressure level).
        log::warn(
            "packet pool {} exhausted: {} of {} buffers in use ({} reassembly, {} "
            "waiting for ARP); frames are dropped until buffers come back",
            nic_.tx_pool(queue_).id(), budget_.in_use(), budget_.capacity(),
            reassembler_.buffers_held(), neighbors_.pending_total());
    }
    std::array<PacketBuf*, 64> rx;  // filled by rx_batch up to n (no zeroing per poll)
    const size_t want = std::min(config_.rx_batch, rx.size());
    const size_t n = nic_.rx_batch(queue_, std::span(rx.data(), want));
    probe::rx_batch(queue_, n);
    if (tap_ != nullptr) [[unlikely]]
        tap_->on_frames(TapDirection::rx, std::span(rx.data(), n), now_);
    for (size_t i = 0; i < n; ++i) receive_frame(Packet(rx[i]));
    return n;
}

void Interface::poll_timers() noexcept {
    run_timers();
    for (size_t i = 0; i < active_count_; ++i) active_handlers_[i]->on_timers(now_);
}

// Frames left from the last poll go first (a new stall is judged on this poll's attempt).
// Transports then fill the batch; queue_frame hands full batches over on the way, and a
// refusal ends their turn (tx_ready() is false) with nothing dropped.
size_t Interface::poll_egress() noexcept {
    tx_stalled_ = false;
    tx_handed_ = 0;
    flush_tx();
    for (size_t i = 0; i < active_count_ && !tx_stalled_; ++i) {
        active_handlers_[i]->egress(now_);
    }
    if (!tx_stalled_) flush_tx();
    schedule_tx_retry();
    return tx_handed_;
}

// Held-back work retries soon after progress, and backs off while the NIC takes nothing.
void Interface::schedule_tx_retry() noexcept {
    bool held = tx_count_ > 0;
    for (size_t i = 0; i < active_count_ && !held; ++i) {
        held = active_handlers_[i]->egress_pending();
    }
    if (!held) {
        tx_backoff_ = Duration(0);
    } else if (tx_handed_ > 0 || tx_backoff_ == Duration(0)) {
        tx_backoff_ = config_.tx_retry_min;
    } else {
        tx_backoff_ = std::min(tx_backoff_ * 2, config_.tx_retry_max);
    }
    tx_retry_at_ = now_ + tx_backoff_;
}

std::optional<Instant> Interface::next_deadline() const noexcept {
    std::optional<Instant> earliest;
    auto consider = [&earliest](std::optional<Instant> t) {
        if (t && (!earliest || *t < *earliest)) earliest = t;
    };
    consider(neighbors_.next_deadline());
    consider(reassembler_.next_deadline());
    if (tx_count_ > 0) consider(tx_retry_at_);  // refused frames, or frames queued since
    for (size_t i = 0; i < active_count_; ++i) consider(active_handlers_[i]->next_deadline());
    return earliest;
}

void Interface::set_protocol_handler(uint8_t protocol, Ipv4Handler* handler) noexcept {
    handlers_[protocol] = handler;
    active_count_ = 0;
    for (Ipv4Handler* h : handlers_) {
        if (h != nullptr) active_handlers_[active_count_++] = h;
    }
}

void Interface::receive_frame(Packet frame) noexcept {
    auto eth = wire::EthernetView::check(frame->bytes());
    if (!eth.ok()) return drops_.count(DropReason::eth_truncated);
    const MacAddr dst = eth.value.dst();
    // We accept our unicast address and broadcast; multicast groups are not joined.
    if (dst != config_.mac && !dst.is_broadcast()) {
        return drops_.count(DropReason::eth_not_for_us);
    }
    switch (eth.value.ethertype()) {
        case wire::ethertype::arp:
            return receive_arp(std::move(frame));
        case wire::ethertype::ipv4:
            return receive_ipv4(std::move(frame));
        default:
            return drops_.count(DropReason::eth_unknown_ethertype);
    }
}

// RFC 826 "Packet Reception", with the merge step before the target check.
void Interface::receive_arp(Packet frame) noexcept {
    counters_.arp_rx++;
    frame->trim_front(wire::EthernetView::kHeaderLen);
    auto view = wire::ArpView::check(frame->bytes());
    if (!view.ok()) return drops_.count(DropReason::arp_malformed);
    auto arp = wire::ArpRepr::parse(view.value);
    if (!arp.ok()) {
        return drops_.count(arp.error == wire::Error::bad_address ? DropReason::arp_bad_source
                                                                  : DropReason::arp_malformed);
    }
    const wire::ArpRepr& a = arp.value;
    if (a.sender_mac.is_multicast() || a.sender_mac.is_zero() || a.sender_ip.is_broadcast() ||
        a.sender_ip.is_multicast()) {
        return drops_.count(DropReason::arp_bad_source);
    }
    // A probe's sender 0.0.0.0 (RFC 5227 §2.1.1) is legitimate; other martians are not.
    if (config_.drop_martian_sources && !a.sender_ip.is_unspecified() &&
        is_martian_source(a.sender_ip, config_.address)) {
        return drops_.count(DropReason::arp_martian_source);
    }
    const bool for_us = a.target_ip == config_.address.addr;
    // A probe (sender 0.0.0.0, RFC 5227 §2.1.1) teaches nothing about the sender.
    if (!a.sender_ip.is_unspecified()) {
        PacketChain waiting = neighbors_.learn(a.sender_ip, a.sender_mac, now_, for_us);
        while (!waiting.empty())
            queue_frame(waiting.pop_front(), a.sender_mac, wire::ethertype::ipv4);
        // Only what this cache took (an entry made or updated): a LAN's ARP chatter about
        // hosts we never talk to is not passed on to every other shard.
        if (neighbor_listener_ != nullptr && neighbors_.lookup(a.sender_ip)) {
            neighbor_listener_->learned(a.sender_ip, a.sender_mac, for_us);
        }
    }
    if (for_us && a.op == wire::ArpOp::request) {
        send_arp(2, a.sender_mac, a.sender_ip, a.sender_mac);
    }
}

void Interface::learn_neighbor(wire::Ipv4Addr ip, MacAddr mac, bool create) noexcept {
    PacketChain waiting = neighbors_.learn(ip, mac, now_, create);
    while (!waiting.empty()) queue_frame(waiting.pop_front(), mac, wire::ethertype::ipv4);
}

void Interface::receive_ipv4(Packet frame) noexcept {
    frame->trim_front(wire::EthernetView::kHeaderLen);
    auto view = wire::Ipv4View::check(frame->bytes());
    if (!view.ok()) {
        switch (view.error) {
            case wire::Error::bad_version:
                return drops_.count(DropReason::ipv4_bad_version);
            case wire::Error::bad_header_len:
                return drops_.count(DropReason::ipv4_bad_header_len);
            default:
                return drops_.count(DropReason::ipv4_truncated);
        }
    }
    const bool hw_checked = (frame->flags() & rx_flags::ip_csum_good) != 0;
    auto ip = wire::Ipv4Repr::parse(view.value, !hw_checked);
    if (!ip.ok()) {
        switch (ip.error) {
            case wire::Error::bad_checksum:
                return drops_.count(DropReason::ipv4_bad_checksum);
            case wire::Error::bad_address:
                return drops_.count(DropReason::ipv4_bad_source);
            default:
                return drops_.count(DropReason::ipv4_truncated);
        }
    }
    counters_.ipv4_rx++;
    const wire::Ipv4Repr& r = ip.value;
    if (r.src.is_broadcast() || r.src.is_multicast() || is_our_broadcast(r.src)) {
        return drops_.count(DropReason::ipv4_bad_source);
    }
    if (config_.drop_martian_sources && is_martian_source(r.src, config_.address)) {
        return drops_.count(DropReason::ipv4_martian_source);
    }
    const bool broadcast = is_our_broadcast(r.dst);
    if (r.dst != config_.address.addr && !broadcast) {
        return drops_.count(DropReason::ipv4_not_for_us);  // a host does not forward
    }
    // Keep only the IP payload: drop the header and any Ethernet padding after total_len.
    const size_t header_len = view.value.header_len();
    frame->trim_back(frame->length() - view.value.total_len());
    frame->trim_front(header_len);

    Ipv4Meta meta{r.src, r.dst, r.protocol, broadcast};
    if (!r.is_fragment()) return dispatch_ipv4(meta, PacketChain(std::move(frame)));
    // A fragment is held until its datagram completes; a flood of incomplete ones must not
    // eat into the reserve (the reassembler's own bound is its share of the pool).
    if (!budget_.reserve_intact()) return drops_.count(DropReason::ipv4_frag_budget);
    FragmentInfo info{r.src, r.dst, r.ident, r.protocol, r.frag_offset, r.more_frags};
    PacketChain whole = reassembler_.add(info, std::move(frame), now_);
    if (whole.empty()) return;
    counters_.frag_reassembled++;
    dispatch_ipv4(meta, std::move(whole));
}

void Interface::dispatch_ipv4(const Ipv4Meta& meta, PacketChain payload) noexcept {
    switch (meta.protocol) {
        case wire::ip_proto::icmp:
            return receive_icmp(meta, std::move(payload));
        case wire::ip_proto::udp:
            return receive_udp(meta, std::move(payload));
        default:
            if (Ipv4Handler* h = handlers_[meta.protocol]; h != nullptr) {
                return h->receive(meta, std::move(payload), now_);
            }
            drops_.count(DropReason::ipv4_unknown_protocol);
            // RFC 1122 §3.2.2.1: protocol unreachable, never in answer to a broadcast.
            if (!meta.to_broadcast) {
                send_icmp_error(wire::icmp_type::dest_unreachable, wire::icmp_unreach::protocol,
                                *payload.front());
            }
    }
}

bool Interface::is_our_broadcast(Ipv4Addr a) const noexcept {
    return a.is_broadcast() ||
           (config_.address.prefix_len < 31 && a == config_.address.subnet_broadcast());
}

void Interface::send_arp(uint16_t op, MacAddr target_mac, Ipv4Addr target_ip,
                         MacAddr eth_dst) noexcept {
    PacketBuf* b = tx_pool().alloc();
    if (b == nullptr) return drops_.count(DropReason::no_buffer);
    Packet p(b);
    uint8_t* bytes = p->append(wire::ArpRepr::len());
    wire::ArpView view(std::span(bytes, wire::ArpRepr::len()));
    wire::ArpRepr{static_cast<wire::ArpOp>(op), config_.mac, config_.address.addr, target_mac,
                  target_ip}
        .emit(view);
    counters_.arp_tx++;
    queue_frame(std::move(p), eth_dst, wire::ethertype::arp);
}

// Prepends the Ethernet header and adds the frame to the TX batch.
void Interface::queue_frame(Packet frame, MacAddr dst, uint16_t ethertype) noexcept {
    uint8_t* h = frame->prepend(wire::EthernetView::kHeaderLen);
    if (h == nullptr) return drops_.count(DropReason::no_buffer);
    wire::EthernetView eth(std::span(h, wire::EthernetView::kHeaderLen));
    eth.set_dst(dst);
    eth.set_src(config_.mac);
    eth.set_ethertype(ethertype);
    frame->set_l2_len(wire::EthernetView::kHeaderLen);  // offload metadata (TxMeta)
    if (tx_count_ == tx_frames_.size()) flush_tx();
    // Still full: the NIC refused the batch. Senders that can wait check tx_ready() first;
    // this frame's sender cannot (ARP, ICMP, UDP), so it is the one dropped.
    if (tx_count_ == tx_frames_.size()) return drops_.count(DropReason::tx_queue_full);
    tx_frames_[tx_count_++] = frame.release();
}

size_t Interface::flush_tx() noexcept {
    if (tx_count_ == 0) return 0;
    // Refused frames stay at the front and are offered again: the tap sees each frame once.
    if (tap_ != nullptr) [[unlikely]] {
        if (tx_tapped_ < tx_count_) {
            tap_->on_frames(TapDirection::tx,
                            std::span(tx_frames_.data() + tx_tapped_, tx_count_ - tx_tapped_),
                            now_);
        }
        tx_tapped_ = tx_count_;
    }
    const size_t sent = nic_.tx_batch(queue_, std::span(tx_frames_.data(), tx_count_));
    probe::tx_batch(queue_, tx_count_, sent);
    if (sent < tx_count_) {
        tx_stalled_ = true;
        std::copy(tx_frames_.begin() + static_cast<ptrdiff_t>(sent),
                  tx_frames_.begin() + static_cast<ptrdiff_t>(tx_count_), tx_frames_.begin());
    }
    tx_count_ -= sent;
    tx_tapped_ -= std::min(tx_tapped_, sent);
    tx_handed_ += sent;
    return sent;
}

void Interface::run_timers() noexcept {
    std::array<Ipv4Addr, 16> requests{};
    const size_t n = neighbors_.poll(now_, requests);
    for (size_t i = 0; i < n; ++i) send_arp(1, MacAddr{}, requests[i], MacAddr::broadcast());

    PacketChain expired_firsts;
    reassembler_.expire(now_, expired_firsts);
    // RFC 792 / RFC 1122 §3.2.1.2: time exceeded (fragment reassembly) when fragment zero came.
    while (!expired_firsts.empty()) {
        Packet first = expired_firsts.pop_front();
        send_icmp_error(wire::icmp_type::time_exceeded, 1, *first.get());
    }
}

}  // namespace shunt
