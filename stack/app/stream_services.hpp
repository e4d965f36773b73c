// The echo (RFC 862, TCP port 7) and discard (RFC 863, TCP port 9) services as sans-IO
// sessions: bytes in (on_receive), bytes out (produce), no sockets.
#pragma once

#include "stack/app/session_time.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace shunt::app {

inline constexpr uint16_t kEchoPort = 7;
inline constexpr uint16_t kDiscardPort = 9;
// Echo and discard close a connection with no byte in either direction for this long
// (the HTTP service's idle default): a peer that connects and goes quiet cannot hold a
// connection slot for ever.
inline constexpr Duration kStreamIdleTimeout = std::chrono::seconds(60);

// Idle tracking shared by echo and discard: activity is a byte taken or produced.
class StreamIdle {
  public:
    explicit StreamIdle(Duration idle) : idle_(idle) {}
    // transport_busy: the transport still delivers what the session produced (TCP's own
    // timers judge a peer that stops acknowledging); the idle clock restarts.
    void tick(Instant now, bool transport_busy) noexcept {
        const bool first = !clock_.started;
        clock_.tick(now);
        if (first || transport_busy) last_ = clock_.now;
        if (!timed_out_ && SessionClock::expired(last_, idle_, clock_.now)) timed_out_ = true;
    }
    void activity() noexcept { last_ = clock_.now; }
    SessionTimeout timeout() const noexcept {
        return timed_out_ ? SessionTimeout::idle : SessionTimeout::none;
    }
    std::optional<Instant> deadline() const noexcept {
        if (timed_out_ || !clock_.started) return std::nullopt;
        return SessionClock::deadline(last_, idle_);
    }

  private:
    Duration idle_;
    SessionClock clock_;
    Instant last_{};
    bool timed_out_ = false;
};

// RFC 862: "Once a connection is established any data received is sent back." The data
// waits in a ring of fixed capacity (allocated once): when it is full, on_receive takes
// less and the unread bytes stay with the transport, whose window then closes, so a peer
// that never reads cannot make the server buffer without bound.
class EchoSession {
  public:
    explicit EchoSession(size_t capacity = 64 * 1024, Duration idle_timeout = kStreamIdleTimeout);

    size_t on_receive(std::span<const uint8_t> in) noexcept;  // bytes taken
    size_t produce(std::span<uint8_t> out) noexcept;          // bytes written
    // After FIN, everything received is still echoed; then the connection closes.
    void on_peer_closed() noexcept { peer_closed_ = true; }

    bool has_output() const noexcept { return size_ > 0; }
    bool should_close() const noexcept { return peer_closed_ && size_ == 0; }
    uint64_t bytes_echoed() const noexcept { return echoed_; }

    // The poll's clock; the idle timeout runs from the last byte taken or echoed.
    void tick(Instant now, bool transport_busy = false) noexcept {
        idle_.tick(now, transport_busy);
    }
    // Once not none, the driver closes the connection (FIN, then abort if it lingers).
    SessionTimeout timeout() const noexcept { return idle_.timeout(); }
    std::optional<Instant> deadline() const noexcept { return idle_.deadline(); }

  private:
    StreamIdle idle_;
    std::vector<uint8_t> ring_;
    size_t head_ = 0;  // next byte to send
    size_t size_ = 0;
    bool peer_closed_ = false;
    uint64_t echoed_ = 0;
};

// RFC 863: "Any received data is thrown away. No response is sent."
class DiscardSession {
  public:
    explicit DiscardSession(Duration idle_timeout = kStreamIdleTimeout) : idle_(idle_timeout) {}

    size_t on_receive(std::span<const uint8_t> in) noexcept {
        if (!in.empty()) idle_.activity();
        received_ += in.size();
        return in.size();
    }
    size_t produce(std::span<uint8_t>) noexcept { return 0; }
    void on_peer_closed() noexcept { peer_closed_ = true; }

    bool has_output() const noexcept { return false; }
    bool should_close() const noexcept { return peer_closed_; }
    uint64_t bytes_discarded() const noexcept { return received_; }

    void tick(Instant now, bool transport_busy = false) noexcept {
        idle_.tick(now, transport_busy);
    }
    SessionTimeout timeout() const noexcept { return idle_.timeout(); }
    std::optional<Instant> deadline() const noexcept { return idle_.deadline(); }

  private:
    StreamIdle idle_;
    uint64_t received_ = 0;
    bool peer_closed_ = false;
};

}  // namespace shunt::app
