// Frame builders and parsers for interface tests, written with the wire layer's reprs.
#pragma once

#include "stack/wire/wire.hpp"

#include <cstdint>
#include <vector>

namespace shunt::test {

using Bytes = std::vector<uint8_t>;
using wire::Ipv4Addr;

inline Bytes eth_frame(MacAddr dst, MacAddr src, uint16_t type, const Bytes& payload) {
    Bytes f(14 + payload.size());
    wire::EthernetView v(f);
    wire::EthernetRepr{src, dst, type}.emit(v);
    std::copy(payload.begin(), payload.end(), f.begin() + 14);
    return f;
}

inline Bytes arp_packet(wire::ArpOp op, MacAddr smac, Ipv4Addr sip, MacAddr tmac, Ipv4Addr tip) {
    Bytes b(28);
    wire::ArpView v(b);
    wire::ArpRepr{op, smac, sip, tmac, tip}.emit(v);
    return b;
}

struct IpFields {
    Ipv4Addr src, dst;
    uint8_t protocol = 0;
    uint16_t ident = 1;
    bool more_frags = false;
    uint16_t frag_offset = 0;
};

inline Bytes ipv4_packet(const IpFields& f, const Bytes& payload) {
    Bytes b(20 + payload.size());
    wire::Ipv4View v(b);
    wire::Ipv4Repr{.src = f.src,
                   .dst = f.dst,
                   .protocol = f.protocol,
                   .payload_len = static_cast<uint16_t>(payload.size()),
                   .ident = f.ident,
                   .more_frags = f.more_frags,
                   .frag_offset = f.frag_offset}
        .emit(v);
    std::copy(payload.begin(), payload.end(), b.begin() + 20);
    return b;
}

inline Bytes icmp_echo(uint8_t type, uint16_t ident, uint16_t seq, const Bytes& data) {
    Bytes b(8 + data.size());
    wire::Icmpv4View v(b);
    wire::Icmpv4Repr{.type = type, .ident = ident, .seq = seq}.emit_header(v);
    std::copy(data.begin(), data.end(), b.begin() + 8);
    v.fill_checksum();
    return b;
}

inline Bytes udp_datagram(Ipv4Addr src, Ipv4Addr dst, uint16_t sport, uint16_t dport,
                          const Bytes& data) {
    Bytes b(8 + data.size());
    std::copy(data.begin(), data.end(), b.begin() + 8);
    wire::UdpView v(b);
    wire::UdpRepr{sport, dport, static_cast<uint16_t>(data.size())}.emit(v, src, dst);
    return b;
}

inline Bytes pattern(size_t n, uint8_t seed = 0) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 31 + (i >> 8));
    return b;
}

// A parsed frame the stack sent.
struct Sent {
    wire::EthernetRepr eth;
    Bytes l3;  // everything after the Ethernet header
    bool is_ipv4() const { return eth.ethertype == wire::ethertype::ipv4; }
    bool is_arp() const { return eth.ethertype == wire::ethertype::arp; }
    wire::Ipv4Repr ip() {
        wire::Ipv4View v(l3);
        auto r = wire::Ipv4Repr::parse(v, true);
        return r.value;
    }
    bool ip_checksum_ok() {
        wire::Ipv4View v(l3);
        return v.verify_checksum();
    }
    Bytes ip_payload() { return Bytes(l3.begin() + 20, l3.end()); }
    wire::ArpRepr arp() {
        wire::ArpView v(l3);
        return wire::ArpRepr::parse(v).value;
    }
};

inline Sent parse_sent(Bytes frame) {
    wire::EthernetView v(frame);
    Sent s{wire::EthernetRepr::parse(v).value, Bytes(frame.begin() + 14, frame.end())};
    return s;
}

}  // namespace shunt::test
