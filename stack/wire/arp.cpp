#include "stack/wire/arp.hpp"

namespace shunt::wire {
namespace {

constexpr bool is_group(Ipv4Addr a) {
    return a.is_multicast() || a.is_broadcast();
}

}  // namespace

Parsed<ArpView> ArpView::check(std::span<uint8_t> bytes) noexcept {
    if (bytes.size() < kLen) return {{}, Error::truncated};
    return {ArpView{bytes}};
}

Parsed<ArpRepr> ArpRepr::parse(const ArpView& view) noexcept {
    if (view.bytes().size() < ArpView::kLen) return {{}, Error::truncated};
    if (view.hardware_type() != arp_hardware::ethernet || view.hardware_len() != 6) {
        return {{}, Error::bad_hardware};
    }
    if (view.protocol_type() != ethertype::ipv4 || view.protocol_len() != 4) {
        return {{}, Error::bad_protocol};
    }
    const uint16_t op = view.operation();
    if (op != static_cast<uint16_t>(ArpOp::request) && op != static_cast<uint16_t>(ArpOp::reply)) {
        return {{}, Error::bad_operation};
    }
    ArpRepr r{static_cast<ArpOp>(op), view.sender_mac(), view.sender_ip(), view.target_mac(),
              view.target_ip()};
    if (r.sender_mac.is_multicast() || is_group(r.sender_ip) || is_group(r.target_ip)) {
        return {{}, Error::bad_address};
    }
    return {r};
}

void ArpRepr::emit(ArpView& view) const noexcept {
    view.set_hardware_type(arp_hardware::ethernet);
    view.set_protocol_type(ethertype::ipv4);
    view.set_hardware_len(6);
    view.set_protocol_len(4);
    view.set_operation(static_cast<uint16_t>(op));
    view.set_sender_mac(sender_mac);
    view.set_sender_ip(sender_ip);
    view.set_target_mac(target_mac);
    view.set_target_ip(target_ip);
}

}  // namespace shunt::wire
