// Initial sequence numbers (RFC 6528, RFC 9293 §3.4.1):
//   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
// where M is a timer ticking every 4 microseconds and F a keyed pseudorandom function, here
// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012).
#pragma once

#include "base/time.hpp"
#include "stack/tcp/seq.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <array>
#include <cstdint>
#include <span>

namespace shunt::tcp {

// SipHash-2-4 of `data` under the 128-bit key (bytes k0..k15, read little-endian as the
// paper's k0 || k1), as a 64-bit value. Its little-endian bytes are the paper's output bytes.
uint64_t siphash24(const std::array<uint8_t, 16>& key, std::span<const uint8_t> data) noexcept;

class IsnGenerator {
  public:
    // The secret comes from the stack's seeded RNG (tests stay deterministic).
    explicit IsnGenerator(std::array<uint8_t, 16> secret) noexcept;

    // M + F: M = now in 4-microsecond ticks (mod 2^32, wrapping every ~4.77 hours as
    // RFC 9293 §3.4.1 describes), F = the low 32 bits of SipHash-2-4 over the 12-byte
    // connection id: local address, local port, remote address, remote port, big-endian.
    SeqNum isn(wire::Ipv4Addr local, uint16_t lport, wire::Ipv4Addr remote, uint16_t rport,
               Instant now) const noexcept;

  private:
    std::array<uint8_t, 16> secret_;
};

}  // namespace shunt::tcp
