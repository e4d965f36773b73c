#include "tools/service_notify.hpp"

#include "base/log.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <string>

namespace shunt::tools {

ServiceNotifier::ServiceNotifier() {
    const char* sock = std::getenv("NOTIFY_SOCKET");
    active_ = sock != nullptr && sock[0] != '\0';
    uint64_t usec = 0;
    // > 0: the manager expects WATCHDOG=1 from this process at least every usec.
    if (active_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        watchdog_ = Duration(static_cast<int64_t>(usec / 2));
    }
}

void ServiceNotifier::send(std::string_view what, std::string_view status) {
    if (!active_) return;
    std::string msg(what);
    if (!status.empty()) {
        if (!msg.empty()) msg += '\n';
        msg += "STATUS=";
        // One line: the protocol separates assignments by newlines.
        for (char c : status) msg += c == '\n' ? ' ' : c;
    }
    // unset_environment = 0: later calls (status, watchdog, stopping) need NOTIFY_SOCKET too.
    if (const int r = sd_notify(0, msg.c_str()); r < 0) {
        log::warn("sd_notify: error {}", -r);
    }
}

void ServiceNotifier::ready(std::string_view status) {
    send("READY=1", status);
    if (watchdog_) {
        log::info("systemd watchdog: WATCHDOG=1 every {} ms", watchdog_->count() / 1000);
    }
}

void ServiceNotifier::status(std::string_view status) {
    send("", status);
}

void ServiceNotifier::stopping(std::string_view status) {
    send("STOPPING=1", status);
}

void ServiceNotifier::kick(Instant now) {
    send("WATCHDOG=1", "");
    next_watchdog_ = now + *watchdog_;
}

}  // namespace shunt::tools
