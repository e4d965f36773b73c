// SYN cookies: when the SYN queue is full, the listener answers with a SYN-ACK whose ISN
// encodes what it needs to rebuild the connection from the peer's ACK, and keeps no state.
//
// The cookie (the construction Linux uses, after D. J. Bernstein's design):
//   cookie = H0(4-tuple) + peer_isn + (count << 24)
//            + ((H1(4-tuple, count) + mss_index * kIndexSpacing) mod 2^24)
// count is a coarse clock in 64-second steps; H0 and H1 are SipHash-2-4 under the secret.
// check() subtracts H0 and peer_isn, reads count's low 8 bits from the top byte, accepts the
// current and the previous count, and recovers mss_index from the low 24 bits. Unlike
// Linux, which adds the index itself, the index is spread by an odd constant: then no
// single-bit error and no small offset (a peer ISN off by a few) turns one valid cookie
// into another. A forged cookie passes with probability 4 / 2^24.
#pragma once

#include "base/time.hpp"
#include "stack/tcp/seq.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace shunt::tcp {

struct SynCookieOptions {
    uint16_t mss;
    std::optional<uint8_t> window_scale;
    bool sack_permitted;
    bool timestamps;
};

class SynCookies {
  public:
    // The MSS values a cookie can carry (Linux's msstab): the peer's MSS is rounded down
    // to the nearest entry.
    static constexpr std::array<uint16_t, 4> kMssTable{536, 1300, 1440, 1460};
    static constexpr Duration kCounterStep = std::chrono::seconds{64};
    // A cookie is valid in its own counter step and the next one: "no older than 2 steps".
    static constexpr uint32_t kMaxAgeSteps = 2;

    explicit SynCookies(std::array<uint8_t, 16> secret) noexcept;

    // The ISN for our SYN-ACK. `mss` is the peer's advertised MSS (536 when it sent none).
    SeqNum make(wire::Ipv4Addr local, uint16_t lport, wire::Ipv4Addr remote, uint16_t rport,
                SeqNum peer_isn, uint16_t mss, Instant now) const noexcept;
    // Validates `cookie` = the ACK's ack number - 1, for the ACK's 4-tuple and peer_isn = its
    // seq - 1. Returns the MSS (a table entry) or nullopt: tampered, other 4-tuple, too old.
    std::optional<uint16_t> check(wire::Ipv4Addr local, uint16_t lport, wire::Ipv4Addr remote,
                                  uint16_t rport, SeqNum peer_isn, SeqNum cookie,
                                  Instant now) const noexcept;

    // With timestamps negotiated, the SYN-ACK's TSval carries the peer's window scale and
    // SACK-permitted in its low 6 bits, like Linux's cookie_init_timestamp: bits 0-3 the
    // shift (15 = no window scaling), bit 4 SACK-permitted, bit 5 (ECN) zero. The value is
    // never ahead of tsval_now (it steps back by 64 ticks when it would be).
    uint32_t encode_tsval(uint32_t tsval_now, std::optional<uint8_t> wscale,
                          bool sack_permitted) const noexcept;
    // Reads them back from the ACK's TSecr (the echo of that TSval).
    static void decode_tsecr(uint32_t tsecr, std::optional<uint8_t>& wscale,
                             bool& sack_permitted) noexcept;

    static constexpr uint32_t kTsOptionBits = 6;
    static constexpr uint32_t kTsNoWindowScale = 0xf;
    static constexpr uint32_t kTsSackBit = 1u << 4;

    // The index of the largest table entry <= mss (0 if mss < 536).
    static uint32_t mss_index(uint16_t mss) noexcept;
    // The coarse counter for `now`.
    static uint32_t counter(Instant now) noexcept;
    // The low 24 bits that encode mss index `index` (without the keyed hash).
    static constexpr uint32_t index_code(uint32_t index) noexcept {
        return (index * kIndexSpacing) & kCookieMask;
    }

  private:
    static constexpr uint32_t kCookieBits = 24;
    static constexpr uint32_t kCookieMask = (1u << kCookieBits) - 1;
    // k * kIndexSpacing mod 2^24 for k = +-1..3 is never +-2^j (tested).
    static constexpr uint32_t kIndexSpacing = 0x5a5a5b;

    uint32_t hash(uint8_t which, wire::Ipv4Addr local, uint16_t lport, wire::Ipv4Addr remote,
                  uint16_t rport, uint32_t count) const noexcept;

    std::array<uint8_t, 16> secret_;
};

}  // namespace shunt::tcp
