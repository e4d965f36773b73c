// TCP's side of the buffer budget (issue 11; stack/iface/buffer_budget.hpp): which arriving
// data a socket may keep, how far its window may open, and the resource manager that frees
// buffers under pressure (out-of-order data first, then connections stuck at a zero window).
// Linux is the model: tcp_try_rmem_schedule / tcp_prune_queue / tcp_prune_ofo_queue on the
// receive side, tcp_under_memory_pressure clamping the window.
#include "stack/tcp/tcp_socket.hpp"
#include "stack/tcp/tcp_stack.hpp"

#include <algorithm>

namespace shunt::tcp {

namespace {
// Under pressure a window still opens by this many segments (Linux clamps rcv_ssthresh to
// 4 * advmss under memory pressure): connections slow down instead of stalling.
constexpr uint64_t kPressureSegments = 4;
}  // namespace

// In-order data at RCV.NXT, already trimmed to the window we advertised. That window was a
// promise (RFC 9293 §3.8.6: the right edge never moves left), so the data is kept even past
// the socket's share, unless the pool itself is under pressure or its reserve is reached.
bool TcpSocket::admit_in_order(const Segment& seg) noexcept {
    if (cx_.budget() == nullptr || rx_.would_coalesce_in_order(seg.payload)) return true;
    const size_t n = seg.payload.count();
    auto fits = [&] {
        if (!cx_.reserve_intact()) return false;
        return !cx_.under_pressure() || rx_.buffers() + n <= cx_.socket_rx_share();
    };
    if (fits()) return true;
    // Out-of-order data goes first: it is not readable yet, this is.
    if (rx_.ooo_count() > 0) prune_ooo(SIZE_MAX, rcv_nxt_);
    return fits();
}

// Out-of-order data is held within the socket's share, the stack's out-of-order share and
// outside pressure. Room is made from the socket's own queue from the highest sequence down,
// never below this segment: data nearer RCV.NXT is worth more (tcp_prune_ofo_queue).
bool TcpSocket::admit_ooo(const Segment& seg) noexcept {
    if (cx_.budget() == nullptr || rx_.would_coalesce_ooo(seg.seq, seg.payload)) return true;
    const size_t n = seg.payload.count();
    auto fits = [&] {
        return cx_.reserve_intact() && !cx_.under_pressure() &&
               rx_.buffers() + n <= cx_.socket_rx_share() && cx_.ooo_buffers + n <= cx_.ooo_share();
    };
    if (fits()) return true;
    if (rx_.ooo_count() > 0 && rx_.ooo_last_seq() > seg.seq) prune_ooo(n, seg.seq);
    return fits();
}

size_t TcpSocket::prune_ooo(size_t want, SeqNum keep_below) noexcept {
    const size_t segments = rx_.ooo_count();
    const size_t freed = rx_.prune_ooo(want, keep_below);
    const size_t dropped = segments - rx_.ooo_count();
    if (dropped > 0) {
        cx_.drops.count(DropReason::ooo_pruned, dropped);
        cx_.counters.ooo_pruned += dropped;
    }
    return freed;
}

// The bytes the receive window may offer by the budget: the buffers the socket may still
// hold (each a whole 2 KiB buffer, its true size), each worth the payload the peer actually
// puts in one: its largest segment so far (rcv_mss_, 536 until one arrives), at most our MSS.
// Linux does the same with truesize (tcp_win_from_space scales free buffer space by the
// payload/truesize ratio it measures). Counting a buffer as a full 1460-byte segment would
// promise a peer sending 1000-byte segments half again the buffers it may hold, and would
// open the window by 1460 bytes for every 1000 read: a pure window update after each
// segment-sized read, which RFC 1122 §4.2.3.3 receiver SWS avoidance (no update below
// min(RCV.BUFF / 2, MSS) of new window) exists to prevent (packetdrill's
// ioctl-siocinq-fin.pkt). A peer that sends less per segment fills buffers faster still;
// coalescing and the out-of-order bounds take care of it. Nothing once the reserve is
// reached; a few segments under pressure.
uint32_t TcpSocket::budget_window() const noexcept {
    if (cx_.budget() == nullptr) return UINT32_MAX;
    if (!cx_.reserve_intact()) return 0;
    const size_t share = cx_.socket_rx_share();
    const size_t held = rx_.buffers();
    uint64_t segments = held >= share ? 0 : share - held;
    if (cx_.under_pressure()) segments = std::min(segments, kPressureSegments);
    const uint64_t per_buffer = std::min<uint64_t>(rcv_mss_, mss_to_advertise());
    return static_cast<uint32_t>(std::min<uint64_t>(segments * per_buffer, UINT32_MAX));
}

// RFC 9293 §3.8.6.1: a zero window keeps us probing for as long as the peer answers; that is
// a connection holding its send buffers for ever. The time it started is what the resource
// manager goes by.
void TcpSocket::note_send_window() noexcept {
    if (snd_wnd_ != 0) {
        zero_window_since_.reset();
    } else if (!zero_window_since_) {
        zero_window_since_ = now();
    }
}

bool TcpSocket::stuck_at_zero_window(Instant now, Duration bound) const noexcept {
    const bool sending = state_ == TcpState::established || state_ == TcpState::close_wait ||
                         state_ == TcpState::fin_wait_1 || state_ == TcpState::closing ||
                         state_ == TcpState::last_ack;
    return sending && snd_wnd_ == 0 && !tx_.empty() && zero_window_since_ &&
           now - *zero_window_since_ >= bound;
}

// Under pressure, at most once per resource_scan_interval: out-of-order data is released
// first (the largest queues first, while the pool is under pressure), then connections stuck
// at a zero window for zero_window_timeout are aborted, the longest stuck first and among
// equals the largest holder, until the pressure ends. Send pressure counts too: when the send
// queues' share is nearly spent (TcpContext::send_pressure), readers that never read would
// otherwise keep every other connection from sending.
void TcpStack::manage_resources() noexcept {
    const BufferBudget* b = out_.budget();
    if (b == nullptr || cx_.now < next_resource_scan_) return;
    if (!b->under_pressure() && !cx_.send_pressure()) return;
    next_resource_scan_ = cx_.now + config_.resource_scan_interval;
    candidates_.clear();
    for (const auto& s : sockets_) {
        if (s->rx_.ooo_count() > 0) candidates_.push_back(s.get());
    }
    std::sort(candidates_.begin(), candidates_.end(), [](TcpSocket* x, TcpSocket* y) {
        return x->rx_.ooo_buffers() > y->rx_.ooo_buffers();
    });
    for (TcpSocket* s : candidates_) {
        if (!b->under_pressure()) break;
        s->prune_ooo(SIZE_MAX, s->rcv_nxt_);
    }
    if (config_.zero_window_timeout <= Duration(0)) return;
    candidates_.clear();
    for (const auto& s : sockets_) {
        if (s->stuck_at_zero_window(cx_.now, config_.zero_window_timeout)) {
            candidates_.push_back(s.get());
        }
    }
    std::sort(candidates_.begin(), candidates_.end(), [](TcpSocket* x, TcpSocket* y) {
        if (*x->zero_window_since_ != *y->zero_window_since_) {
            return *x->zero_window_since_ < *y->zero_window_since_;
        }
        return x->tx_.size() > y->tx_.size();
    });
    for (TcpSocket* s : candidates_) {
        if (!b->under_pressure() && !cx_.send_pressure()) return;
        cx_.drops.count(DropReason::zero_window_abort);
        cx_.counters.zero_window_aborts++;
        s->abort();   // RST; the queues are released
        s->notify();  // the application sees the error
    }
}

}  // namespace shunt::tcp
