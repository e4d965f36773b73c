// TCP sequence numbers (RFC 9293 §3.4): 32-bit values compared modulo 2^32.
//
// "It is essential to remember that the actual sequence number space is finite, though very
// large ... all arithmetic dealing with sequence numbers must be performed modulo 2**32"
// (RFC 9293 §3.4). SeqNum makes that the only arithmetic there is: a raw uint32_t cannot
// be compared with `<` by mistake, because SeqNum has no implicit conversion either way.
//
// a < b means b lies less than 2^31 ahead of a, i.e. the signed 32-bit difference a - b is
// negative (RFC 1982 §3.2 serial number arithmetic, as Linux's before()/after()). Two
// numbers exactly 2^31 apart are each "less" than the other (RFC 1982 leaves that case
// undefined), so this is no strict weak ordering over the whole space: never use SeqNum as
// a std::map key or sort by it. Within one connection every live number lies inside a
// window far smaller than 2^31, where the order is consistent.
#pragma once

#include <concepts>
#include <cstdint>

namespace shunt::tcp {

class SeqNum {
  public:
    constexpr SeqNum() noexcept = default;
    constexpr explicit SeqNum(uint32_t raw) noexcept : raw_(raw) {}

    constexpr uint32_t raw() const noexcept { return raw_; }

    // Adding or subtracting any integer (a length, a size_t, a negative offset) is modulo
    // 2^32, which the conversion to uint32_t computes exactly.
    template <std::integral N>
    constexpr SeqNum& operator+=(N n) noexcept {
        raw_ += static_cast<uint32_t>(n);
        return *this;
    }
    template <std::integral N>
    constexpr SeqNum& operator-=(N n) noexcept {
        raw_ -= static_cast<uint32_t>(n);
        return *this;
    }
    template <std::integral N>
    friend constexpr SeqNum operator+(SeqNum s, N n) noexcept {
        return s += n;
    }
    template <std::integral N>
    friend constexpr SeqNum operator+(N n, SeqNum s) noexcept {
        return s += n;
    }
    template <std::integral N>
    friend constexpr SeqNum operator-(SeqNum s, N n) noexcept {
        return s -= n;
    }
    // How far a is ahead of b (negative if behind): the distance that the comparisons
    // below test. Exact while |a - b| < 2^31.
    friend constexpr int32_t operator-(SeqNum a, SeqNum b) noexcept {
        return static_cast<int32_t>(a.raw_ - b.raw_);
    }

    friend constexpr bool operator==(SeqNum, SeqNum) noexcept = default;
    friend constexpr bool operator<(SeqNum a, SeqNum b) noexcept { return a - b < 0; }
    friend constexpr bool operator<=(SeqNum a, SeqNum b) noexcept { return a - b <= 0; }
    friend constexpr bool operator>(SeqNum a, SeqNum b) noexcept { return a - b > 0; }
    friend constexpr bool operator>=(SeqNum a, SeqNum b) noexcept { return a - b >= 0; }

    // The later / earlier of two numbers in modular order (found by ADL: max(a, b)).
    friend constexpr SeqNum max(SeqNum a, SeqNum b) noexcept { return a < b ? b : a; }
    friend constexpr SeqNum min(SeqNum a, SeqNum b) noexcept { return b < a ? b : a; }

  private:
    uint32_t raw_ = 0;
};

// start <= seq < start + len, modulo 2^32; false when len is 0. Exact for any len up to
// 2^32 - 1 (it measures seq's distance past start without comparing across the wrap).
constexpr bool seq_in_window(SeqNum seq, SeqNum start, uint32_t len) noexcept {
    return seq.raw() - start.raw() < len;
}

// lo <= seq <= hi, modulo 2^32, for lo <= hi (hi no more than 2^31 - 1 ahead of lo).
constexpr bool seq_in_range(SeqNum seq, SeqNum lo, SeqNum hi) noexcept {
    return seq.raw() - lo.raw() <= hi.raw() - lo.raw();
}

// RFC 9293 §3.10.7.4 "first, check sequence number": is a segment occupying
// [seg_seq, seg_seq + seg_len) acceptable to a receiver expecting rcv_nxt with a window of
// rcv_wnd? seg_len is SEG.LEN (payload plus SYN and FIN). The four cases of the RFC's table:
//   seg_len 0, rcv_wnd 0:  SEG.SEQ = RCV.NXT
//   seg_len 0, rcv_wnd >0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//   seg_len >0, rcv_wnd 0: not acceptable
//   seg_len >0, rcv_wnd >0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//                        or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
constexpr bool segment_acceptable(SeqNum seg_seq, uint32_t seg_len, SeqNum rcv_nxt,
                                  uint32_t rcv_wnd) noexcept {
    if (rcv_wnd == 0) return seg_len == 0 && seg_seq == rcv_nxt;
    if (seg_len == 0) return seq_in_window(seg_seq, rcv_nxt, rcv_wnd);
    return seq_in_window(seg_seq, rcv_nxt, rcv_wnd) ||
           seq_in_window(seg_seq + (seg_len - 1), rcv_nxt, rcv_wnd);
}

// RFC 9293 §3.4 / §3.10.7.4 "fifth, check the ACK field": an ACK is acceptable (acknowledges
// something new, and nothing not yet sent) when SND.UNA < SEG.ACK =< SND.NXT.
constexpr bool ack_acceptable(SeqNum seg_ack, SeqNum snd_una, SeqNum snd_nxt) noexcept {
    return seg_ack != snd_una && seq_in_range(seg_ack, snd_una, snd_nxt);
}

}  // namespace shunt::tcp
