// What a PCI NIC driver trusts of its device, and how it notices the device is gone.
//
// A read from a PCI function that no longer answers (surprise removal, a PCIe link that went
// down, a function in error recovery) completes with all ones: the PCI master-abort rule (PCI
// Local Bus 3.0: a read that no target claims returns all 1s; we cite it as §3.3.3.1 without
// having checked the number against the text), which PCIe root complexes keep for completion
// timeouts and unsupported requests. Linux's igb (igb_rd32: "PCIe link lost") and ixgbe
// (ixgbe_check_remove) take an all-ones read the same way and detach; this file is that rule
// for our drivers. Registers such as STATUS and ICR have reserved bits that read 0 on a
// present device, so all ones there is never a real value.
//
// Once gone, a driver writes nothing more to the BAR (a write to a vanished function is lost
// at best, and on some platforms an error the kernel has to recover from), reads no more
// statistics (all-ones values would be added to the totals as if they were counts), and
// reports NicHealth::gone with one line.
#pragma once

#include "base/log.hpp"
#include "driver/nic.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace shunt {

// The value a read of an absent PCI function completes with.
inline constexpr uint32_t kAllOnes = 0xFFFF'FFFFu;

// For an error message about `value` (a register a present device never reads all ones): a
// hint when it does, "" otherwise.
inline const char* all_ones_hint(uint32_t value) {
    return value == kAllOnes ? "; it reads all ones: the device does not answer (removed, its "
                               "link down, or powered off)"
                             : "";
}

// A driver's view of its device's health: ok until a register reads all ones (gone) or the
// kernel asks for the device back (release_requested). Queues of one NIC may be polled from
// several threads, so the state is atomic; the message is written once, by whichever thread
// noticed first, before the state is published.
class DeviceHealth {
  public:
    NicHealth state() const noexcept { return state_.load(std::memory_order_acquire); }
    bool ok() const noexcept { return state() == NicHealth::ok; }
    bool gone() const noexcept { return state() == NicHealth::gone; }
    // Empty while ok.
    std::string message() const { return state() == NicHealth::ok ? std::string() : message_; }

    // `value` was just read from `reg`, a register that never reads all ones on a present
    // device. Returns whether the device is gone (now or before); logs one line the first time.
    bool check(uint32_t value, const char* reg, std::string_view name) noexcept {
        if (value != kAllOnes) return gone();
        settle(NicHealth::gone,
               fmt::format("{}: device gone: {} reads {:#010x} (the PCI function no longer "
                           "answers: removed, or its link is down); the driver stopped using it",
                           name, reg, value));
        return true;
    }
    // The kernel asked for the device back (VFIO request interrupt).
    void request_release(std::string_view name) noexcept {
        settle(NicHealth::release_requested,
               fmt::format("{}: the kernel asks for the device back (unbind or unplug waiting: "
                           "VFIO request interrupt); releasing it",
                           name));
    }

  private:
    void settle(NicHealth to, std::string message) noexcept {
        bool expected = false;
        if (!claimed_.compare_exchange_strong(expected, true)) {
            // Already settled (or being settled). A device that vanishes after the kernel asked
            // for it is gone all the same: stop touching it, keep the first message.
            NicHealth asked = NicHealth::release_requested;
            if (to == NicHealth::gone) state_.compare_exchange_strong(asked, NicHealth::gone);
            return;
        }
        message_ = std::move(message);
        log::error("{}", message_);
        state_.store(to, std::memory_order_release);
    }

    std::atomic<NicHealth> state_{NicHealth::ok};
    std::atomic<bool> claimed_{false};
    std::string message_;
};

}  // namespace shunt
