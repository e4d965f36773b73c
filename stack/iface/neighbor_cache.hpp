// ARP neighbor cache (RFC 826, with RFC 1122 §2.3.2.1 cache validation and §2.3.2.2 packet
// queuing): maps next-hop IPv4 addresses to Ethernet addresses for one interface.
//
// Time is passed in and nothing here reads a clock. Every table is sized at construction;
// resolve/learn/poll never allocate: packets waiting for an answer are queued through
// PacketBuf::next (PacketChain), the index is open addressing over a fixed slot array and
// the LRU and retry orders are intrusive lists of entry indices.
//
// Entry life cycle:
//
//   resolve() miss ──> incomplete ──learn()──> reachable ──reachable_time──> stale
//                       │ retries every            ^                           │ used by
//                       │ retransmit_interval      │ learn()                   │ resolve()
//                       v max_probes unanswered    │                           v
//                     removed, queue dropped       └───────────────────────  probe
//                     (neigh_unresolved)             max_probes unanswered: removed
//
// `now` must not go backwards between calls: retry deadlines are kept in a FIFO that is
// sorted because each new deadline is `now + retransmit_interval`.
#pragma once

#include "base/mac_addr.hpp"
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
#include <string_view>
#include <vector>

namespace shunt {

struct NeighborConfig {
    size_t max_entries = 512;  // at least 1
    // RFC 1122 §2.3.2.2: keep at least one (the latest) packet per unresolved address; we keep
    // a bounded queue and drop the OLDEST on overflow (at least 1).
    size_t max_pending_per_entry = 16;
    // Frames queued for every neighbour together (0: no bound). Each pins a pool buffer, so
    // the Interface sets it to its share of the pool (BudgetConfig::neighbor_percent): 512
    // entries times 16 would otherwise be twice a 4096-buffer pool. Beyond it the newcomer is
    // dropped (neigh_budget).
    size_t max_pending_total = 0;
    // After this an entry is stale: still used, but refreshed when next used.
    Duration reachable_time = std::chrono::seconds(60);
    // RFC 1122 §2.3.2.1: at most one request per destination per this interval (at least 1 us).
    Duration retransmit_interval = std::chrono::seconds(1);
    uint32_t max_probes = 3;  // requests sent without an answer before giving up (at least 1)
};

enum class NeighborState : uint8_t {
    incomplete,  // no MAC yet: requests outstanding, packets queued
    reachable,   // MAC confirmed less than reachable_time ago
    stale,       // MAC older than reachable_time: still used; the next use starts a probe
    probe,       // stale and in use: refresh requests outstanding (RFC 1122 §2.3.2.1 (2))
};

constexpr std::string_view to_string(NeighborState s) {
    switch (s) {
        case NeighborState::incomplete:
            return "incomplete";
        case NeighborState::reachable:
            return "reachable";
        case NeighborState::stale:
            return "stale";
        case NeighborState::probe:
            return "probe";
    }
    return "?";
}

struct Resolution {
    std::optional<MacAddr> mac;  // set: send the packet to this MAC now
    bool send_request = false;   // broadcast (or, with a known MAC, unicast) an ARP request now
};

class NeighborCache {
  public:
    struct EntryInfo {
        wire::Ipv4Addr ip;
        MacAddr mac;  // zero while incomplete
        NeighborState state;
        size_t pending;        // packets queued for this neighbor
        uint32_t probes_sent;  // requests sent since the last confirmation (incomplete/probe)
    };

    // Holds `drops` by reference: the counters must outlive the cache.
    NeighborCache(NeighborConfig config, DropCounters& drops);
    NeighborCache(const NeighborCache&) = delete;
    NeighborCache& operator=(const NeighborCache&) = delete;
    ~NeighborCache();

    // Outgoing IP packet to next_hop.
    // - MAC known (reachable, stale, probe): returns it and leaves pkt alone (the caller sends
    //   it). A stale entry starts a probe: send_request is true at most once per
    //   retransmit_interval, up to max_probes times, until learn() confirms the neighbor.
    // - Otherwise pkt is consumed: queued for the neighbor (when the queue is full the OLDEST
    //   queued packet is dropped, neigh_queue_full, per RFC 1122 §2.3.2.2 "the latest"), and
    //   send_request says to broadcast a request now (first miss, or a retry is due).
    // - A miss with a full table and no evictable entry drops pkt (neigh_table_full).
    // An empty pkt may be passed to start resolution without queuing anything.
    Resolution resolve(wire::Ipv4Addr next_hop, Packet& pkt, Instant now) noexcept;

