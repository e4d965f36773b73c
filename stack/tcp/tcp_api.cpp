// TcpSocket: the application's calls (RFC 9293 §3.10 user interface: SEND, RECEIVE, CLOSE,
// ABORT), zero copy with copy_* conveniences.
#include "stack/tcp/tcp_socket.hpp"
#include "stack/tcp/tcp_stack.hpp"

#include <cstring>

namespace shunt::tcp {

void TcpSocket::touched() noexcept {
    cx_.mark(*this, flush_queued_);
}

void TcpSocket::set_nodelay(bool on) noexcept {
    options_.nodelay = on;
    touched();  // Nagle may have held a segment that may go now
}

// The send queue's ring, every send queue's share of the pool (TcpConfig::max_send_buffers
// or BudgetConfig::tcp_tx_percent), this socket's share (tcp_socket_tx_percent, so that a
// few readers that never read cannot take every send buffer), and the reserve. The socket's
// share binds only under pool or send pressure, as Linux moderates sndbuf only under
// tcp_memory_pressure: alone, a socket may fill the SO_SNDBUF it was given (packetdrill's
// cubic-bulk-166k.pkt writes 400,000 bytes at once in 1000-byte segments, 400 buffers, and
// its blocking write stalled at the 368 of the share).
bool TcpSocket::send_buffer_available() const noexcept {
    if (tx_.full() || cx_.send_buffers >= cx_.tx_share()) return false;
    if (tx_.size() >= cx_.socket_tx_share() && (cx_.under_pressure() || cx_.send_pressure())) {
        return false;
    }
    const BufferBudget* b = cx_.budget();
    return b == nullptr || b->can_take(1);
}

void TcpSocket::queue_send_buffer(Packet buf) noexcept {
    if (!tx_.push(std::move(buf), data_end())) {
        // Out of memory growing the queue: the byte stream cannot go on without these bytes,
        // so the connection ends here (RST) rather than the process.
        return abort();
    }
    cx_.send_buffers++;
}

void TcpSocket::release_send_buffers(SeqNum una) noexcept {
    const size_t before = tx_.size();
    tx_.ack_to(una);
    cx_.send_buffers -= before - tx_.size();
}

void TcpSocket::clear_send_queue() noexcept {
    cx_.send_buffers -= tx_.size();
    tx_.clear();
}

uint64_t TcpSocket::send_queued() const noexcept {
    return tx_.bytes();
}

uint64_t TcpSocket::send_space() const noexcept {
    if (!send_buffer_available() || tx_.bytes() >= options_.send_buffer) return 0;
    return options_.send_buffer - tx_.bytes();
}

// Whether a buffer may join the send queue now.
TcpSendStatus TcpSocket::check_send(const PacketBuf* buf) const noexcept {
    const bool open = state_ == TcpState::syn_sent || state_ == TcpState::syn_received ||
                      state_ == TcpState::established || state_ == TcpState::close_wait;
    if (!open || fin_queued_) return TcpSendStatus::not_open;
    if (buf == nullptr || buf->length() == 0 || buf->headroom() < kSendHeadroom) {
        return TcpSendStatus::bad_buffer;
    }
    if (!send_buffer_available() || tx_.bytes() + buf->length() > options_.send_buffer) {
        return TcpSendStatus::would_block;
    }
    return TcpSendStatus::queued;
}

TcpSendStatus TcpSocket::send(Packet buf) noexcept {
    const TcpSendStatus st = check_send(buf.get());
    if (st != TcpSendStatus::queued) return st;
    queue_send_buffer(std::move(buf));
    touched();
    return st;
}

// Queues the whole batch first, then one output pass sends what may go.
size_t TcpSocket::send(PacketChain& bufs) noexcept {
    size_t n = 0;
    while (!bufs.empty() && check_send(bufs.front()) == TcpSendStatus::queued) {
        queue_send_buffer(bufs.pop_front());
        ++n;
    }
    if (n > 0) touched();
    return n;
}

size_t TcpSocket::copy_send(std::span<const uint8_t> bytes) noexcept {
    const bool open = state_ == TcpState::syn_sent || state_ == TcpState::syn_received ||
                      state_ == TcpState::established || state_ == TcpState::close_wait;
    if (!open || fin_queued_) return 0;
    // Fill buffers to the send MSS once it is known (before: our own MSS).
    const bool synced = state_ != TcpState::syn_sent && state_ != TcpState::syn_received;
    const uint32_t target = synced ? smss_ : mss_to_advertise();
    size_t done = 0;
    // Top up the last buffer if it was never sent (and nobody else holds it).
    if (!tx_.empty()) {
        TxEntry& last = tx_.back();
        if (last.seq >= snd_max_ && last.buf->refcount() == 1 && last.len < target) {
            set_data_window(*last.buf.get(), last.payload_off, last.len);
            const size_t room = std::min<size_t>(
                {target - last.len, last.buf->tailroom(), send_space(), bytes.size()});
            std::memcpy(last.buf->append(room), bytes.data(), room);
            tx_.grow_back(static_cast<uint32_t>(room));
            done = room;
        }
    }
    while (done < bytes.size() && send_space() > 0) {
        PacketBuf* b = cx_.out.tx_pool().alloc();
        if (b == nullptr) break;
        Packet p(b);
        const size_t n =
            std::min<size_t>({target, p->tailroom(), bytes.size() - done, send_space()});
        std::memcpy(p->append(n), bytes.data() + done, n);
        queue_send_buffer(std::move(p));
        done += n;
    }
    cx_.counters.tx_copy_bytes += done;
    if (done > 0) touched();
    return done;
}

PacketChain TcpSocket::recv(size_t max_bytes) noexcept {
    PacketChain out = rx_.take(max_bytes);
    if (!out.empty()) maybe_send_window_update();
    return out;
}

size_t TcpSocket::copy_recv(std::span<uint8_t> out) noexcept {
    const size_t n = rx_.copy_out(out);
    cx_.counters.rx_copy_bytes += n;
    if (n > 0) maybe_send_window_update();
    return n;
}

// Queues our FIN after the data (RFC 9293 §3.10.4 CLOSE in ESTABLISHED / CLOSE-WAIT).
void TcpSocket::shutdown_write() noexcept {
    if (fin_queued_) return;
    switch (state_) {
        case TcpState::syn_received:
            // RFC 9293 §3.10.4: CLOSE in SYN-RECEIVED goes to FIN-WAIT-1 without passing
            // ESTABLISHED, where the congestion controller is made; the FIN still needs one
            // (its retransmission timeout consults it). Found by fuzz_tcp_stack.
            init_congestion();
            state_ = TcpState::fin_wait_1;
            break;
        case TcpState::established:
            state_ = TcpState::fin_wait_1;
            break;
        case TcpState::close_wait:
            state_ = TcpState::last_ack;
            break;
        case TcpState::syn_sent:
            return enter_closed(TcpError::none);  // "Delete the TCB"
        default:
            return;
    }
    fin_queued_ = true;
    fin_seq_ = data_end();
    touched();
}

void TcpSocket::close() noexcept {
    app_owned_ = false;
    callback_ = nullptr;
    // RFC 9293 §3.10.4 / RFC 2525 §2.17: closing with unread data loses it; say so with RST.
    if (rx_.readable_bytes() > 0 && state_ != TcpState::closed && state_ != TcpState::time_wait) {
        abort();
        error_ = TcpError::none;
    } else {
        shutdown_write();
        if (state_ == TcpState::fin_wait_2) {
            arm(deadline_at_, now() + cx_.config.fin_wait_2_timeout);
        }
    }
    cx_.reclaim_pending = true;
}

// RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> in the synchronized states (SND.MAX,
// the highest number sent, so that it is exact for the peer even after an RTO rewind).
void TcpSocket::abort() noexcept {
    switch (state_) {
        case TcpState::syn_received:
        case TcpState::established:
        case TcpState::fin_wait_1:
        case TcpState::fin_wait_2:
        case TcpState::close_wait:
            send_rst(snd_max_);
            break;
        case TcpState::closed:
        case TcpState::time_wait:
            return;
        default:
            break;
    }
    enter_closed(TcpError::aborted);
}

bool TcpSocket::set_congestion(CongestionAlgorithm a) noexcept {
    if (cc_) return false;
    options_.congestion = a;
    return true;
}

void TcpSocket::set_keepalive(bool on) noexcept {
    options_.keepalive = on;
    arm_keepalive();
}

}  // namespace shunt::tcp
