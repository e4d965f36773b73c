// A move-only chain of packet buffers linked through PacketBuf::next: one datagram whose
// bytes span several buffers (a reassembled IPv4 datagram, a UDP payload larger than one
// buffer) or a queue of frames. It owns one reference per buffer. Nothing here allocates.
#pragma once

#include "packet/packet_buf.hpp"

#include <cstddef>
#include <utility>

namespace shunt {

class PacketChain {
  public:
    PacketChain() = default;
    explicit PacketChain(Packet p) noexcept { push_back(std::move(p)); }
    PacketChain(PacketChain&& o) noexcept
        : head_(std::exchange(o.head_, nullptr)),
          tail_(std::exchange(o.tail_, nullptr)),
          count_(std::exchange(o.count_, 0)) {}
    PacketChain& operator=(PacketChain&& o) noexcept {
        if (this != &o) {
            clear();
            head_ = std::exchange(o.head_, nullptr);
            tail_ = std::exchange(o.tail_, nullptr);
            count_ = std::exchange(o.count_, 0);
        }
        return *this;
    }
    PacketChain(const PacketChain&) = delete;
    PacketChain& operator=(const PacketChain&) = delete;
    ~PacketChain() { clear(); }

    void push_back(Packet p) noexcept {
        PacketBuf* b = p.release();
        if (b == nullptr) return;
        b->set_next(nullptr);
        if (tail_ != nullptr) {
            tail_->set_next(b);
        } else {
            head_ = b;
        }
        tail_ = b;
        ++count_;
    }
    void append(PacketChain&& other) noexcept {
        if (other.head_ == nullptr) return;
        if (tail_ != nullptr) {
            tail_->set_next(other.head_);
        } else {
            head_ = other.head_;
        }
        tail_ = other.tail_;
        count_ += other.count_;
        other.head_ = other.tail_ = nullptr;
        other.count_ = 0;
    }
    Packet pop_front() noexcept {
        PacketBuf* b = head_;
        if (b == nullptr) return {};
        head_ = b->next();
        if (head_ == nullptr) tail_ = nullptr;
        b->set_next(nullptr);
        --count_;
        return Packet(b);
    }
    void clear() noexcept {
        while (head_ != nullptr) pop_front();
    }

    bool empty() const noexcept { return head_ == nullptr; }
    size_t count() const noexcept { return count_; }
    // Sum of the data lengths of every buffer.
    size_t byte_length() const noexcept {
        size_t n = 0;
        for (PacketBuf* b = head_; b != nullptr; b = b->next()) n += b->length();
        return n;
    }
    PacketBuf* front() const noexcept { return head_; }
    PacketBuf* back() const noexcept { return tail_; }

    // Iteration over the buffers (for views and checksums); the chain keeps ownership.
    struct Iterator {
        PacketBuf* cur;
        PacketBuf* operator*() const { return cur; }
        Iterator& operator++() {
            cur = cur->next();
            return *this;
        }
        bool operator==(const Iterator&) const = default;
    };
    Iterator begin() const { return {head_}; }
    Iterator end() const { return {nullptr}; }

  private:
    PacketBuf* head_ = nullptr;
    PacketBuf* tail_ = nullptr;
    size_t count_ = 0;
};

// Drops n bytes from the front of a chain (buffers emptied entirely are released).
void chain_trim_front(PacketChain& chain, size_t n) noexcept;
// Keeps the first `keep` bytes of a chain (buffers past it are released).
void chain_trim_to(PacketChain& chain, size_t keep) noexcept;

}  // namespace shunt
