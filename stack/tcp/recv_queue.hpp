// The receive side's buffers: in-order data as a chain of the NIC buffers that carried it
// (trimmed to payload) and out-of-order segments held the same way in a bounded, sorted
// table, from which SACK blocks are generated (RFC 2018 §4).
//
// Held buffers are counted whole (the pool's true size, stack/iface/buffer_budget.hpp). A
// small segment (a poorly used buffer: payload below kCoalesceMax) that continues the
// in-order tail, or the out-of-order entry just before it, is copied into that buffer's
// tailroom and its own buffer released (Linux's tcp_try_coalesce / tcp_collapse: a peer
// sending one-byte segments then holds one buffer per ~2 KiB, not per byte).
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
    // Segments whose payload is below this are copied into the buffer before them when it
    // has room: an eighth of the data room (Linux collapses when len/truesize is poor too).
    static constexpr size_t kCoalesceMax = PacketBuf::kDataRoom / 8;

    explicit RecvQueue(size_t ooo_capacity) : ooo_(ooo_capacity == 0 ? 1 : ooo_capacity) {}
    RecvQueue(const RecvQueue&) = delete;
    RecvQueue& operator=(const RecvQueue&) = delete;
    ~RecvQueue() { clear(); }

    // Stack-wide counts this queue adds to (either may be null): out-of-order buffers held,
    // and segments coalesced.
    void set_shared_counts(size_t* ooo_total, uint64_t* coalesced) noexcept {
        ooo_total_ = ooo_total;
        coalesced_ = coalesced;
    }
    // Buffers held: in order plus out of order.
    size_t buffers() const noexcept { return in_order_.count() + ooo_buffers_; }
    size_t ooo_buffers() const noexcept { return ooo_buffers_; }
    // Whether push_in_order would copy this data into the buffer it holds last (so holding
    // it costs no buffer).
    bool would_coalesce_in_order(const PacketChain& data) const noexcept {
        return fits_tail(in_order_.back(), data);
    }

    // In-order data.
    void push_in_order(PacketChain data) noexcept;
    uint64_t readable_bytes() const noexcept { return readable_; }
    // The first buffer, then whole buffers while the total stays within max_bytes.
    PacketChain take(size_t max_bytes) noexcept;
    // Copies up to out.size() bytes and consumes them (partly read buffers keep the rest).
    size_t copy_out(std::span<uint8_t> out) noexcept;

    // Whether insert_ooo would copy this data into the entry ending at seq (no new buffer).
    bool would_coalesce_ooo(SeqNum seq, const PacketChain& data) const noexcept;

    // Out-of-order data [seq, seq + len). Overlaps with what is held are trimmed away.
    enum class OooResult : uint8_t { stored, duplicate, limit };
    OooResult insert_ooo(SeqNum seq, PacketChain data) noexcept;
    // Releases out-of-order entries from the highest sequence down (the newest data the
    // peer sent, the furthest from being readable: Linux's tcp_prune_ofo_queue) that start
    // after `keep_below`, until `want` buffers are freed or none is left. Returns the buffers
    // freed. SACKed data may be dropped this way (reneging, RFC 2018 §8): the sender keeps
    // it until it is acknowledged cumulatively.
    size_t prune_ooo(size_t want, SeqNum keep_below) noexcept;
    // The sequence number of the highest entry held out of order (only when ooo_count() > 0).
    SeqNum ooo_last_seq() const noexcept { return ooo_[ooo_count_ - 1].seq; }
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
    static bool fits_tail(const PacketBuf* tail, const PacketChain& data) noexcept;
    void copy_to_tail(PacketBuf& tail, const PacketChain& data) noexcept;
    void count_ooo(size_t added, size_t removed) noexcept;
    bool trim_against_neighbours(SeqNum& seq, PacketChain& data, uint32_t& len) noexcept;
    void note_recent(SeqNum seq) noexcept;
    wire::SackBlock block_around(size_t i) const noexcept;

    PacketChain in_order_;
    uint64_t readable_ = 0;
    std::vector<OooEntry> ooo_;  // [0, ooo_count_) sorted by seq, disjoint
    size_t ooo_count_ = 0;
    uint64_t ooo_bytes_ = 0;
    size_t ooo_buffers_ = 0;
    size_t* ooo_total_ = nullptr;
    uint64_t* coalesced_ = nullptr;
    std::array<SeqNum, 4> recent_{};  // starts of the latest out-of-order arrivals, newest first
    size_t recent_count_ = 0;
};

}  // namespace shunt::tcp
