// Small integer handles over a fixed table, as POSIX hands out file descriptors, with one
// difference that matters to a library: a handle carries its slot's generation, so a handle
// kept after close() never reaches the slot's next occupant (EBADF instead of someone else's
// connection). handle = generation << kIndexBits | (index + 1): always >= 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace shunt::lib {

template <typename T>
class HandleTable {
  public:
    static constexpr int kIndexBits = 20;  // up to 1,048,575 slots
    static constexpr uint32_t kMaxSlots = (1u << kIndexBits) - 1;
    static constexpr uint32_t kGenerations = 1u << (31 - kIndexBits);  // handles stay > 0

    explicit HandleTable(uint32_t capacity) : slots_(capacity > kMaxSlots ? kMaxSlots : capacity) {
        free_.reserve(slots_.size());
        for (size_t i = slots_.size(); i > 0; --i) free_.push_back(static_cast<uint32_t>(i - 1));
    }

    // A new handle whose value is `value`; -1 when the table is full.
    int add(T value) {
        if (free_.empty()) return -1;
        const uint32_t index = free_.back();
        free_.pop_back();
        Slot& s = slots_[index];
        s.used = true;
        s.value = std::move(value);
        ++live_;
        return static_cast<int>((s.gen << kIndexBits) | (index + 1));
    }
    // The value behind a live handle; null for a stale, foreign or out-of-range one.
    T* get(int handle) noexcept {
        if (handle <= 0) return nullptr;
        const uint32_t h = static_cast<uint32_t>(handle);
        const uint32_t index = (h & kMaxSlots) - 1;
        if ((h & kMaxSlots) == 0 || index >= slots_.size()) return nullptr;
        Slot& s = slots_[index];
        if (!s.used || s.gen != (h >> kIndexBits)) return nullptr;
        return &s.value;
    }
    // Frees a live handle (false if it is not one); its slot's next handle differs.
    bool remove(int handle) {
        T* v = get(handle);
        if (v == nullptr) return false;
        const uint32_t index = (static_cast<uint32_t>(handle) & kMaxSlots) - 1;
        Slot& s = slots_[index];
        s.value = T{};
        s.used = false;
        s.gen = (s.gen + 1) % kGenerations;
        free_.push_back(index);
        --live_;
        return true;
    }
    size_t live() const noexcept { return live_; }
    size_t capacity() const noexcept { return slots_.size(); }
    // Visits live entries from slot `start` on, wrapping: f(handle, value&) returns false to stop.
    template <typename F>
    void for_each_from(size_t start, F&& f) {
        const size_t n = slots_.size();
        for (size_t k = 0; k < n; ++k) {
            const size_t i = (start + k) % n;
            Slot& s = slots_[i];
            if (!s.used) continue;
            const int handle = static_cast<int>((s.gen << kIndexBits) | (i + 1));
            if (!f(handle, s.value, i)) return;
        }
    }

  private:
    struct Slot {
        T value{};
        uint32_t gen = 0;
        bool used = false;
    };
    std::vector<Slot> slots_;
    std::vector<uint32_t> free_;
    size_t live_ = 0;
};

}  // namespace shunt::lib
