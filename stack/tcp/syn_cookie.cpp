#include "stack/tcp/syn_cookie.hpp"

#include "base/byte_order.hpp"
#include "stack/tcp/isn.hpp"

namespace shunt::tcp {

SynCookies::SynCookies(std::array<uint8_t, 16> secret) noexcept : secret_(secret) {}

uint32_t SynCookies::mss_index(uint16_t mss) noexcept {
    uint32_t index = 0;
    for (uint32_t i = 0; i < kMssTable.size(); ++i) {
        if (kMssTable[i] <= mss) index = i;
    }
    return index;
}

uint32_t SynCookies::counter(Instant now) noexcept {
    return static_cast<uint32_t>(now.micros() / kCounterStep.count());
}

uint32_t SynCookies::hash(uint8_t which, wire::Ipv4Addr local, uint16_t lport,
                          wire::Ipv4Addr remote, uint16_t rport, uint32_t count) const noexcept {
    // which (0 or 1) separates the two hash functions under one key.
    std::array<uint8_t, 17> msg{};
    msg[0] = which;
    local.store(msg.data() + 1);
    store_be16(msg.data() + 5, lport);
    remote.store(msg.data() + 7);
    store_be16(msg.data() + 11, rport);
    store_be32(msg.data() + 13, count);
    return static_cast<uint32_t>(siphash24(secret_, msg));
}

SeqNum SynCookies::make(wire::Ipv4Addr local, uint16_t lport, wire::Ipv4Addr remote, uint16_t rport,
                        SeqNum peer_isn, uint16_t mss, Instant now) const noexcept {
    const uint32_t count = counter(now);
    const uint32_t data =
        (hash(1, local, lport, remote, rport, count) + index_code(mss_index(mss))) & kCookieMask;
    return peer_isn + hash(0, local, lport, remote, rport, 0) + (count << kCookieBits) + data;
}

std::optional<uint16_t> SynCookies::check(wire::Ipv4Addr local, uint16_t lport,
                                          wire::Ipv4Addr remote, uint16_t rport, SeqNum peer_isn,
                                          SeqNum cookie, Instant now) const noexcept {
    const uint32_t count = counter(now);
    const uint32_t rest = cookie.raw() - hash(0, local, lport, remote, rport, 0) - peer_isn.raw();
    // The top 8 bits hold the counter the cookie was made with (mod 256); how many steps
    // ago that was, mod 256.
    const uint32_t age = (count - (rest >> kCookieBits)) & (UINT32_MAX >> kCookieBits);
    if (age >= kMaxAgeSteps) return std::nullopt;
    const uint32_t code = (rest - hash(1, local, lport, remote, rport, count - age)) & kCookieMask;
    for (uint32_t index = 0; index < kMssTable.size(); ++index) {
        if (index_code(index) == code) return kMssTable[index];
    }
    return std::nullopt;
}

uint32_t SynCookies::encode_tsval(uint32_t tsval_now, std::optional<uint8_t> wscale,
                                  bool sack_permitted) const noexcept {
    uint32_t options = wscale ? (*wscale & kTsNoWindowScale) : kTsNoWindowScale;
    if (wscale && *wscale >= kTsNoWindowScale) options = kTsNoWindowScale - 1;  // 14 at most
    if (sack_permitted) options |= kTsSackBit;
    constexpr uint32_t kLowMask = (1u << kTsOptionBits) - 1;
    uint32_t ts = (tsval_now & ~kLowMask) | options;
    // Never ahead of our clock: the peer's PAWS check would then reject our later segments.
    if (ts > tsval_now) ts -= 1u << kTsOptionBits;
    return ts;
}

void SynCookies::decode_tsecr(uint32_t tsecr, std::optional<uint8_t>& wscale,
                              bool& sack_permitted) noexcept {
    const uint32_t shift = tsecr & kTsNoWindowScale;
    if (shift == kTsNoWindowScale) {
        wscale.reset();
    } else {
        wscale = static_cast<uint8_t>(shift);
    }
    sack_permitted = (tsecr & kTsSackBit) != 0;
}

}  // namespace shunt::tcp
