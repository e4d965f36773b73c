// Register access over a mapped BAR. Every poll has a timeout: a device that never sets a bit
// is an error the caller reports with the register value, never a hang.
//
// A register file can instead be an MmioHook (tests only): every read and write then goes to
// it in program order, so a fake device sees the exact sequence of accesses and can enforce a
// datasheet's ordering rules (tests/unit/drivers/ixgbe_fake.hpp). On a mapped BAR the hook is
// null and the only cost is one predictable branch per access.
#pragma once

#include "base/time.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

namespace shunt {

// A register file in software: sees each access in order (tests' device fakes).
class MmioHook {
  public:
    virtual uint32_t read32(uint32_t offset) noexcept = 0;
    virtual void write32(uint32_t offset, uint32_t value) noexcept = 0;

  protected:
    ~MmioHook() = default;
};

class Mmio {
  public:
    Mmio() = default;
    Mmio(uint8_t* base, size_t size) : base_(base), size_(size) {}
    Mmio(MmioHook* hook, size_t size) : size_(size), hook_(hook) {}

    uint32_t read32(uint32_t offset) const noexcept {
        if (hook_ != nullptr) [[unlikely]]
            return hook_->read32(offset);
        return *reinterpret_cast<const volatile uint32_t*>(base_ + offset);
    }
    void write32(uint32_t offset, uint32_t value) noexcept {
        if (hook_ != nullptr) [[unlikely]] {
            hook_->write32(offset, value);
            return;
        }
        *reinterpret_cast<volatile uint32_t*>(base_ + offset) = value;
    }
    void set_bits(uint32_t offset, uint32_t mask) noexcept {
        write32(offset, read32(offset) | mask);
    }
    void clear_bits(uint32_t offset, uint32_t mask) noexcept {
        write32(offset, read32(offset) & ~mask);
    }
    // Polls until all bits of mask are set (wait_set) or clear (wait_clear), or the timeout
    // passes. Returns whether the condition held; `last` gets the final register value.
    bool wait_set(uint32_t offset, uint32_t mask, Duration timeout,
                  uint32_t* last = nullptr) const noexcept {
        return wait(offset, mask, mask, timeout, last);
    }
    bool wait_clear(uint32_t offset, uint32_t mask, Duration timeout,
                    uint32_t* last = nullptr) const noexcept {
        return wait(offset, mask, 0, timeout, last);
    }

    // Orders descriptor writes in DMA memory before a tail-register write that publishes them.
    static void release_fence() noexcept { std::atomic_thread_fence(std::memory_order_release); }
    // Orders a descriptor's done-bit read before reading the rest of it.
    static void acquire_fence() noexcept { std::atomic_thread_fence(std::memory_order_acquire); }

    uint8_t* base() const { return base_; }
    size_t size() const { return size_; }
    // A BAR or a hook is behind this object.
    bool mapped() const { return base_ != nullptr || hook_ != nullptr; }

  private:
    bool wait(uint32_t offset, uint32_t mask, uint32_t want, Duration timeout,
              uint32_t* last) const noexcept {
        const Instant deadline = Instant::now() + timeout;
        for (;;) {
            const uint32_t v = read32(offset);
            if (last != nullptr) *last = v;
            if ((v & mask) == want) return true;
            if (Instant::now() >= deadline) return false;
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    }

    uint8_t* base_ = nullptr;
    size_t size_ = 0;
    MmioHook* hook_ = nullptr;
};

}  // namespace shunt