    // Sender ip/mac of a received ARP packet. RFC 826 "merge": an existing entry is updated
    // and becomes reachable whatever `create` says; a new entry is made only when `create`
    // (we were the target). Returns the packets that waited for this neighbor, oldest first,
    // for the caller to send to `mac`.
    PacketChain learn(wire::Ipv4Addr ip, MacAddr mac, Instant now, bool create) noexcept;

    // Timers. Writes to `requests` (at most requests.size(); returns the count) the addresses
    // that need an ARP request now: retries of incomplete entries and probes of stale ones in
    // use (for the latter lookup() still has the MAC, so the request may be unicast). Entries
    // that used up max_probes are removed; queued packets of incomplete ones are dropped
    // (neigh_unresolved, one per packet). Work left over because `requests` was full stays
    // due: next_deadline() is then in the past.
    size_t poll(Instant now, std::span<wire::Ipv4Addr> requests) noexcept;

    // Earliest time poll() has work; nullopt when no entry waits for an answer. O(1).
    std::optional<Instant> next_deadline() const noexcept;

    // MAC of a resolved (reachable, stale or probing) neighbor. No side effects.
    std::optional<MacAddr> lookup(wire::Ipv4Addr ip) const noexcept;

    // Control plane ("ip neigh del"): removes the entry; its queued packets are dropped
    // (neigh_unresolved). Returns whether there was an entry.
    bool remove(wire::Ipv4Addr ip) noexcept;

    size_t size() const noexcept { return entries_.size() - free_.size(); }
    // Frames queued for resolution, over all entries (each holds a pool buffer).
    size_t pending_total() const noexcept { return pending_total_; }
    size_t capacity() const noexcept { return entries_.size(); }
    const NeighborConfig& config() const noexcept { return cfg_; }

    // Every entry, least recently used first, with its state as of `now` (control plane).
    template <typename F>
    void for_each(Instant now, F&& f) const {
        for (uint32_t i = lru_.head; i != kNil; i = entries_[i].lru.next) {
            const Entry& e = entries_[i];
            f(EntryInfo{e.ip, e.mac, state_at(e, now), e.pending.count(), e.probes});
        }
    }

  private:
    static constexpr uint32_t kNil = UINT32_MAX;

    struct Link {
        uint32_t prev = kNil;
        uint32_t next = kNil;
    };
    struct List {
        uint32_t head = kNil;  // LRU: least recently used; timers: earliest deadline
        uint32_t tail = kNil;
    };
    struct Entry {
        wire::Ipv4Addr ip{};
        MacAddr mac{};
        // Stored state is incomplete, reachable or probe; stale is reachable past its time.
        NeighborState state = NeighborState::incomplete;
        uint32_t probes = 0;     // requests sent since the last confirmation
        Instant confirmed{};     // last learn()
        Instant next_request{};  // incomplete/probe: when the next request (or give-up) is due
        PacketChain pending;
        Link lru;
        Link timer;  // linked while incomplete or probe
    };

    NeighborState state_at(const Entry& e, Instant now) const noexcept;
    static bool has_timer(const Entry& e) noexcept {
        return e.state == NeighborState::incomplete || e.state == NeighborState::probe;
    }

    Resolution resolve_miss(wire::Ipv4Addr ip, Packet& pkt, Instant now) noexcept;
    void enqueue(Entry& e, Packet& pkt) noexcept;
    bool take_request(uint32_t idx, Instant now) noexcept;
    void start_probe(uint32_t idx, Instant now) noexcept;
    void give_up(uint32_t idx) noexcept;

    uint32_t insert_entry(wire::Ipv4Addr ip, Instant now) noexcept;
    uint32_t pick_victim(Instant now) const noexcept;
    void remove_entry(uint32_t idx) noexcept;

    // Open-addressing index (linear probing, backward-shift deletion).
    size_t home_slot(wire::Ipv4Addr ip) const noexcept;
    uint32_t find(wire::Ipv4Addr ip) const noexcept;
    void index_insert(uint32_t idx) noexcept;
    void index_erase(uint32_t idx) noexcept;

    // Intrusive index lists; `link` selects which Link of the entry is used.
    void list_push_back(List& l, Link Entry::*link, uint32_t idx) noexcept;
    void list_unlink(List& l, Link Entry::*link, uint32_t idx) noexcept;

    NeighborConfig cfg_;
    DropCounters& drops_;
    std::vector<Entry> entries_;
    std::vector<uint32_t> free_;   // stack of unused entry indices
    std::vector<uint32_t> slots_;  // index: entry index or kNil; size is a power of two
    unsigned slot_bits_ = 0;
    List lru_;
    List timers_;               // incomplete and probe entries, sorted by next_request
    size_t pending_total_ = 0;  // frames queued over all entries (max_pending_total)
};

}  // namespace shunt
