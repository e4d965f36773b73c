// The echo (RFC 862, TCP port 7) and discard (RFC 863, TCP port 9) services as sans-IO
// sessions: bytes in (on_receive), bytes out (produce), no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace shunt::app {

inline constexpr uint16_t kEchoPort = 7;
inline constexpr uint16_t kDiscardPort = 9;

// RFC 862: "Once a connection is established any data received is sent back." The data
// waits in a ring of fixed capacity (allocated once): when it is full, on_receive takes
// less and the unread bytes stay with the transport, whose window then closes, so a peer
// that never reads cannot make the server buffer without bound.
class EchoSession {
  public:
    explicit EchoSession(size_t capacity = 64 * 1024);

    size_t on_receive(std::span<const uint8_t> in) noexcept;  // bytes taken
    size_t produce(std::span<uint8_t> out) noexcept;          // bytes written
    // After FIN, everything received is still echoed; then the connection closes.
    void on_peer_closed() noexcept { peer_closed_ = true; }

    bool has_output() const noexcept { return size_ > 0; }
    bool should_close() const noexcept { return peer_closed_ && size_ == 0; }
    uint64_t bytes_echoed() const noexcept { return echoed_; }

  private:
    std::vector<uint8_t> ring_;
    size_t head_ = 0;  // next byte to send
    size_t size_ = 0;
    bool peer_closed_ = false;
    uint64_t echoed_ = 0;
};

// RFC 863: "Any received data is thrown away. No response is sent."
class DiscardSession {
  public:
    size_t on_receive(std::span<const uint8_t> in) noexcept {
        received_ += in.size();
        return in.size();
    }
    size_t produce(std::span<uint8_t>) noexcept { return 0; }
    void on_peer_closed() noexcept { peer_closed_ = true; }

    bool has_output() const noexcept { return false; }
    bool should_close() const noexcept { return peer_closed_; }
    uint64_t bytes_discarded() const noexcept { return received_; }

  private:
    uint64_t received_ = 0;
    bool peer_closed_ = false;
};

}  // namespace shunt::app
