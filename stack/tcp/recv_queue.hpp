// The receive side's buffers: in-order data as a chain of the NIC buffers that carried it
// (trimmed to payload, never copied) and out-of-order segments held the same way in a
// bounded, sorted table, from which SACK blocks are generated (RFC 2018 §4).
#pragma once

#include "packet/packet_chain.hpp"
#include "stack/tcp/seq.hpp"
#include "stack/wire/tcp.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace shunt::tcp {

class RecvQueue {
  public:
    explicit RecvQueue(size_t ooo_capacity) : ooo_(ooo_capacity == 0 ? 1 : ooo_capacity) {}

    // In-order data.
    void push_in_order(PacketChain data) noexcept;
    uint64_t readable_bytes() const noexcept { return readable_; }
    // The first buffer, then whole buffers while the total stays within max_bytes.
    PacketChain take(size_t max_bytes) noexcept;
    // Copies up to out.size() bytes and consumes them (partly read buffers keep the rest).
    size_t copy_out(std::span<uint8_t> out) noexcept;

    // Out-of-order data [seq, seq + len). Overlaps with what is held are trimmed away.
    enum class OooResult : uint8_t { stored, duplicate, limit };
    OooResult insert_ooo(SeqNum seq, PacketChain data) noexcept;
    // Moves held segments that now continue the in-order stream; returns the new RCV.NXT.
    SeqNum drain_ooo(SeqNum rcv_nxt) noexcept;
    uint64_t ooo_bytes() const noexcept { return ooo_bytes_; }
    size_t ooo_count() const noexcept { return ooo_count_; }
    // One past the highest byte held out of order (rcv_nxt when none).
    SeqNum ooo_end(SeqNum rcv_nxt) const noexcept;

    // RFC 2018 §4: the block holding the most recently received segment first, then the
    // blocks of the other recent arrivals, then the rest; at most out.size() blocks.
    size_t sack_blocks(std::span<wire::SackBlock> out) const noexcept;

    void clear() noexcept;

  private:
    struct OooEntry {
        SeqNum seq;
        uint32_t len = 0;
        PacketChain data;
        SeqNum end() const noexcept { return seq + len; }
    };
    void erase_ooo(size_t i) noexcept;
    bool trim_against_neighbours(SeqNum& seq, PacketChain& data, uint32_t& len) noexcept;
    void note_recent(SeqNum seq) noexcept;
    wire::SackBlock block_around(size_t i) const noexcept;

    PacketChain in_order_;
    uint64_t readable_ = 0;
    std::vector<OooEntry> ooo_;  // [0, ooo_count_) sorted by seq, disjoint
    size_t ooo_count_ = 0;
    uint64_t ooo_bytes_ = 0;
    std::array<SeqNum, 4> recent_{};  // starts of the latest out-of-order arrivals, newest first
    size_t recent_count_ = 0;
};

}  // namespace shunt::tcp
