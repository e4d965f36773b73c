// TcpStack: demultiplexing, parsing and checksum of arriving segments, the closed-port and
// LISTEN rules (RFC 9293 §3.10.7.1, §3.10.7.2), connection lifetime.
#include "stack/tcp/tcp_stack.hpp"

#include "packet/chain_checksum.hpp"
#include "stack/wire/ipv4.hpp"

#include <algorithm>

namespace shunt::tcp {

using wire::tcp_flag::ack;
using wire::tcp_flag::rst;
using wire::tcp_flag::syn;

TcpStack::TcpStack(Ipv4Output& out, TcpConfig config)
    : out_(out),
      config_(config),
      cx_(out, config_),
      isn_(config.secret),
      cookies_(config.secret),
      table_(config.max_connections),
      time_wait_(config.time_wait_slots) {
    sockets_.reserve(config_.max_connections);
    cx_.timers.reserve(config_.max_connections);
    due_.reserve(config_.max_connections);
    cx_.flush_list.reserve(config_.max_connections);
    flush_work_.reserve(config_.max_connections);
    candidates_.reserve(config_.max_connections);
}

TcpStack::~TcpStack() = default;

TcpListener* TcpStack::listen(uint16_t port, size_t backlog, const SocketOptions* options) {
    if (port == 0 || listeners_.contains(port)) return nullptr;
    auto l = std::make_unique<TcpListener>(*this, port, backlog,
                                           options != nullptr ? *options : config_.defaults);
    TcpListener* raw = l.get();
    listeners_.emplace(port, std::move(l));
    return raw;
}

void TcpStack::close_listener(TcpListener* listener) noexcept {
    if (listener == nullptr) return;
    for (auto& s : sockets_) {
        if (s->listener_ == listener) {
            s->listener_ = nullptr;
            s->abort();
            s->app_owned_ = false;
        }
    }
    listeners_.erase(listener->port());
    reclaim();
}

size_t TcpStack::abort_connections() noexcept {
    size_t left = 0;
    for (auto& s : sockets_) {
        switch (s->state_) {
            case TcpState::closed:
            case TcpState::time_wait:
                continue;
            case TcpState::syn_received:
            case TcpState::established:
            case TcpState::fin_wait_1:
            case TcpState::fin_wait_2:
            case TcpState::close_wait:
                // An RST it would send: not when the queue is full (it would be dropped).
                if (cx_.replies_count == cx_.replies.size()) {
                    ++left;
                    continue;
                }
                break;
            default:  // SYN-SENT, CLOSING, LAST-ACK: ABORT sends nothing there
                break;
        }
        s->abort();
    }
    return left;
}

TcpSocket* TcpStack::connect(Endpoint remote, Instant now, uint16_t local_port,
                             const SocketOptions* options) {
    cx_.now = std::max(cx_.now, now);
    const wire::Ipv4Addr local = out_.source_address(remote.addr);
    if (local_port == 0) {
        auto port = pick_ephemeral_port(local, remote);
        if (!port) return nullptr;
        local_port = *port;
    }
    const FourTuple key{local, local_port, remote.addr, remote.port};
    if (tuple_in_use(key)) return nullptr;
    TcpSocket* s = create_socket(key, options != nullptr ? *options : config_.defaults);
    if (s == nullptr) return nullptr;
    cx_.counters.active_opens++;
    s->start_active(isn_.isn(local, local_port, remote.addr, remote.port, cx_.now), cx_.now);
    return s;
}

TcpSocket* TcpStack::create_socket(const FourTuple& key, const SocketOptions& options) noexcept {
    if (table_.size() >= config_.max_connections) return nullptr;
    auto s = std::make_unique<TcpSocket>(*this, Endpoint{key.local_addr, key.local_port},
                                         Endpoint{key.remote_addr, key.remote_port}, options);
    TcpSocket* raw = s.get();
    if (!table_.insert(key, raw)) return nullptr;
    sockets_.push_back(std::move(s));
    // Every live socket may hold one timer entry: room for all of them, so arming a timer
    // never allocates (sockets_ can outgrow max_connections with closed, unreleased handles).
    if (cx_.timers.capacity() < sockets_.size()) {
        cx_.timers.reserve(sockets_.capacity());
        due_.reserve(sockets_.capacity());
        cx_.flush_list.reserve(sockets_.capacity());
        flush_work_.reserve(sockets_.capacity());
        candidates_.reserve(sockets_.capacity());
    }
    return raw;
}

bool TcpStack::tuple_in_use(const FourTuple& key) noexcept {
    return table_.find(key) != nullptr || time_wait_.find(key) != nullptr;
}

// RFC 6056 §3.3.3 Algorithm 3 ("Simple Hash-Based Port Selection"): a keyed hash of the
// destination picks where the search starts, a global counter moves it on.
std::optional<uint16_t> TcpStack::pick_ephemeral_port(wire::Ipv4Addr local,
                                                      Endpoint remote) noexcept {
    std::array<uint8_t, 10> in{};
    local.store(in.data());
    remote.addr.store(in.data() + 4);
    in[8] = static_cast<uint8_t>(remote.port >> 8);
    in[9] = static_cast<uint8_t>(remote.port);
    const uint64_t offset = siphash24(config_.secret, in);
    const uint32_t num = uint32_t{config_.ephemeral_max} - config_.ephemeral_min + 1;
    for (uint32_t tried = 0; tried < num; ++tried) {
        const auto port =
            static_cast<uint16_t>(config_.ephemeral_min + (offset + ephemeral_next_) % num);
        ephemeral_next_++;
        if (tuple_in_use(FourTuple{local, port, remote.addr, remote.port})) continue;
        if (config_.ephemeral_port_filter != nullptr &&
            !config_.ephemeral_port_filter(config_.ephemeral_port_filter_ctx, local, port,
                                           remote.addr, remote.port)) {
            continue;
        }
        return port;
    }
    return std::nullopt;
}

bool TcpStack::parse_segment(const Ipv4Meta& meta, PacketChain& payload, Segment& seg) noexcept {
    PacketBuf* first = payload.front();
    if (first == nullptr) return false;
    auto view = wire::TcpView::check(first->bytes());
    if (!view.ok()) {
        cx_.count_drop(DropReason::malformed);
        return false;
    }
    const size_t total = payload.byte_length();
    const bool hw_checked = (first->flags() & rx_flags::l4_csum_good) != 0;
    if (!hw_checked &&
        !chain_checksum_ok(payload, wire::pseudo_header_sum(meta.src, meta.dst, wire::ip_proto::tcp,
                                                            static_cast<uint16_t>(total)))) {
        cx_.count_drop(DropReason::bad_checksum);
        return false;
    }
    auto repr = wire::TcpRepr::parse(view.value, meta.src, meta.dst, false);
    if (!repr.ok()) {
        cx_.count_drop(DropReason::malformed);
        return false;
    }
    seg.repr = repr.value;
    seg.seq = SeqNum(seg.repr.seq);
    seg.ack = SeqNum(seg.repr.ack);
    seg.payload_len = static_cast<uint32_t>(total - view.value.header_len());
    seg.repr.payload_len = static_cast<uint16_t>(seg.payload_len);
    chain_trim_front(payload, view.value.header_len());
    seg.payload = std::move(payload);
    return true;
}

void TcpStack::receive(const Ipv4Meta& meta, PacketChain payload, Instant now) noexcept {
    cx_.now = std::max(cx_.now, now);
    // RFC 9293 §3.9.1 / RFC 1122 §4.2.3.10: no TCP to or from broadcast/multicast.
    if (meta.to_broadcast || meta.dst.is_multicast() || meta.src.is_multicast() ||
        meta.src.is_unspecified()) {
        return cx_.count_drop(DropReason::bad_address);
    }
    Segment seg;
    if (!parse_segment(meta, payload, seg)) return;
    cx_.counters.segments_rx++;
    const FourTuple key{meta.dst, seg.repr.dst_port, meta.src, seg.repr.src_port};
    if (TcpSocket* s = table_.find(key); s != nullptr) {
        s->on_segment(seg, cx_.now);
        if (cx_.reclaim_pending) reclaim();
        return;
    }
    if (TimeWaitEntry* tw = time_wait_.find(key); tw != nullptr) {
        if (!on_time_wait_segment(*tw, seg)) return;
        time_wait_.remove(key);  // an acceptable new SYN ends TIME-WAIT early
    }
    if (auto it = listeners_.find(seg.repr.dst_port); it != listeners_.end()) {
        on_listen_segment(*it->second, key, seg);
        if (cx_.reclaim_pending) reclaim();
        return;
    }
    cx_.count_drop(DropReason::no_socket);
    if (!seg.has(rst)) reply_rst(key, seg);
}

// RFC 9293 §3.10.7.1: "If the ACK bit is off, sequence number zero is used,
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>".
void TcpStack::reply_rst(const FourTuple& key, const Segment& seg) noexcept {
    if (!cx_.limits.rst_allowed(cx_.now)) {  // RFC 5961 §7 (stack/tcp/reply_limits.hpp)
        return cx_.count_drop(DropReason::rst_limited);
    }
    cx_.counters.resets_tx++;
    if (seg.has(ack)) return send_bare(key, seg.ack, std::nullopt, rst, 0, std::nullopt);
    send_bare(key, SeqNum(0), seg.seq + seg.seg_len(), rst | ack, 0, std::nullopt);
}

// RFC 9293 §3.10.7.2.
void TcpStack::on_listen_segment(TcpListener& l, const FourTuple& key, Segment& seg) noexcept {
    if (seg.has(rst)) return cx_.count_drop(DropReason::listen_invalid);
    if (seg.has(ack)) {
        if (!seg.has(syn) && config_.syn_cookies && accept_cookie(l, key, seg)) return;
        cx_.count_drop(DropReason::listen_invalid);
        return reply_rst(key, seg);
    }
    if (!seg.has(syn)) return cx_.count_drop(DropReason::listen_invalid);
    accept_syn(l, key, seg);
}

void TcpStack::accept_syn(TcpListener& l, const FourTuple& key, Segment& seg) noexcept {
    if (source_capped(key)) return cx_.count_drop(DropReason::source_limit);
    const bool queue_full = l.syn_queue_ + l.accept_count_ >= l.accept_ring_.size();
    if (queue_full || table_.size() >= config_.max_connections) {
        if (config_.syn_cookies) return send_syn_cookie(key, seg);
        return cx_.count_drop(DropReason::syn_queue_full);
    }
    TcpSocket* s = create_socket(key, l.options_);
    if (s == nullptr) return cx_.count_drop(DropReason::syn_queue_full);
    s->listener_ = &l;
    s->app_owned_ = false;
    s->in_syn_queue_ = true;
    l.syn_queue_++;
    cx_.counters.passive_opens++;
    s->start_passive(
        seg, isn_.isn(key.local_addr, key.local_port, key.remote_addr, key.remote_port, cx_.now),
        cx_.now);
}

void TcpStack::send_bare(const FourTuple& key, SeqNum seq, std::optional<SeqNum> ack_no,
                         uint8_t flags, uint16_t window,
                         const std::optional<wire::TcpTimestamps>& ts) noexcept {
    wire::TcpRepr r;
    r.src_port = key.local_port;
    r.dst_port = key.remote_port;
    r.seq = seq.raw();
    r.ack = ack_no ? ack_no->raw() : 0;
    r.flags = static_cast<uint8_t>(flags | (ack_no ? ack : 0));
    r.window = window;
    r.timestamps = ts;
    send_repr(key, r);
}

// A segment without payload in a fresh buffer. False when no buffer was free.
bool TcpStack::emit_reply(const FourTuple& key, const wire::TcpRepr& r) noexcept {
    PacketBuf* b = out_.tx_pool().alloc();
    if (b == nullptr) {
        out_.count_drop(shunt::DropReason::no_buffer);
        return false;
    }
    Packet p(b);
    const size_t len = r.header_len();
    wire::TcpView view(std::span(p->append(len), len));
    r.emit(view, key.local_addr, key.remote_addr);
    cx_.counters.segments_tx++;
    out_.send_ipv4(key.remote_addr, wire::ip_proto::tcp, PacketChain(std::move(p)));
    return true;
}

void TcpStack::to_time_wait(TcpSocket& s) noexcept {
    const FourTuple key{s.local_.addr, s.local_.port, s.remote_.addr, s.remote_.port};
    TimeWaitEntry e;
    e.key = key;
    e.snd_nxt = s.snd_nxt_;
    e.rcv_nxt = s.rcv_nxt_;
    // The window our last ACK showed (the right edge never moves left).
    const uint32_t wnd =
        s.rcv_adv_ > s.rcv_nxt_ ? static_cast<uint32_t>(s.rcv_adv_ - s.rcv_nxt_) : 0;
    e.window = static_cast<uint16_t>(std::min<uint32_t>(wnd >> s.rcv_wscale_, 0xffff));
    e.timestamps = s.ts_ok_;
    e.ts_recent = s.ts_recent_;
    e.ts_offset = s.ts_offset_;
    e.expires = cx_.now + config_.time_wait;
    if (time_wait_.add(e)) cx_.counters.time_wait_evictions++;
    unlink(s);
}

// Removes a finished connection from the demultiplexing table (its TIME-WAIT, if any, lives
// on in the TIME-WAIT table); the object is freed by reclaim() once nobody holds it.
void TcpStack::unlink(TcpSocket& s) noexcept {
    const FourTuple key{s.local_.addr, s.local_.port, s.remote_.addr, s.remote_.port};
    table_.erase(key, &s);
    if (s.listener_ != nullptr) {
        if (s.in_syn_queue_) {
            s.listener_->syn_queue_--;
            s.in_syn_queue_ = false;
        } else {
            s.listener_->forget(&s);
        }
        s.listener_ = nullptr;
    }
    cx_.reclaim_pending = true;
}

void TcpStack::reclaim() noexcept {
    cx_.reclaim_pending = false;
    std::erase_if(sockets_, [](const std::unique_ptr<TcpSocket>& s) {
        const bool finished = s->state_ == TcpState::closed || s->state_ == TcpState::time_wait;
        return finished && !s->app_owned_ && s->listener_ == nullptr;
    });
}

// Re-keys the entries at the top of the timer queue whose connection's next deadline moved
// later (or went away), until the top is exact.
void TcpStack::settle_timers() const noexcept {
    while (TimerNode* n = cx_.timers.top()) {
        const auto* s = static_cast<const TcpSocket*>(n->owner);
        const std::optional<Instant> d = s->next_deadline();
        if (!d) {
            cx_.timers.remove(*n);
        } else if (*d != n->at) {
            cx_.timers.set(*n, *d);
        } else {
            return;
        }
    }
}

std::optional<Instant> TcpStack::next_deadline() const noexcept {
    std::optional<Instant> t = time_wait_.next_deadline();
    if (egress_pending()) {
        // New marks want the next poll; what the last egress held back, or anything while
        // the ring refuses frames (egress may not have reached TCP), waits for the retry.
        const bool waits = cx_.egress_held || !out_.tx_ready();
        const std::optional<Instant> retry = waits ? out_.tx_retry_at() : std::nullopt;
        if (!retry) return cx_.now;
        if (!t || *retry < *t) t = retry;
    }
    settle_timers();
    if (const TimerNode* n = cx_.timers.top(); n != nullptr && (!t || n->at < *t)) t = n->at;
    return t;
}

// Only connections whose queue entry is due are looked at. They leave the queue first and
// come back with their new deadline afterwards, so a timer re-armed at `now` waits for the
// next call instead of looping here.
void TcpStack::on_timers(Instant now) noexcept {
    cx_.now = std::max(cx_.now, now);
    time_wait_.expire(cx_.now);
    due_.clear();
    while (TimerNode* n = cx_.timers.top()) {
        if (cx_.now < n->at) break;
        auto* s = static_cast<TcpSocket*>(n->owner);
        const std::optional<Instant> d = s->next_deadline();
        if (d && cx_.now < *d) {
            cx_.timers.set(*n, *d);
            continue;
        }
        cx_.timers.remove(*n);
        if (d) due_.push_back(s);
    }
    // Timers never free sockets (reclaim does, after the loop), so the pointers stay valid.
    for (TcpSocket* s : due_) {
        s->on_timers(cx_.now);
        if (auto d = s->next_deadline()) cx_.timers.arm_by(s->timer_node_, *d);
    }
    manage_resources();
    if (cx_.reclaim_pending) reclaim();
}

// Only marked sockets have something to send, so egress is O(active), not O(sockets).
void TcpStack::egress(Instant now) noexcept {
    cx_.now = std::max(cx_.now, now);
    while (cx_.replies_count > 0 && out_.tx_ready()) {
        const TcpContext::Reply& r = cx_.replies[cx_.replies_head];
        if (!emit_reply(r.key, r.repr)) break;  // out of buffers: try again next poll
        cx_.replies_head = (cx_.replies_head + 1) % cx_.replies.size();
        cx_.replies_count--;
    }
    flush_work_.swap(cx_.flush_list);
    // output() marks a socket again when it could not send everything (the NIC refused
    // frames, or no buffer was free): it lands in the fresh list.
    size_t i = 0;
    for (; i < flush_work_.size() && out_.tx_ready(); ++i) {
        TcpSocket* s = flush_work_[i];
        s->flush_queued_ = false;
        if (s->state_ != TcpState::closed && s->state_ != TcpState::time_wait) s->output();
    }
    // Back-pressure: the sockets not reached keep their mark (flush_queued_ is still set)
    // and go first next time.
    if (i < flush_work_.size()) {
        cx_.flush_list.insert(cx_.flush_list.begin(),
                              flush_work_.begin() + static_cast<ptrdiff_t>(i), flush_work_.end());
    }
    flush_work_.clear();
    cx_.egress_held = cx_.egress_pending();
    if (cx_.reclaim_pending) reclaim();
}

// ---- listeners ----

TcpListener::TcpListener(TcpStack& stack, uint16_t port, size_t backlog,
                         const SocketOptions& options)
    : stack_(stack), port_(port), options_(options), accept_ring_(backlog == 0 ? 1 : backlog) {}

TcpSocket* TcpListener::accept() noexcept {
    if (accept_count_ == 0) return nullptr;
    TcpSocket* s = accept_ring_[accept_head_];
    accept_head_ = (accept_head_ + 1) % accept_ring_.size();
    accept_count_--;
    s->listener_ = nullptr;
    s->app_owned_ = true;
    return s;
}

bool TcpListener::push_accepted(TcpSocket* s) noexcept {
    if (accept_count_ == accept_ring_.size()) return false;
    accept_ring_[(accept_head_ + accept_count_) % accept_ring_.size()] = s;
    accept_count_++;
    return true;
}

void TcpListener::forget(TcpSocket* s) noexcept {
    size_t kept = 0;
    for (size_t i = 0; i < accept_count_; ++i) {
        TcpSocket* x = accept_ring_[(accept_head_ + i) % accept_ring_.size()];
        if (x != s) accept_ring_[(accept_head_ + kept++) % accept_ring_.size()] = x;
    }
    accept_count_ = kept;
}

}  // namespace shunt::tcp
