// The fd table: which kernel fd numbers are shunt sockets. Each shunt socket is backed by a real
// kernel fd (an eventfd that reserves the number and doubles as the socket's wakeup), so the
// table only marks numbers the kernel already handed out; it never invents fd numbers.
//
// Lookups are one bounds check and one atomic load, without a lock: every interposed call on a
// kernel fd pays only that. Writers (socket, accept, dup, close) hold the layer's lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace shunt::posix {

template <typename T>
class FdTable {
  public:
    explicit FdTable(size_t size) : size_(size), slots_(new std::atomic<T*>[size]) {
        for (size_t i = 0; i < size_; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
    }

    // The socket behind fd, or null for a kernel fd (or a number beyond the table).
    T* get(int fd) const noexcept {
        if (fd < 0 || static_cast<size_t>(fd) >= size_) return nullptr;
        return slots_[static_cast<size_t>(fd)].load(std::memory_order_acquire);
    }
    // False when fd does not fit in the table (the caller falls back to the kernel).
    bool set(int fd, T* value) noexcept {
        if (fd < 0 || static_cast<size_t>(fd) >= size_) return false;
        slots_[static_cast<size_t>(fd)].store(value, std::memory_order_release);
        return true;
    }
    T* take(int fd) noexcept {
        if (fd < 0 || static_cast<size_t>(fd) >= size_) return nullptr;
        return slots_[static_cast<size_t>(fd)].exchange(nullptr, std::memory_order_acq_rel);
    }
    size_t size() const noexcept { return size_; }

  private:
    size_t size_;
    std::unique_ptr<std::atomic<T*>[]> slots_;
};

}  // namespace shunt::posix
