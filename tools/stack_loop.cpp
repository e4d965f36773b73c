#include "tools/stack_loop.hpp"

#include "stack/stack.hpp"

#include <algorithm>

namespace shunt::tools {

timespec timespec_until(Instant now, Instant wake) noexcept {
    const int64_t us = std::max<int64_t>(0, (wake - now).count());
    return timespec{static_cast<time_t>(us / 1'000'000), static_cast<long>(us % 1'000'000) * 1000};
}

bool shutdown_stack(Stack& stack, size_t max_polls, Duration limit) noexcept {
    const Instant start = Instant::now();
    for (size_t i = 0; i < max_polls; ++i) {
        const Instant now = Instant::now();
        if (now - start > limit) return false;
        if (stack.shutdown_step(now)) return true;
        // A full TX ring: wait for the retry time the stack asks for (not past the limit).
        const Instant wake = std::min(stack.next_deadline().value_or(now), start + limit);
        if (wake > now) {
            const timespec t = timespec_until(now, wake);
            ::nanosleep(&t, nullptr);
        }
    }
    return false;
}

}  // namespace shunt::tools
