#include "stack/app/stream_services.hpp"

#include <algorithm>
#include <cstring>

namespace shunt::app {

EchoSession::EchoSession(size_t capacity, Duration idle_timeout)
    : idle_(idle_timeout), ring_(std::max<size_t>(capacity, 1)) {}

size_t EchoSession::on_receive(std::span<const uint8_t> in) noexcept {
    if (peer_closed_) return 0;  // nothing can follow a FIN
    const size_t n = std::min(in.size(), ring_.size() - size_);
    if (n == 0) return 0;
    // Up to two copies: to the end of the ring, then from its start.
    const size_t tail = (head_ + size_) % ring_.size();
    const size_t first = std::min(n, ring_.size() - tail);
    std::memcpy(ring_.data() + tail, in.data(), first);
    std::memcpy(ring_.data(), in.data() + first, n - first);
    size_ += n;
    idle_.activity();
    return n;
}

size_t EchoSession::produce(std::span<uint8_t> out) noexcept {
    const size_t n = std::min(out.size(), size_);
    if (n == 0) return 0;
    const size_t first = std::min(n, ring_.size() - head_);
    std::memcpy(out.data(), ring_.data() + head_, first);
    std::memcpy(out.data() + first, ring_.data(), n - first);
    head_ = (head_ + n) % ring_.size();
    size_ -= n;
    echoed_ += n;
    idle_.activity();
    return n;
}

}  // namespace shunt::app
