// shuntd under systemd's Type=notify (docs/service.md): readiness, status lines, the watchdog
// and shutdown, told to the service manager through libsystemd's sd_notify(3). Outside
// systemd (no NOTIFY_SOCKET) every call does nothing.
#pragma once

#include "base/time.hpp"

#include <optional>
#include <string_view>

namespace shunt::tools {

class ServiceNotifier {
  public:
    // Reads the environment once: NOTIFY_SOCKET (sd_notify) and WATCHDOG_USEC/WATCHDOG_PID
    // (sd_watchdog_enabled).
    ServiceNotifier();

    // READY=1 with a STATUS= line: call once, when the daemon serves (its control socket
    // listens and its NIC is up).
    void ready(std::string_view status);
    // A STATUS= line alone (what `systemctl status` shows).
    void status(std::string_view status);
    // STOPPING=1 with a STATUS= line: the daemon is shutting down.
    void stopping(std::string_view status);
    // From the poll loop, every iteration: WATCHDOG=1 once half the service's WatchdogSec has
    // passed since the last one. Cheap when nothing is due (one comparison).
    void tick(Instant now) {
        if (watchdog_ && now >= next_watchdog_) kick(now);
    }

    bool under_systemd() const noexcept { return active_; }
    // Half of WatchdogSec= when the service has a watchdog for this process, else nullopt.
    std::optional<Duration> watchdog_period() const noexcept { return watchdog_; }

  private:
    void send(std::string_view what, std::string_view status);
    void kick(Instant now);

    bool active_ = false;
    std::optional<Duration> watchdog_;
    Instant next_watchdog_{};
};

}  // namespace shunt::tools
