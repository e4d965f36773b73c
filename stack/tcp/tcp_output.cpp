// TcpSocket: segments out. Data goes out of the application's own buffers: the TCP header
// is written into the headroom in front of the payload (zero copy); a segment that cannot be
// sent that way (the NIC still holds the buffer, or it starts inside a buffer whose earlier
// bytes must stay intact) is copied by copy_segment_out and counted.
#include "stack/tcp/tcp_socket.hpp"
#include "stack/tcp/tcp_stack.hpp"
#include "stack/wire/ipv4.hpp"

#include <cstring>

namespace shunt::tcp {

using namespace wire::tcp_flag;

void TcpSocket::output() noexcept {
    switch (state_) {
        case TcpState::closed:
        case TcpState::listen:
        case TcpState::time_wait:
            return;
        case TcpState::syn_sent:
            if (syn_pending_) send_syn();
            return;
        case TcpState::syn_received:
            if (syn_pending_) {
                send_syn();
            } else if (ack_now_) {
                send_ack();
            }
            return;
        default:
            break;
    }
    send_owed_acks();
    bool sent = false;
    // Loss recovery asked for during ACK processing (RFC 5681 §3.2, RFC 6582 §3.2,
    // RFC 6675 §5): the retransmission first, then what the SACK pipe allows.
    if (rexmit_pending_ && can_emit()) {
        const uint32_t n = transmit(snd_una_, smss_);
        if (n > 0 || cx_.out.tx_ready()) rexmit_pending_ = false;  // kept only on a stall
        if (n > 0 && in_recovery_ && sack_ok_) high_rxt_ = max(high_rxt_, snd_una_ + n);
        sent = n > 0;
    }
    if (in_recovery_ && sack_ok_ && cc_) sack_recovery_send();
    for (; limited_pending_ > 0 && can_emit(); --limited_pending_) limited_transmit_now();
    if (probe_pending_) {
        probe_pending_ = false;
        send_window_probe();
    }
    sent = send_new_data() || sent;
    if (fin_queued_ && snd_nxt_ == fin_seq_) sent = send_fin_segment() || sent;
    if (ack_now_ && !sent) send_ack();
    update_persist();
}

// RFC 5681 §4.1: after an idle period longer than the RTO, restart from the initial window.
// Sender SWS avoidance (RFC 9293 §3.8.6.2.1) and Nagle (§3.7.4) decide what goes now.
bool TcpSocket::send_new_data() noexcept {
    if (!cc_) return false;
    if (snd_una_ == snd_max_ && now() - last_send_ > rto_.rto() && last_send_ != Instant{}) {
        cc_->on_idle_restart(now());
    }
    bool any = false;
    const SeqNum end = data_end();
    while (snd_nxt_ < end) {
        const uint32_t wnd = std::min(snd_wnd_, effective_cwnd());
        const SeqNum limit = snd_una_ + wnd;
        const uint32_t usable = limit > snd_nxt_ ? static_cast<uint32_t>(limit - snd_nxt_) : 0;
        const TxEntry& e = tx_.at(tx_.find(snd_nxt_));
        const uint32_t in_entry = static_cast<uint32_t>(e.seq + e.len - snd_nxt_);
        uint32_t len = std::min(smss_, in_entry);
        if (usable < len) {
            // RFC 9293 §3.8.6.2.1: send a partial segment only when it is at least half the
            // largest window the peer offered, or nothing is in flight to wait for.
            const bool nothing_in_flight = snd_nxt_ == snd_una_;
            if (usable == 0 || (usable < max_snd_wnd_ / 2 && !nothing_in_flight)) break;
            len = usable;
        }
        if (nagle_holds(len)) break;
        if (!can_emit()) break;
        const uint32_t n = transmit(snd_nxt_, len);
        if (n == 0) {
            touched();  // out of buffers: TcpStack::flush tries again
            break;
        }
        if (!rtt_timing_ && !ts_ok_ && snd_nxt_ >= snd_max_) {
            rtt_timing_ = true;  // time this segment (one at a time, RFC 6298 §3)
            rtt_seq_ = snd_nxt_;
            rtt_start_ = now();
        }
        snd_nxt_ += n;
        snd_max_ = max(snd_max_, snd_nxt_);
        any = true;
    }
    return any;
}

// RFC 9293 §3.7.4 (RFC 896): while data is unacknowledged, hold a segment smaller than the
// MSS "until the outstanding data has been acknowledged or until the TCP endpoint can send a
// full-sized segment". Buffers are never merged (zero copy), so "a full-sized segment" is
// read as a full MSS of unsent data queued behind this point. A FIN to follow releases it
// (nothing more will come).
bool TcpSocket::nagle_holds(uint32_t len) const noexcept {
    if (options_.nodelay || len >= smss_ || fin_queued_) return false;
    return snd_nxt_ > snd_una_ && static_cast<uint32_t>(data_end() - snd_nxt_) < smss_;
}

// Pure ACKs owed by this poll's arrivals, oldest first, each with its own RCV.NXT (so the
// sender sees the ACK clock it would have seen without batching). Returns whether any went.
bool TcpSocket::send_owed_acks() noexcept {
    size_t i = 0;
    for (; i < owed_count_ && can_emit(); ++i) {
        PacketBuf* b = cx_.out.tx_pool().alloc();
        if (b == nullptr) {
            cx_.count_drop(shunt::DropReason::no_buffer);
            i = owed_count_;  // the peer's retransmission or our delayed ACK makes up for it
            break;
        }
        wire::TcpRepr r = make_header(ack_seq(), ack);
        r.ack = owed_acks_[i].raw();
        emit_and_send(Packet(b), r);
    }
    const bool any = i > 0;
    std::copy(owed_acks_.begin() + static_cast<ptrdiff_t>(i), owed_acks_.begin() + owed_count_,
              owed_acks_.begin());
    owed_count_ = static_cast<uint8_t>(owed_count_ - i);
    return any;
}

bool TcpSocket::can_emit() noexcept {
    if (cx_.out.tx_ready()) return true;
    touched();  // the NIC refused frames in this poll: the next one tries again
    return false;
}

// Sends [seq, seq + up to max_len) from the send queue; returns the bytes sent (0: none).
uint32_t TcpSocket::transmit(SeqNum seq, uint32_t max_len) noexcept {
    const size_t i = tx_.find(seq);
    if (i == tx_.size() || max_len == 0 || !can_emit()) return 0;
    TxEntry& e = tx_.at(i);
    const auto off = static_cast<uint32_t>(seq - e.seq);
    const uint32_t len = std::min(max_len, e.len - off);
    const uint8_t flags = (seq + len == data_end()) ? psh : 0;
    if (seq < snd_max_) {
        cx_.counters.retransmits++;
        probe::tcp_retransmit(state_.id(), seq.raw(), len);
        if (rtt_timing_ && seq <= rtt_seq_) rtt_timing_ = false;  // Karn
    }
    const bool ok = (off == 0 && e.buf->refcount() == 1) ? transmit_from_entry(e, len, flags)
                                                         : copy_segment_out(e, off, len, flags);
    if (!ok) return 0;
    // RFC 6298 (5.1): every segment with data, new or retransmitted, starts the timer when it
    // is not running. Here, not in each caller: data sent during SACK recovery once went out
    // with no timer, and a lost retransmission then stalled the flow for good. (A window
    // probe's caller stops it again: the persist timer stands in, update_persist.)
    if (!rto_at_) restart_rto();
    return len;
}

bool TcpSocket::transmit_from_entry(TxEntry& e, uint32_t len, uint8_t extra_flags) noexcept {
    set_data_window(*e.buf.get(), e.payload_off, len);
    wire::TcpRepr r = make_header(e.seq, static_cast<uint8_t>(ack | extra_flags));
    r.payload_len = static_cast<uint16_t>(len);
    return emit_and_send(e.buf.share(), r);
}

// The copy path: a fresh buffer with the segment's payload (counted in retransmit_copies
// when the NIC still held the original, and always in tx_copy_bytes).
bool TcpSocket::copy_segment_out(const TxEntry& e, uint32_t off, uint32_t len,
                                 uint8_t extra_flags) noexcept {
    PacketBuf* b = cx_.out.tx_pool().alloc();
    if (b == nullptr) {
        cx_.count_drop(shunt::DropReason::no_buffer);
        return false;
    }
    Packet p(b);
    const uint8_t* storage = e.buf->data() - e.buf->headroom();
    std::memcpy(p->append(len), storage + e.payload_off + off, len);
    if (e.buf->refcount() > 1) cx_.counters.retransmit_copies++;
    cx_.counters.tx_copy_bytes += len;
    wire::TcpRepr r = make_header(e.seq + off, static_cast<uint8_t>(ack | extra_flags));
    r.payload_len = static_cast<uint16_t>(len);
    return emit_and_send(std::move(p), r);
}

// A header for the current state; options per segment (SYNs add theirs in send_syn).
wire::TcpRepr TcpSocket::make_header(SeqNum seq, uint8_t flags) noexcept {
    wire::TcpRepr r;
    r.src_port = local_.port;
    r.dst_port = remote_.port;
    r.seq = seq.raw();
    r.flags = flags;
    if ((flags & ack) != 0) r.ack = rcv_nxt_.raw();
    r.window = (flags & syn) != 0
                   ? static_cast<uint16_t>(std::min<uint32_t>(options_.recv_buffer, 0xffff))
                   : window_to_advertise();
    return r;
}

// Prepends the header in front of the buffer's data (the payload, or nothing) and sends.
bool TcpSocket::emit_and_send(Packet buf, wire::TcpRepr& r) noexcept {
    if ((r.flags & syn) == 0) add_segment_options(r);
    const size_t hlen = r.header_len();
    uint8_t* h = buf->prepend(hlen);
    if (h == nullptr) {
        cx_.count_drop(shunt::DropReason::no_buffer);
        return false;
    }
    wire::TcpView view(std::span(h, hlen + r.payload_len));
    // With checksum offload the NIC sums header and payload; otherwise we do, here.
    const bool offload = cx_.out.tx_l4_checksum_offload();
    r.emit(view, local_.addr, remote_.addr, !offload);
    advertised_zero_ = (r.flags & syn) == 0 && r.window == 0;
    buf->set_flags(offload ? tx_flags::l4_csum : uint16_t{0});
    if ((r.flags & ack) != 0) {
        last_ack_sent_ = rcv_nxt_;
        ack_now_ = false;
        delack_at_.reset();
    }
    last_send_ = now();
    cx_.counters.segments_tx++;
    cx_.out.send_ipv4(remote_.addr, wire::ip_proto::tcp, PacketChain(std::move(buf)));
    return true;
}

// RFC 9293 §3.8.6.2.2 receiver SWS avoidance: the right edge moves only when it can move
// by min(RCV.BUFF / 2, MSS); it never moves left (§3.8.6: no shrinking).
uint16_t TcpSocket::window_to_advertise() noexcept {
    const uint64_t held = rx_.readable_bytes() + rx_.ooo_bytes();
    // Bytes the socket buffer still takes, and buffers the budget still lets it hold.
    const uint32_t free = std::min(
        held >= options_.recv_buffer ? 0 : static_cast<uint32_t>(options_.recv_buffer - held),
        budget_window());
    const SeqNum candidate = rcv_nxt_ + free;
    const uint32_t step = std::min<uint32_t>(options_.recv_buffer / 2, mss_to_advertise());
    if (candidate > rcv_adv_ && static_cast<uint32_t>(candidate - rcv_adv_) >= step) {
        rcv_adv_ = candidate;
    }
    const uint32_t wnd = rcv_adv_ > rcv_nxt_ ? static_cast<uint32_t>(rcv_adv_ - rcv_nxt_) : 0;
    return static_cast<uint16_t>(std::min<uint32_t>(wnd >> rcv_wscale_, 0xffff));
}

// After the application read: tell the peer when the window opened by enough to matter.
void TcpSocket::maybe_send_window_update() noexcept {
    if (!can_receive_data() && state_ != TcpState::close_wait) return;
    const SeqNum before = rcv_adv_;
    window_to_advertise();
    if (rcv_adv_ == before) return;
    // Acknowledging data not yet acknowledged: owed like an arrival's ACK, so that a read
    // and the segments before it keep their own ACKs (the sender's clock). Otherwise a pure
    // window update; never a second owed ACK with the same number (the peer would count a
    // duplicate, RFC 5681 §2).
    const SeqNum last = owed_count_ > 0 ? owed_acks_[owed_count_ - 1] : last_ack_sent_;
    if (state_ == TcpState::established && rcv_nxt_ != last) return owe_ack();
    ack_soon();
}

bool TcpSocket::send_fin_segment() noexcept {
    if (!can_emit()) return false;
    PacketBuf* b = cx_.out.tx_pool().alloc();
    if (b == nullptr) {
        touched();
        cx_.count_drop(shunt::DropReason::no_buffer);
        return false;
    }
    if (fin_seq_ < snd_max_) cx_.counters.retransmits++;
    wire::TcpRepr r = make_header(fin_seq_, fin | ack);
    if (!emit_and_send(Packet(b), r)) return false;
    snd_nxt_ = fin_seq_ + 1;
    snd_max_ = max(snd_max_, snd_nxt_);
    if (!rto_at_) restart_rto();
    return true;
}

// Asks egress for a SYN (SYN-SENT) or SYN,ACK (SYN-RECEIVED), first or again. The sequence
// space moves now: the SYN is "sent" for everything that follows in this poll.
void TcpSocket::queue_syn() noexcept {
    rtt_timing_ = retries_ == 0;  // Karn: a repeated SYN is not timed
    rtt_seq_ = iss_;
    rtt_start_ = now();
    snd_nxt_ = iss_ + 1;
    snd_max_ = max(snd_max_, snd_nxt_);
    syn_pending_ = true;
    touched();
}

void TcpSocket::send_syn() noexcept {
    if (!can_emit()) return;
    syn_pending_ = false;
    PacketBuf* b = cx_.out.tx_pool().alloc();
    if (b == nullptr) return cx_.count_drop(shunt::DropReason::no_buffer);  // the RTO resends
    const bool answering = state_ == TcpState::syn_received;
    wire::TcpRepr r = make_header(iss_, answering ? (syn | ack) : syn);
    offer_syn_options(r);
    emit_and_send(Packet(b), r);
}

// The sequence number of a segment without data. SND.MAX, not SND.NXT: after an RTO rewound
// SND.NXT (go-back-N) the peer may have received up to SND.MAX, and an ACK below its RCV.NXT
// would be unacceptable to it (RFC 9293 §3.10.7.4 first check) and dropped, ACK-ing back and
// forth forever. But never past the right edge of the window the peer offered: after a
// zero-window probe byte that the peer dropped, SND.MAX is one past its window, and at a
// zero window only SEG.SEQ = RCV.NXT is acceptable, so the peer discarded every later ACK and
// the acknowledgment in it (seen against Linux: our ACKs ignored for seconds while both
// directions stalled). Linux's tcp_acceptable_seq picks the same number.
SeqNum TcpSocket::ack_seq() const noexcept {
    const SeqNum right_edge = snd_una_ + snd_wnd_;
    return snd_max_ <= right_edge ? snd_max_ : right_edge;
}

void TcpSocket::send_ack() noexcept {
    if (!can_emit()) return;  // ack_now_ stays set
    PacketBuf* b = cx_.out.tx_pool().alloc();
    if (b == nullptr) {
        touched();  // ack_now_ stays set: TcpStack::flush tries again
        return cx_.count_drop(shunt::DropReason::no_buffer);
    }
    wire::TcpRepr r = make_header(ack_seq(), ack);
    emit_and_send(Packet(b), r);
}

// RSTs go through the stack's reply queue: the connection is usually gone (CLOSED) by the
// time egress runs, and the RST must still leave.
void TcpSocket::send_rst(SeqNum seq) noexcept {
    cx_.counters.resets_tx++;
    wire::TcpRepr r = make_header(seq, rst);
    r.window = 0;
    queue_reply(r);
}

// A bare segment built from this connection's state now, sent by egress from the reply
// queue (the socket may be in TIME-WAIT or CLOSED by then).
void TcpSocket::queue_reply(wire::TcpRepr& r) noexcept {
    add_segment_options(r);
    if ((r.flags & ack) != 0) {
        last_ack_sent_ = rcv_nxt_;
        ack_now_ = false;
        delack_at_.reset();
    }
    last_send_ = now();
    cx_.queue_reply(FourTuple{local_.addr, local_.port, remote_.addr, remote_.port}, r);
}

// The ACK of the peer's FIN as the connection enters TIME-WAIT (RFC 9293 §3.10.7.4 eighth).
void TcpSocket::queue_final_ack() noexcept {
    wire::TcpRepr r = make_header(ack_seq(), ack);
    queue_reply(r);
}

// RFC 1122 §4.2.3.6: a probe is an ACK with SEG.SEQ = SND.NXT - 1 and no data, which the
// peer must answer with an ACK.
void TcpSocket::send_keepalive_probe() noexcept {
    cx_.counters.keepalive_probes++;
    wire::TcpRepr r = make_header(snd_una_ - 1, ack);
    queue_reply(r);
}

}  // namespace shunt::tcp
