// TIME-WAIT without a TCB (RFC 9293 §3.10.7.4 "TIME-WAIT STATE"): a bounded table of the
// few numbers needed to re-acknowledge a retransmitted FIN and to judge a new SYN, kept
// 2*MSL. When the table is full the oldest entry is evicted (counted), as Linux does when
// tcp_max_tw_buckets is reached.
#pragma once

#include "base/time.hpp"
#include "stack/tcp/seq.hpp"
#include "stack/wire/ipv4_addr.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

namespace shunt::tcp {

struct FourTuple {
    wire::Ipv4Addr local_addr;
    uint16_t local_port = 0;
    wire::Ipv4Addr remote_addr;
    uint16_t remote_port = 0;
    bool operator==(const FourTuple&) const = default;
};

struct FourTupleHash {
    size_t operator()(const FourTuple& t) const noexcept {
        uint64_t h = (uint64_t{t.local_addr.value} << 32) ^ t.remote_addr.value;
        h ^= (uint64_t{t.local_port} << 16 | t.remote_port) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
        return static_cast<size_t>(h * 0xbf58476d1ce4e5b9ull);
    }
};

struct TimeWaitEntry {
    FourTuple key;
    SeqNum snd_nxt;  // after our FIN
    SeqNum rcv_nxt;  // after the peer's FIN
    uint16_t window = 0;
    bool timestamps = false;
    uint32_t ts_recent = 0;
    uint32_t ts_offset = 0;
    Instant expires{};
    bool live = false;
    // The last ACK sent for an old SYN or data (RFC 5961 §7 / ReplyLimits, like a
    // connection's): a spoofed flood at one TIME-WAIT tuple draws one ACK per interval.
    std::optional<Instant> last_invalid_ack;
};

class TimeWaitTable {
  public:
    explicit TimeWaitTable(size_t capacity);

    // Adds an entry; returns true if the oldest had to be evicted to make room.
    bool add(const TimeWaitEntry& e) noexcept;
    TimeWaitEntry* find(const FourTuple& key) noexcept;
    void remove(const FourTuple& key) noexcept;
    // Removes expired entries; returns how many.
    size_t expire(Instant now) noexcept;
    std::optional<Instant> next_deadline() const noexcept;
    size_t size() const noexcept { return index_.size(); }

  private:
    void pop_front() noexcept;

    std::vector<TimeWaitEntry> ring_;  // in expiry order (a restart is a remove + add)
    size_t head_ = 0;
    size_t count_ = 0;
    std::unordered_map<FourTuple, size_t, FourTupleHash> index_;  // reserved at construction
};

}  // namespace shunt::tcp
