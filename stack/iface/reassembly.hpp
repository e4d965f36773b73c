// IPv4 fragment reassembly (RFC 791 §3.2, RFC 1122 §3.3.2, with RFC 815's "complete when
// no hole is left" test), built to survive fragment floods: every table is sized at
// construction, every limit drops the newcomer (never an older datagram unless its timer has
// fired), and conflicting overlaps discard the whole datagram instead of choosing whose bytes
// win (the overlapping-fragment evasion and teardrop class of attacks; RFC 5722 reasons the
// same way for IPv6).
//
// The caller parses and validates the IPv4 header and trims the buffer so data() is the
// fragment's payload. The header stays in the headroom (prepend(ihl) restores it): this
// code never touches a buffer's bytes or headroom, it only holds the buffers.
//
// Because overlaps other than exact duplicates are refused, the held fragments never share a
// byte, and a datagram is complete exactly when its last fragment is known and the byte
// count of its fragments equals its length.
//
// `now` must not go backwards between calls: timers are a FIFO in order of first arrival.
#pragma once

#include "base/time.hpp"
#include "packet/packet_buf.hpp"
#include "packet/packet_chain.hpp"
#include "stack/iface/drop_reason.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace shunt {

struct ReassemblyConfig {
    size_t max_datagrams = 64;               // datagrams in progress at once (at least 1)
    size_t max_buffers = 1024;               // fragment buffers held in total
    size_t max_fragments_per_datagram = 64;  // at least 1
    // Largest payload (RFC 791 §3.1: total length is 16 bits, the header at least 20 bytes);
    // values above 65515 are lowered to it.
    size_t max_datagram_bytes = 65535 - 20;
    // Counted from the first fragment, never extended by later ones, so a slow trickle cannot
    // hold a slot forever (RFC 1122 §3.3.2 allows a fixed timeout).
    Duration timeout = std::chrono::seconds(30);
};

// The reassembly key is (src, dst, protocol, ident) (RFC 791 §3.2).
struct FragmentInfo {
    wire::Ipv4Addr src, dst;
    uint16_t ident = 0;
    uint8_t protocol = 0;
    uint16_t offset = 0;  // bytes (the header's 13-bit field times 8)
    bool more_fragments = false;
};

class Reassembler {
  public:
    // Holds `drops` by reference: the counters must outlive the reassembler.
    Reassembler(ReassemblyConfig config, DropCounters& drops);
    Reassembler(const Reassembler&) = delete;
    Reassembler& operator=(const Reassembler&) = delete;
    ~Reassembler();  // frees every held buffer (not counted as drops)

    // Takes one fragment. Returns the whole payload when this fragment completes it: the
    // fragment buffers in offset order, no byte in two buffers, empty buffers (a zero-length
    // last fragment) left out. Otherwise returns an empty chain and keeps or drops the
    // fragment:
    // - offset not a multiple of 8, or a non-last fragment whose length is zero or not a
    //   multiple of 8 (RFC 791 §3.2): ipv4_frag_malformed;
    // - offset + length beyond max_datagram_bytes: ipv4_frag_too_big;
    // - exact duplicate (same offset and length): the new copy is dropped, ipv4_frag_overlap;
    // - any other overlap: the whole datagram is dropped, ipv4_frag_overlap for every buffer;
    // - a last fragment (MF=0) whose end differs from a known end or lies below bytes already
    //   held, or a fragment past the known end: the whole datagram is dropped,
    //   ipv4_frag_malformed for every buffer;
    // - no datagram slot, max_buffers held or max_fragments_per_datagram reached:
    //   ipv4_frag_limit (the new fragment only).
    // Datagrams whose timer has fired are expired first (see expire()), so they free their
    // slots and never take late fragments. A packet that is not a fragment (offset 0, MF=0)
    // is returned as is.
    PacketChain add(const FragmentInfo& info, Packet payload, Instant now) noexcept;

    // Expires datagrams `timeout` after their first fragment: ipv4_frag_timeout for every
    // buffer they held, the first fragment included. When a datagram had its first fragment
    // (offset 0), that buffer is appended to `first_fragments` for the caller to send an ICMP
    // time exceeded, code 1 (RFC 792, RFC 1122 §3.3.2), after prepend(ihl); already counted,
    // so the caller just frees it. Returns the number of datagrams expired since the last call
    // (add() may have expired some; their first fragments are handed out here).
    size_t expire(Instant now, PacketChain& first_fragments) noexcept;

    // When expire() has work: the earliest timer, or the time of an expiry whose first
    // fragment add() is still holding for expire(). nullopt when idle.
    std::optional<Instant> next_deadline() const noexcept;

    size_t datagrams_in_progress() const noexcept { return dgrams_.size() - free_.size(); }
    // Buffers held: fragments of datagrams in progress plus expired first fragments waiting
    // for expire().
    size_t buffers_held() const noexcept { return buffers_held_; }
    const ReassemblyConfig& config() const noexcept { return cfg_; }

  private:
    static constexpr uint32_t kNil = UINT32_MAX;

    struct Frag {
        uint16_t offset;
        uint16_t length;
        PacketBuf* buf;  // one reference, owned
        uint32_t end() const noexcept { return uint32_t{offset} + length; }
    };
    struct Key {
        wire::Ipv4Addr src, dst;
        uint16_t ident;
        uint8_t protocol;
        bool operator==(const Key&) const = default;
    };
    struct Datagram {
        Key key{};
        Instant deadline{};
        uint32_t prev = kNil;  // timer FIFO (also the lookup list)
        uint32_t next = kNil;
        uint32_t nfrags = 0;  // used entries of this datagram's slice of frags_
        uint32_t bytes = 0;   // sum of fragment lengths (fragments never overlap)
        uint32_t total = 0;   // payload length, once the last fragment is known
        bool has_end = false;
    };

    std::optional<DropReason> check_fragment(const FragmentInfo& info, uint32_t len) const noexcept;
    uint32_t find(const Key& key) const noexcept;
    uint32_t open(const Key& key, Instant now) noexcept;
    PacketChain insert(uint32_t d, const FragmentInfo& info, Packet payload) noexcept;
    bool end_conflicts(uint32_t d, const FragmentInfo& info, uint32_t end) const noexcept;
    PacketChain complete(uint32_t d) noexcept;
    void discard(uint32_t d, DropReason reason) noexcept;
    void expire_one(uint32_t d) noexcept;
    void reap(Instant now) noexcept;
    void close(uint32_t d) noexcept;
    std::span<Frag> frags_of(uint32_t d) noexcept;
    std::span<const Frag> frags_of(uint32_t d) const noexcept;

    ReassemblyConfig cfg_;
    DropCounters& drops_;
    std::vector<Datagram> dgrams_;
    std::vector<Frag> frags_;     // max_fragments_per_datagram per datagram slot
    std::vector<uint32_t> free_;  // stack of unused datagram slots
    uint32_t head_ = kNil;        // oldest datagram (earliest deadline)
    uint32_t tail_ = kNil;
    size_t buffers_held_ = 0;
    // Expired by add(), reported by the next expire(): first fragments and the count.
    PacketChain expired_first_;
    size_t expired_unreported_ = 0;
    Instant expired_since_{};
};

}  // namespace shunt
