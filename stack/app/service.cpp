#include "stack/app/service.hpp"

namespace shunt::app {

namespace {
std::variant<EchoSession, DiscardSession, HttpSession> make(ServiceKind kind,
                                                            const HttpServerConfig& http,
                                                            Duration stream_idle) {
    switch (kind) {
        case ServiceKind::echo:
            return std::variant<EchoSession, DiscardSession, HttpSession>{
                std::in_place_type<EchoSession>, 64 * 1024, stream_idle};
        case ServiceKind::discard:
            return std::variant<EchoSession, DiscardSession, HttpSession>{
                std::in_place_type<DiscardSession>, stream_idle};
        case ServiceKind::http:
            break;
    }
    return std::variant<EchoSession, DiscardSession, HttpSession>{std::in_place_type<HttpSession>,
                                                                  http};
}
}  // namespace

std::optional<ServiceKind> service_for_port(const ServicePorts& ports,
                                            uint16_t local_port) noexcept {
    if (ports.http == local_port) return ServiceKind::http;
    if (ports.echo == local_port) return ServiceKind::echo;
    if (ports.discard == local_port) return ServiceKind::discard;
    return std::nullopt;
}

ServiceSession::ServiceSession(ServiceKind kind, const HttpServerConfig& http, Duration stream_idle)
    : kind_(kind), session_(make(kind, http, stream_idle)) {}

void ServiceSession::tick(Instant now, bool transport_busy) noexcept {
    std::visit([now, transport_busy](auto& s) { s.tick(now, transport_busy); }, session_);
}

SessionTimeout ServiceSession::timeout() const noexcept {
    return std::visit([](const auto& s) { return s.timeout(); }, session_);
}

std::optional<Instant> ServiceSession::deadline() const noexcept {
    return std::visit([](const auto& s) { return s.deadline(); }, session_);
}

size_t ServiceSession::on_receive(std::span<const uint8_t> in) noexcept {
    return std::visit([&](auto& s) { return s.on_receive(in); }, session_);
}

size_t ServiceSession::produce(std::span<uint8_t> out) noexcept {
    return std::visit([&](auto& s) { return s.produce(out); }, session_);
}

void ServiceSession::on_peer_closed() noexcept {
    std::visit([](auto& s) { s.on_peer_closed(); }, session_);
}

bool ServiceSession::has_output() const noexcept {
    return std::visit([](const auto& s) { return s.has_output(); }, session_);
}

bool ServiceSession::should_close() const noexcept {
    return std::visit([](const auto& s) { return s.should_close(); }, session_);
}

}  // namespace shunt::app
