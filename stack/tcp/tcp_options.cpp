// TcpSocket: option negotiation (RFC 9293 §3.7.1 MSS, RFC 7323 window scale and timestamps,
// RFC 2018 SACK), PAWS (RFC 7323 §5) and the options carried by every segment.
#include "stack/tcp/tcp_socket.hpp"
#include "stack/tcp/tcp_stack.hpp"

#include <algorithm>

namespace shunt::tcp {

namespace {
constexpr uint32_t kTsOptionLen = 12;                        // NOP NOP TS (RFC 7323 Appendix A)
constexpr uint16_t kMinPeerMss = 88;                         // Linux TCP_MIN_MSS
constexpr Duration kPawsIdle = std::chrono::hours(24 * 24);  // RFC 7323 §5.5: 24 days
}  // namespace

// Our MSS: the route's MTU less the IPv4 and TCP fixed headers (RFC 9293 §3.7.1, RFC 879).
uint16_t TcpSocket::mss_to_advertise() const noexcept {
    return static_cast<uint16_t>(cx_.out.route_mtu(remote_.addr) - 40);
}

uint32_t TcpSocket::ts_now() const noexcept {
    return cx_.ts_clock() + ts_offset_;
}

// The smallest shift that lets the receive buffer fit the 16-bit window (RFC 7323 §2.3).
static uint8_t wscale_for(uint32_t buffer) noexcept {
    uint8_t s = 0;
    while (s < wire::tcp_option::kMaxWindowScale && (buffer >> s) > 0xffff) ++s;
    return s;
}

void TcpSocket::offer_syn_options(wire::TcpRepr& r) const noexcept {
    r.mss = mss_to_advertise();
    const bool answering = state_ == TcpState::syn_received;
    // On a SYN,ACK only what the peer offered may be echoed (RFC 7323 §2.2, §3.2; RFC 2018 §2).
    if (options_.window_scaling && (!answering || ws_ok_)) {
        r.window_scale = wscale_for(options_.recv_buffer);
    }
    if (options_.sack && (!answering || sack_ok_)) r.sack_permitted = true;
    if (options_.timestamps && (!answering || ts_ok_)) {
        r.timestamps = wire::TcpTimestamps{ts_now(), answering ? ts_recent_ : 0};
    }
}

// Settles the options from the peer's SYN (or SYN,ACK): an option is on when both sides
// sent it.
void TcpSocket::negotiate(const wire::TcpRepr& peer_syn) noexcept {
    ws_ok_ = options_.window_scaling && peer_syn.window_scale.has_value();
    snd_wscale_ = ws_ok_ ? *peer_syn.window_scale : 0;
    rcv_wscale_ = ws_ok_ ? wscale_for(options_.recv_buffer) : 0;
    ts_ok_ = options_.timestamps && peer_syn.timestamps.has_value();
    sack_ok_ = options_.sack && peer_syn.sack_permitted;
    // RFC 9293 §3.7.1: without an MSS option assume 536; never above our route's limit, and
    // never below 88 bytes (Linux's TCP_MIN_MSS): a peer announcing MSS 0..12 would otherwise
    // leave no room for data once the timestamp option is taken out (found by fuzz_tcp_stack).
    peer_mss_ = std::min<uint16_t>(std::max<uint16_t>(peer_syn.mss.value_or(536), kMinPeerMss),
                                   mss_to_advertise());
    // The options of every data segment come out of the MSS (RFC 6691): timestamps take 12.
    smss_ = peer_mss_ - (ts_ok_ ? kTsOptionLen : 0);
}

void TcpSocket::init_congestion() noexcept {
    if (cc_) return;
    cc_ = make_congestion_control(
        CongestionConfig{options_.congestion, cx_.config.initial_window_segments}, smss_);
}

// RFC 7323 §5.3 R1: with timestamps on, a segment (not RST) whose TSval is older than
// TS.Recent is a duplicate from an earlier wrap of the sequence space. TS.Recent older than
// 24 days is stale and not used (§5.5).
bool TcpSocket::paws_reject(const Segment& seg) const noexcept {
    if (!ts_ok_ || !seg.repr.timestamps || seg.has(wire::tcp_flag::rst)) return false;
    if (now() - ts_recent_age_ > kPawsIdle) return false;
    return static_cast<int32_t>(seg.repr.timestamps->tsval - ts_recent_) < 0;
}

// RFC 7323 §4.3 (2): "If SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent, then
// SEG.TSval is copied to TS.Recent".
void TcpSocket::update_ts_recent(const Segment& seg) noexcept {
    if (!seg.repr.timestamps) return;
    const uint32_t tsval = seg.repr.timestamps->tsval;
    const bool idle = now() - ts_recent_age_ > kPawsIdle;
    if ((static_cast<int32_t>(tsval - ts_recent_) >= 0 || idle) && seg.seq <= last_ack_sent_) {
        ts_recent_ = tsval;
        ts_recent_age_ = now();
    }
}

// Timestamps on every segment once negotiated (RFC 7323 §3.2); SACK blocks whenever data is
// held out of order (RFC 2018 §4), as many as fit beside the payload within the peer's MSS.
void TcpSocket::add_segment_options(wire::TcpRepr& r) const noexcept {
    uint32_t budget = peer_mss_ > r.payload_len ? peer_mss_ - r.payload_len : 0;
    budget = std::min<uint32_t>(budget, wire::TcpView::kMaxOptionsLen);
    if (ts_ok_) {
        r.timestamps = wire::TcpTimestamps{ts_now(), ts_recent_};
        budget -= std::min(budget, kTsOptionLen);
    }
    if (!sack_ok_ || rx_.ooo_count() == 0 || budget < 12) return;
    const size_t fit = std::min<size_t>((budget - 4) / 8, wire::tcp_option::kMaxSackBlocks);
    r.sack_count = static_cast<uint8_t>(rx_.sack_blocks(std::span(r.sack.data(), fit)));
}

}  // namespace shunt::tcp
