#include "stack/iface/neighbor_cache.hpp"

#include <algorithm>
#include <bit>

namespace shunt {

namespace {

NeighborConfig sanitize(NeighborConfig c) {
    // Zero would make the table useless (entries), violate RFC 1122 §2.3.2.2 (queue at least
    // one packet), spin poll() (interval) or never ask at all (probes).
    c.max_entries = std::clamp<size_t>(c.max_entries, 1, size_t{1} << 24);
    c.max_pending_per_entry = std::max<size_t>(c.max_pending_per_entry, 1);
    c.retransmit_interval = std::max(c.retransmit_interval, Duration(1));
    c.max_probes = std::max<uint32_t>(c.max_probes, 1);
    return c;
}

}  // namespace

NeighborCache::NeighborCache(NeighborConfig config, DropCounters& drops)
    : cfg_(sanitize(config)), drops_(drops), entries_(cfg_.max_entries) {
    // Load factor at most 1/2 keeps linear-probing runs short.
    const size_t slots = std::bit_ceil(cfg_.max_entries * 2);
    slot_bits_ = static_cast<unsigned>(std::countr_zero(slots));
    slots_.assign(slots, kNil);
    free_.reserve(cfg_.max_entries);
    for (size_t i = cfg_.max_entries; i-- > 0;) free_.push_back(static_cast<uint32_t>(i));
}

NeighborCache::~NeighborCache() = default;

NeighborState NeighborCache::state_at(const Entry& e, Instant now) const noexcept {
    if (e.state == NeighborState::reachable && now - e.confirmed >= cfg_.reachable_time) {
        return NeighborState::stale;
    }
    return e.state;
}

// ---- data path -------------------------------------------------------------------------

Resolution NeighborCache::resolve(wire::Ipv4Addr next_hop, Packet& pkt, Instant now) noexcept {
    const uint32_t idx = find(next_hop);
    if (idx == kNil) return resolve_miss(next_hop, pkt, now);

    Entry& e = entries_[idx];
    list_unlink(lru_, &Entry::lru, idx);
    list_push_back(lru_, &Entry::lru, idx);
    if (e.state == NeighborState::incomplete) {
        enqueue(e, pkt);
        return {std::nullopt, take_request(idx, now)};
    }
    // RFC 1122 §2.3.2.1 (2): an entry in use past its reachable time is re-validated with
    // requests while it keeps being used; only unanswered probes remove it.
    if (state_at(e, now) == NeighborState::stale) start_probe(idx, now);
    Resolution r{e.mac, false};
    if (e.state == NeighborState::probe) r.send_request = take_request(idx, now);
    return r;
}

Resolution NeighborCache::resolve_miss(wire::Ipv4Addr ip, Packet& pkt, Instant now) noexcept {
    const uint32_t idx = insert_entry(ip, now);
    if (idx == kNil) {
        if (pkt) drops_.count(DropReason::neigh_table_full);
        pkt.reset();
        return {};
    }
    Entry& e = entries_[idx];
    e.state = NeighborState::incomplete;
    e.next_request = now;
    list_push_back(timers_, &Entry::timer, idx);
    enqueue(e, pkt);
    return {std::nullopt, take_request(idx, now)};
}

void NeighborCache::enqueue(Entry& e, Packet& pkt) noexcept {
    if (!pkt) return;
    // RFC 1122 §2.3.2.2 asks to keep "the latest" packet: on overflow the oldest goes.
    if (e.pending.count() >= cfg_.max_pending_per_entry) {
        e.pending.pop_front();
        --pending_total_;
        drops_.count(DropReason::neigh_queue_full);
    } else if (cfg_.max_pending_total != 0 && pending_total_ >= cfg_.max_pending_total) {
        // The stack-wide share is spent: the newcomer goes (each queue keeps its latest).
        pkt.reset();
        return drops_.count(DropReason::neigh_budget);
    }
    e.pending.push_back(std::move(pkt));
    ++pending_total_;
}

// A request may go out when its deadline has come and probes remain; sending one moves the
// entry to the back of the timer FIFO (its new deadline is the latest of all).
bool NeighborCache::take_request(uint32_t idx, Instant now) noexcept {
    Entry& e = entries_[idx];
    if (now < e.next_request || e.probes >= cfg_.max_probes) return false;
    ++e.probes;
    e.next_request = now + cfg_.retransmit_interval;
    list_unlink(timers_, &Entry::timer, idx);
    list_push_back(timers_, &Entry::timer, idx);
    return true;
}

void NeighborCache::start_probe(uint32_t idx, Instant now) noexcept {
    Entry& e = entries_[idx];
    e.state = NeighborState::probe;
    e.probes = 0;
    e.next_request = now;
    list_push_back(timers_, &Entry::timer, idx);
}

PacketChain NeighborCache::learn(wire::Ipv4Addr ip, MacAddr mac, Instant now,
                                 bool create) noexcept {
    uint32_t idx = find(ip);
    if (idx == kNil) {
        // RFC 826: only a packet aimed at us (create) adds an entry; others merely merge.
        if (!create) return {};
        idx = insert_entry(ip, now);
        if (idx == kNil) return {};  // full of neighbors with queued packets: do not cache
        entries_[idx].state = NeighborState::reachable;
    } else {
        list_unlink(lru_, &Entry::lru, idx);
        list_push_back(lru_, &Entry::lru, idx);
    }
    Entry& e = entries_[idx];
    if (has_timer(e)) list_unlink(timers_, &Entry::timer, idx);
    e.mac = mac;
    e.state = NeighborState::reachable;
    e.probes = 0;
    e.confirmed = now;
    pending_total_ -= e.pending.count();
    return std::move(e.pending);
}

// ---- timers ------------------------------------------------------------------------------

size_t NeighborCache::poll(Instant now, std::span<wire::Ipv4Addr> requests) noexcept {
    size_t n = 0;
    // The FIFO is sorted by deadline; each step removes the head or moves it to the back
    // with a deadline after `now` (the interval is at least 1 us), so this terminates.
    while (timers_.head != kNil) {
        const uint32_t idx = timers_.head;
        const Entry& e = entries_[idx];
        if (now < e.next_request) break;
        if (e.probes >= cfg_.max_probes) {
            give_up(idx);
            continue;
        }
        if (n == requests.size()) break;
        requests[n++] = e.ip;
        take_request(idx, now);
    }
    return n;
}

std::optional<Instant> NeighborCache::next_deadline() const noexcept {
    if (timers_.head == kNil) return std::nullopt;
    return entries_[timers_.head].next_request;
}

void NeighborCache::give_up(uint32_t idx) noexcept {
    Entry& e = entries_[idx];
    if (!e.pending.empty()) drops_.count(DropReason::neigh_unresolved, e.pending.count());
    remove_entry(idx);
}

// ---- control plane -----------------------------------------------------------------------

std::optional<MacAddr> NeighborCache::lookup(wire::Ipv4Addr ip) const noexcept {
    const uint32_t idx = find(ip);
    if (idx == kNil || entries_[idx].state == NeighborState::incomplete) return std::nullopt;
    return entries_[idx].mac;
}

bool NeighborCache::remove(wire::Ipv4Addr ip) noexcept {
    const uint32_t idx = find(ip);
    if (idx == kNil) return false;
    give_up(idx);
    return true;
}

// ---- entries -----------------------------------------------------------------------------

// Takes a free entry or evicts one; the entry is indexed and most recently used, with no
// state set. Returns kNil when the table is full of entries that must not be evicted.
uint32_t NeighborCache::insert_entry(wire::Ipv4Addr ip, Instant now) noexcept {
    if (free_.empty()) {
        const uint32_t victim = pick_victim(now);
        if (victim == kNil) return kNil;
        remove_entry(victim);
    }
    const uint32_t idx = free_.back();
    free_.pop_back();
    Entry& e = entries_[idx];
    e.ip = ip;
    e.mac = MacAddr{};
    e.probes = 0;
    e.confirmed = now;
    e.next_request = now;
    index_insert(idx);
    list_push_back(lru_, &Entry::lru, idx);
    return idx;
}

// Least recently used entry without queued packets (evicting one would drop them),
// preferring one that is no longer reachable. O(entries), only when the table is full.
uint32_t NeighborCache::pick_victim(Instant now) const noexcept {
    uint32_t fallback = kNil;
    for (uint32_t i = lru_.head; i != kNil; i = entries_[i].lru.next) {
        const Entry& e = entries_[i];
        if (!e.pending.empty()) continue;
        if (state_at(e, now) != NeighborState::reachable) return i;
        if (fallback == kNil) fallback = i;
    }
    return fallback;
}

// Unlinks the entry everywhere and frees it; queued packets are released (callers count).
void NeighborCache::remove_entry(uint32_t idx) noexcept {
    Entry& e = entries_[idx];
    index_erase(idx);
    list_unlink(lru_, &Entry::lru, idx);
    if (has_timer(e)) list_unlink(timers_, &Entry::timer, idx);
    pending_total_ -= e.pending.count();
    e.pending.clear();
    e.state = NeighborState::incomplete;
    free_.push_back(idx);
}

// ---- index -------------------------------------------------------------------------------

// Fibonacci hashing: the multiply spreads neighboring addresses (a /24 of hosts) over the
// table and the top bits are the best mixed.
size_t NeighborCache::home_slot(wire::Ipv4Addr ip) const noexcept {
    const uint32_t h = ip.value * 0x9e3779b1u;
    return slot_bits_ == 0 ? 0 : h >> (32 - slot_bits_);
}

uint32_t NeighborCache::find(wire::Ipv4Addr ip) const noexcept {
    const size_t mask = slots_.size() - 1;
    for (size_t s = home_slot(ip);; s = (s + 1) & mask) {
        const uint32_t idx = slots_[s];
        if (idx == kNil || entries_[idx].ip == ip) return idx;
    }
}

void NeighborCache::index_insert(uint32_t idx) noexcept {
    const size_t mask = slots_.size() - 1;
    size_t s = home_slot(entries_[idx].ip);
    while (slots_[s] != kNil) s = (s + 1) & mask;
    slots_[s] = idx;
}

// Backward-shift deletion (Knuth 6.4, algorithm R): no tombstones, so probe runs never
// grow with churn.
void NeighborCache::index_erase(uint32_t idx) noexcept {
    const size_t mask = slots_.size() - 1;
    size_t hole = home_slot(entries_[idx].ip);
    while (slots_[hole] != idx) hole = (hole + 1) & mask;
    slots_[hole] = kNil;
    for (size_t s = (hole + 1) & mask; slots_[s] != kNil; s = (s + 1) & mask) {
        const size_t home = home_slot(entries_[slots_[s]].ip);
        // The entry at s may fill the hole unless its home lies cyclically in (hole, s].
        const bool stays = hole <= s ? (hole < home && home <= s) : (hole < home || home <= s);
        if (stays) continue;
        slots_[hole] = slots_[s];
        slots_[s] = kNil;
        hole = s;
    }
}

// ---- intrusive lists ---------------------------------------------------------------------

void NeighborCache::list_push_back(List& l, Link Entry::*link, uint32_t idx) noexcept {
    Link& n = entries_[idx].*link;
    n.prev = l.tail;
    n.next = kNil;
    if (l.tail != kNil) {
        (entries_[l.tail].*link).next = idx;
    } else {
        l.head = idx;
    }
    l.tail = idx;
}

void NeighborCache::list_unlink(List& l, Link Entry::*link, uint32_t idx) noexcept {
    Link& n = entries_[idx].*link;
    if (n.prev != kNil) {
        (entries_[n.prev].*link).next = n.next;
    } else {
        l.head = n.next;
    }
    if (n.next != kNil) {
        (entries_[n.next].*link).prev = n.prev;
    } else {
        l.tail = n.prev;
    }
    n.prev = n.next = kNil;
}

}  // namespace shunt
