// Statistics registers that the Intel manuals define as clear-on-read (8254x SDM §13.7, 82574
// DS §10.2.7, 82576 DS §8.19), read by every Intel driver here. QEMU's models leave some of
// them uncleared; see the class comment.
#pragma once

#include "driver/mmio.hpp"

#include <cstdint>

namespace shunt::intel {

// A hardware statistics register that the manuals define as clear-on-read. QEMU's models (e1000,
// e1000e, igb) leave some of them (MPC, RNBC, the error counters) uncleared; the first non-zero
// read finds out which behaviour this register has, and take() returns the increase since the last
// call.
class ClearOnReadCounter {
  public:
    uint64_t take(const Mmio& mmio, uint32_t offset) noexcept {
        return account(mmio.read32(offset), [&] { return mmio.read32(offset); });
    }
    // v: the value just read; reread(): reads the register again.
    template <typename Reread>
    uint64_t account(uint32_t v, Reread&& reread) noexcept {
        switch (mode_) {
            case Mode::clears:
                return v;
            case Mode::sticky: {
                const uint32_t delta = v - last_;  // modulo 2^32: survives a wrap
                last_ = v;
                return delta;
            }
            case Mode::unknown:
                break;
        }
        if (v == 0) return 0;
        // A clearing register reads (almost surely) differently right after a non-zero read.
        const uint32_t again = reread();
        if (again == v) {
            mode_ = Mode::sticky;
            last_ = v;
            return v;
        }
        mode_ = Mode::clears;
        return uint64_t{v} + again;
    }
    bool sticky() const noexcept { return mode_ == Mode::sticky; }
    bool clears() const noexcept { return mode_ == Mode::clears; }

  private:
    enum class Mode : uint8_t { unknown, clears, sticky };
    Mode mode_ = Mode::unknown;
    uint32_t last_ = 0;
};

}  // namespace shunt::intel
