// The connection table: 4-tuple -> TCB, looked up for every arriving segment. Open
// addressing with linear probing in one flat array, sized once for max_connections at a load
// factor of at most 1/2: a lookup is a hash and (nearly always) one cache line, with no node
// to chase and nothing allocated per connection. Deletion shifts the following entries back
// (no tombstones), so probe sequences never grow with churn.
// Beside it, the number of entries per remote IPv4 address (TcpConfig::max_per_source), in a
// second table of the same kind: counted where entries come and go, so the cap costs one
// lookup per SYN and nothing is allocated per connection.
#pragma once

#include "stack/tcp/time_wait.hpp"  // FourTuple, FourTupleHash

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace shunt::tcp {

class TcpSocket;

// Remote address -> number of connections, for at most `capacity` distinct addresses (as
// many as connections can exist). Open addressing with backward-shift deletion, like below.
class SourceCounts {
  public:
    explicit SourceCounts(size_t capacity)
        : slots_(std::bit_ceil(std::max<size_t>(capacity, 4) * 2)),
          shift_(64 - std::countr_zero(slots_.size())) {}

    uint32_t count(wire::Ipv4Addr a) const noexcept {
        for (size_t i = home(a);; i = next(i)) {
            if (slots_[i].count == 0) return 0;
            if (slots_[i].addr == a) return slots_[i].count;
        }
    }
    // Callers add no more distinct addresses than the capacity (ConnTable's own bound).
    void add(wire::Ipv4Addr a) noexcept {
        size_t i = home(a);
        for (; slots_[i].count != 0; i = next(i)) {
            if (slots_[i].addr == a) {
                slots_[i].count++;
                return;
            }
        }
        slots_[i] = Slot{a, 1};
    }
    void remove(wire::Ipv4Addr a) noexcept {
        size_t i = home(a);
        for (;; i = next(i)) {
            if (slots_[i].count == 0) return;
            if (slots_[i].addr == a) break;
        }
        if (--slots_[i].count > 0) return;
        size_t hole = i;  // Knuth vol. 3, 6.4 Algorithm R, as in ConnTable::erase
        for (size_t j = next(hole); slots_[j].count != 0; j = next(j)) {
            const size_t h = home(slots_[j].addr);
            const bool stays = hole < j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (stays) continue;
            slots_[hole] = slots_[j];
            hole = j;
        }
        slots_[hole] = Slot{};
    }

  private:
    struct Slot {
        wire::Ipv4Addr addr{};
        uint32_t count = 0;  // 0: empty
    };
    // Fibonacci hashing (Knuth vol. 3, 6.4): the multiplication's high bits.
    size_t home(wire::Ipv4Addr a) const noexcept {
        return static_cast<size_t>((uint64_t{a.value} * 0x9e3779b97f4a7c15ull) >> shift_);
    }
    size_t next(size_t i) const noexcept { return (i + 1) & (slots_.size() - 1); }

    std::vector<Slot> slots_;
    int shift_;
};

class ConnTable {
  public:
    // Room for `capacity` entries; inserting more fails.
    explicit ConnTable(size_t capacity)
        : capacity_(capacity),
          slots_(std::bit_ceil(std::max<size_t>(capacity, 4) * 2)),
          shift_(64 - std::countr_zero(slots_.size())),
          sources_(capacity) {}

    size_t size() const noexcept { return size_; }
    // Entries whose remote address is `remote`.
    uint32_t count_from(wire::Ipv4Addr remote) const noexcept { return sources_.count(remote); }

    TcpSocket* find(const FourTuple& key) const noexcept {
        for (size_t i = home(key);; i = next(i)) {
            const Slot& s = slots_[i];
            if (s.value == nullptr) return nullptr;
            if (s.key == key) return s.value;
        }
    }

    // False when the key is present already or the table is full.
    bool insert(const FourTuple& key, TcpSocket* value) noexcept {
        if (size_ >= capacity_) return false;
        size_t i = home(key);
        for (; slots_[i].value != nullptr; i = next(i)) {
            if (slots_[i].key == key) return false;
        }
        slots_[i] = Slot{key, value};
        ++size_;
        sources_.add(key.remote_addr);
        return true;
    }

    // Removes the entry if it maps key to value.
    void erase(const FourTuple& key, const TcpSocket* value) noexcept {
        size_t i = home(key);
        for (;; i = next(i)) {
            if (slots_[i].value == nullptr) return;
            if (slots_[i].key == key) break;
        }
        if (slots_[i].value != value) return;
        // Backward-shift deletion (Knuth vol. 3, 6.4 Algorithm R): move later entries of the
        // run into the hole when their home position does not lie between hole and them.
        size_t hole = i;
        for (size_t j = next(hole); slots_[j].value != nullptr; j = next(j)) {
            const size_t h = home(slots_[j].key);
            const bool stays = hole < j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (stays) continue;
            slots_[hole] = slots_[j];
            hole = j;
        }
        slots_[hole] = Slot{};
        --size_;
        sources_.remove(key.remote_addr);
    }

  private:
    struct Slot {
        FourTuple key;
        TcpSocket* value = nullptr;  // null: empty
    };
    // The hash's high bits: it ends in a multiplication, which mixes upwards.
    size_t home(const FourTuple& key) const noexcept {
        return static_cast<size_t>(uint64_t{FourTupleHash{}(key)} >> shift_);
    }
    size_t next(size_t i) const noexcept { return (i + 1) & (slots_.size() - 1); }

    size_t capacity_;
    size_t size_ = 0;
    std::vector<Slot> slots_;
    int shift_;
    SourceCounts sources_;
};

}  // namespace shunt::tcp
