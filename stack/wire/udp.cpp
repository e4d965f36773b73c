#include "stack/wire/udp.hpp"

#include "stack/wire/ipv4.hpp"

namespace shunt::wire {

Parsed<UdpView> UdpView::check(std::span<uint8_t> bytes) noexcept {
    if (bytes.size() < kHeaderLen) return {{}, Error::truncated};
    UdpView view{bytes};
    const size_t len = view.length();
    if (len < kHeaderLen || len > bytes.size()) return {{}, Error::bad_length};
    return {view};
}

uint16_t udp_checksum(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> udp_datagram) noexcept {
    const uint32_t pseudo =
        pseudo_header_sum(src, dst, ip_proto::udp, static_cast<uint16_t>(udp_datagram.size()));
    const uint16_t c = checksum_fold(checksum_partial(udp_datagram, pseudo));
    return c == 0 ? uint16_t{0xffff} : c;
}

Parsed<UdpRepr> UdpRepr::parse(const UdpView& view, Ipv4Addr src, Ipv4Addr dst,
                               bool verify_checksum) noexcept {
    if (auto checked = UdpView::check(view.bytes()); !checked.ok()) return {{}, checked.error};
    const uint16_t len = view.length();
    if (verify_checksum && view.checksum() != 0) {
        const uint32_t pseudo = pseudo_header_sum(src, dst, ip_proto::udp, len);
        if (checksum_fold(checksum_partial(view.bytes().first(len), pseudo)) != 0) {
            return {{}, Error::bad_checksum};
        }
    }
    return {UdpRepr{view.src_port(), view.dst_port(),
                    static_cast<uint16_t>(len - UdpView::kHeaderLen)}};
}

void UdpRepr::emit(UdpView& view, Ipv4Addr src, Ipv4Addr dst, bool fill_checksum) const noexcept {
    const auto len = static_cast<uint16_t>(UdpView::kHeaderLen + payload_len);
    view.set_src_port(src_port);
    view.set_dst_port(dst_port);
    view.set_length(len);
    view.set_checksum(0);
    if (fill_checksum) view.set_checksum(udp_checksum(src, dst, view.bytes().first(len)));
}

}  // namespace shunt::wire
