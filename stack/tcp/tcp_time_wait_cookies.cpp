// TcpStack: segments for TIME-WAIT entries (RFC 9293 §3.10.7.4, RFC 6191) and SYN cookies
// for listeners whose SYN queue is full.
#include "stack/tcp/tcp_stack.hpp"

namespace shunt::tcp {

using wire::tcp_flag::ack;
using wire::tcp_flag::fin;
using wire::tcp_flag::rst;
using wire::tcp_flag::syn;

// Returns true when the segment is a SYN that may start a new incarnation of the connection.
bool TcpStack::on_time_wait_segment(TimeWaitEntry& tw, const Segment& seg) noexcept {
    if (seg.has(rst)) {
        // RFC 9293 §3.10.7.4 second check: an exactly matching RST closes TIME-WAIT; other
        // RSTs are ignored (RFC 5961 §3; RFC 1337 TIME-WAIT assassination).
        if (seg.seq == tw.rcv_nxt) {
            time_wait_.remove(tw.key);
        } else {
            cx_.count_drop(DropReason::rst_invalid);
        }
        return false;
    }
    if (seg.has(syn) && !seg.has(ack)) {
        // RFC 6191 §2 (timestamps) and RFC 1122 §4.2.2.13: a SYN whose timestamp or sequence
        // number is beyond the old connection's may reopen it.
        const bool newer_ts = tw.timestamps && seg.repr.timestamps &&
                              static_cast<int32_t>(seg.repr.timestamps->tsval - tw.ts_recent) > 0;
        const bool newer_seq = !seg.repr.timestamps && seg.seq > tw.rcv_nxt;
        if (newer_ts || newer_seq) return true;
    }
    if (seg.seg_len() > 0 || seg.has(syn)) {
        // A retransmitted FIN (our ACK was lost): acknowledge it again and restart 2*MSL.
        // Anything else (an old SYN, data) is answered once per invalid_ack_interval, as
        // Linux's tcp_timewait_check_oow_rate_limit does.
        if (!seg.has(fin) && !cx_.limits.invalid_ack_allowed(tw.last_invalid_ack, cx_.now)) {
            cx_.count_drop(DropReason::oow_ack_limited);
            return false;
        }
        std::optional<wire::TcpTimestamps> ts;
        if (tw.timestamps) ts = wire::TcpTimestamps{ts_clock() + tw.ts_offset, tw.ts_recent};
        send_bare(tw.key, tw.snd_nxt, tw.rcv_nxt, 0, tw.window, ts);
        if (seg.has(fin)) {
            TimeWaitEntry again = tw;
            again.expires = cx_.now + config_.time_wait;
            time_wait_.add(again);
        }
    }
    return false;
}

// A SYN-ACK whose ISN is a cookie: the connection lives only in that number until the
// handshake's ACK returns it (accept_cookie). Window scale and SACK ride in the TSval.
void TcpStack::send_syn_cookie(const FourTuple& key, const Segment& syn_seg) noexcept {
    const uint16_t peer_mss = syn_seg.repr.mss.value_or(536);
    const SeqNum cookie = cookies_.make(key.local_addr, key.local_port, key.remote_addr,
                                        key.remote_port, syn_seg.seq, peer_mss, cx_.now);
    wire::TcpRepr r;
    r.src_port = key.local_port;
    r.dst_port = key.remote_port;
    r.seq = cookie.raw();
    r.ack = (syn_seg.seq + 1).raw();
    r.flags = syn | ack;
    r.window = static_cast<uint16_t>(std::min<uint32_t>(config_.defaults.recv_buffer, 0xffff));
    r.mss = static_cast<uint16_t>(out_.route_mtu(key.remote_addr) - 40);
    if (syn_seg.repr.timestamps && config_.defaults.timestamps) {
        const bool sack = syn_seg.repr.sack_permitted && config_.defaults.sack;
        std::optional<uint8_t> ws;
        if (syn_seg.repr.window_scale && config_.defaults.window_scaling) {
            ws = syn_seg.repr.window_scale;
            r.window_scale = 0;  // cookies cannot remember our own shift: offer 0
        }
        r.sack_permitted = sack;
        r.timestamps = wire::TcpTimestamps{cookies_.encode_tsval(ts_clock(), ws, sack),
                                           syn_seg.repr.timestamps->tsval};
    }
    cx_.counters.syn_cookies_sent++;
    send_repr(key, r);
}

bool TcpStack::accept_cookie(TcpListener& l, const FourTuple& key, Segment& seg) noexcept {
    const SeqNum cookie = seg.ack - 1;
    auto mss = cookies_.check(key.local_addr, key.local_port, key.remote_addr, key.remote_port,
                              seg.seq - 1, cookie, cx_.now);
    if (!mss) return false;
    // A cookie's connection counts against its source like any other (max_per_source).
    if (source_capped(key)) {
        cx_.count_drop(DropReason::source_limit);
        return true;
    }
    if (l.accept_count_ == l.accept_ring_.size()) {
        cx_.count_drop(DropReason::accept_queue_full);
        return true;
    }
    std::optional<uint8_t> wscale;
    bool sack = false;
    if (seg.repr.timestamps) SynCookies::decode_tsecr(seg.repr.timestamps->tsecr, wscale, sack);
    TcpSocket* s = create_socket(key, l.options_);
    if (s == nullptr) return false;
    cx_.counters.syn_cookies_accepted++;
    cx_.counters.passive_opens++;
    s->app_owned_ = false;
    s->listener_ = &l;
    l.push_accepted(s);
    s->establish_from_cookie(seg, cookie, *mss, wscale, sack, cx_.now);
    s->on_segment(seg, cx_.now);
    return true;
}

}  // namespace shunt::tcp
