// Time in the sans-IO sessions. They never read a clock: the driver hands them the poll's
// `now` (tick) before offering bytes, and asks whether a timeout ended the session. A peer
// that holds a connection open without finishing a request (slowloris) or without sending
// anything at all would otherwise pin a connection slot and its buffers for ever.
#pragma once

#include "base/time.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace shunt::app {

enum class SessionTimeout : uint8_t {
    none,
    header,  // a request header not complete within the header timeout
    idle,    // no byte in either direction for the idle timeout
};

inline constexpr std::string_view to_string(SessionTimeout t) noexcept {
    switch (t) {
        case SessionTimeout::header:
            return "header";
        case SessionTimeout::idle:
            return "idle";
        case SessionTimeout::none:
            break;
    }
    return "none";
}

// One running deadline: started at `since`, expiring `limit` later (a limit <= 0 never
// expires). The first tick of a session starts its clock.
struct SessionClock {
    Instant now{};
    bool started = false;

    void tick(Instant t) noexcept {
        if (!started || t > now) now = t;
        started = true;
    }
    static bool expired(Instant since, Duration limit, Instant now) noexcept {
        return limit > Duration(0) && now >= since && now - since >= limit;
    }
    static std::optional<Instant> deadline(Instant since, Duration limit) noexcept {
        if (limit <= Duration(0)) return std::nullopt;
        return since + limit;
    }
};

}  // namespace shunt::app
