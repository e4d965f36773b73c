// One connection's service, chosen by the local port the connection arrived on: echo (7),
// discard (9) or HTTP (the daemon's --http PORT). The same sans-IO surface as the sessions
// themselves, so the daemon's TCP loop needs no per-service code.
#pragma once

#include "stack/app/http_server.hpp"
#include "stack/app/stream_services.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

namespace shunt::app {

enum class ServiceKind : uint8_t { echo, discard, http };

struct ServicePorts {
    std::optional<uint16_t> echo = kEchoPort;
    std::optional<uint16_t> discard = kDiscardPort;
    std::optional<uint16_t> http{};  // off unless configured
};

// Timeouts of the stream services and of the close that follows any timeout.
struct ServiceTimeouts {
    Duration stream_idle = kStreamIdleTimeout;  // echo and discard: no byte either way
    // After a timeout's FIN, a connection still open this much later is aborted (RST): a
    // peer that never answers the FIN (or never ACKs our last data) is not waited for.
    Duration close_grace = std::chrono::seconds(5);
};

// The service listening on `local_port`, if any (the HTTP port wins if configured onto 7
// or 9).
std::optional<ServiceKind> service_for_port(const ServicePorts& ports,
                                            uint16_t local_port) noexcept;

class ServiceSession {
  public:
    explicit ServiceSession(ServiceKind kind, const HttpServerConfig& http = {},
                            Duration stream_idle = kStreamIdleTimeout);

    ServiceKind kind() const noexcept { return kind_; }
    size_t on_receive(std::span<const uint8_t> in) noexcept;
    size_t produce(std::span<uint8_t> out) noexcept;
    void on_peer_closed() noexcept;
    bool has_output() const noexcept;
    bool should_close() const noexcept;
    // The poll's clock, before bytes are offered; a timeout (not none) ends the session.
    // transport_busy: output the session produced is still being delivered (bytes in the
    // socket's send queue); idle timers do not run then, header timers do.
    void tick(Instant now, bool transport_busy = false) noexcept;
    SessionTimeout timeout() const noexcept;
    std::optional<Instant> deadline() const noexcept;

  private:
    ServiceKind kind_;
    std::variant<EchoSession, DiscardSession, HttpSession> session_;
};

}  // namespace shunt::app
