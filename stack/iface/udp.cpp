// Interface: UDP input (RFC 768, RFC 1122 §4.1) and UDP sockets.
#include "stack/wire/udp.hpp"
#include "packet/chain_checksum.hpp"
#include "stack/iface/interface.hpp"
#include "stack/wire/icmpv4.hpp"
#include "stack/wire/ipv4.hpp"

#include <cstring>

namespace shunt {

namespace {

constexpr size_t kUdpHeader = wire::UdpView::kHeaderLen;

}  // namespace

void Interface::receive_udp(const Ipv4Meta& meta, PacketChain payload) noexcept {
    PacketBuf* first = payload.front();
    if (first->length() < kUdpHeader) return drops_.count(DropReason::udp_malformed);
    wire::UdpView udp(std::span(first->data(), kUdpHeader));
    const size_t total = payload.byte_length();
    const uint16_t length = udp.length();
    if (length < kUdpHeader || length > total) return drops_.count(DropReason::udp_malformed);
    if (length < total) chain_trim_to(payload, length);
    const bool hw_checked = (first->flags() & rx_flags::l4_csum_good) != 0;
    // A zero checksum means the sender computed none (RFC 768).
    if (udp.checksum() != 0 && !hw_checked &&
        !chain_checksum_ok(
            payload, wire::pseudo_header_sum(meta.src, meta.dst, wire::ip_proto::udp, length))) {
        return drops_.count(DropReason::udp_bad_checksum);
    }
    counters_.udp_rx++;
    const Endpoint from{meta.src, udp.src_port()};
    auto it = udp_sockets_.find(udp.dst_port());
    if (it == udp_sockets_.end()) {
        drops_.count(DropReason::udp_no_socket);
        // RFC 1122 §4.1.3.1: port unreachable, but never for broadcasts.
        if (!meta.to_broadcast) {
            send_icmp_error(wire::icmp_type::dest_unreachable, wire::icmp_unreach::port, *first);
        }
        return;
    }
    first->trim_front(kUdpHeader);
    if (first->length() == 0 && payload.count() > 1) payload.pop_front();
    // A datagram waits in the socket's queue until the application reads it; holding it
    // must not eat into the pool's reserve (ACKs, ARP, RX refill: stack/iface/buffer_budget.hpp).
    if (!budget_.reserve_intact()) return drops_.count(DropReason::udp_budget);
    if (!it->second->deliver(UdpDatagram{from, meta.dst, std::move(payload)})) {
        drops_.count(DropReason::udp_socket_queue_full);
    }
}

UdpSocket* Interface::udp_bind(uint16_t port) {
    if (port == 0) {
        // RFC 6335 §6: ephemeral ports come from 49152-65535.
        for (int tries = 0; tries < 16384 && port == 0; ++tries) {
            const uint16_t candidate = next_ephemeral_;
            next_ephemeral_ = next_ephemeral_ == 65535 ? 49152 : next_ephemeral_ + 1;
            if (!udp_sockets_.contains(candidate)) port = candidate;
        }
        if (port == 0) return nullptr;
    }
    if (udp_sockets_.contains(port)) return nullptr;
    // Datagrams queued per socket: the configured limit, and at most the socket's share of
    // the pool (each datagram holds at least one buffer).
    const size_t limit =
        std::min(config_.udp_queue_limit, budget_.share(config_.budget.udp_socket_percent));
    auto socket = std::make_unique<UdpSocket>(*this, port, limit);
    UdpSocket* raw = socket.get();
    udp_sockets_.emplace(port, std::move(socket));
    return raw;
}

void Interface::udp_close(UdpSocket* socket) {
    if (socket != nullptr) udp_sockets_.erase(socket->port());
}

bool UdpSocket::deliver(UdpDatagram&& d) noexcept {
    if (count_ == ring_.size()) return false;
    ring_[(head_ + count_) % ring_.size()] = std::move(d);
    ++count_;
    return true;
}

bool UdpSocket::recv(UdpDatagram& out) noexcept {
    if (count_ == 0) return false;
    out = std::move(ring_[head_]);
    head_ = (head_ + 1) % ring_.size();
    --count_;
    return true;
}

SendResult UdpSocket::send_to(Endpoint to, PacketChain payload) noexcept {
    if (payload.empty()) {
        PacketBuf* b = iface_.tx_pool().alloc();
        if (b == nullptr) return SendResult::no_buffer;
        payload.push_back(Packet(b));
    }
    const size_t total = payload.byte_length() + kUdpHeader;
    if (total > 65535 - 20) return SendResult::too_big;
    uint8_t* h = payload.front()->prepend(kUdpHeader);
    if (h == nullptr) return SendResult::bad_payload;
    wire::UdpView udp(std::span(h, kUdpHeader));
    udp.set_src_port(port_);
    udp.set_dst_port(to.port);
    udp.set_length(static_cast<uint16_t>(total));
    udp.set_checksum(0);
    const wire::Ipv4Addr src = iface_.config().address.addr;
    uint16_t sum = chain_checksum(
        payload,
        wire::pseudo_header_sum(src, to.addr, wire::ip_proto::udp, static_cast<uint16_t>(total)));
    udp.set_checksum(sum == 0 ? 0xffff : sum);  // RFC 768: a computed zero is sent as ones
    iface_.counters_.udp_tx++;
    return iface_.send_ipv4(to.addr, wire::ip_proto::udp, std::move(payload));
}

SendResult UdpSocket::copy_send_to(Endpoint to, std::span<const uint8_t> bytes) noexcept {
    if (bytes.size() + kUdpHeader > 65535 - 20) return SendResult::too_big;
    // Chunks shaped like the fragments send_ipv4 will make, so it fragments in place.
    const size_t fragment = (iface_.config().mtu - 20u) & ~size_t{7};
    PacketChain chain;
    size_t done = 0;
    do {
        PacketBuf* b = iface_.tx_pool().alloc();
        if (b == nullptr) return SendResult::no_buffer;
        chain.push_back(Packet(b));
        const size_t room = chain.count() == 1 ? fragment - kUdpHeader : fragment;
        const size_t n = std::min(room, bytes.size() - done);
        if (n > 0) std::memcpy(b->append(n), bytes.data() + done, n);
        done += n;
    } while (done < bytes.size());
    iface_.counters_.tx_copy_bytes += bytes.size();
    return send_to(to, std::move(chain));
}

}  // namespace shunt
