// Time is passed in: the stack never reads a clock, so every test is deterministic.
// Only the daemon's loop calls Instant::now().
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

namespace shunt {

using Duration = std::chrono::microseconds;
using std::chrono_literals::operator""ms;
using std::chrono_literals::operator""s;
using std::chrono_literals::operator""us;

// A point in time in microseconds on an arbitrary (monotonic) epoch.
class Instant {
  public:
    constexpr Instant() = default;
    constexpr explicit Instant(int64_t micros) : us_(micros) {}
    static constexpr Instant from_millis(int64_t ms) { return Instant(ms * 1000); }

    static Instant now() noexcept {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return Instant(static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000);
    }

    constexpr int64_t micros() const { return us_; }
    constexpr int64_t millis() const { return us_ / 1000; }

    constexpr Instant operator+(Duration d) const { return Instant(us_ + d.count()); }
    constexpr Instant operator-(Duration d) const { return Instant(us_ - d.count()); }
    constexpr Duration operator-(Instant o) const { return Duration(us_ - o.us_); }
    constexpr Instant& operator+=(Duration d) {
        us_ += d.count();
        return *this;
    }
    constexpr auto operator<=>(const Instant&) const = default;

  private:
    int64_t us_ = 0;
};

}  // namespace shunt
