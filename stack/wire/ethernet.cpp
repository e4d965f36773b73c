#include "stack/wire/ethernet.hpp"

namespace shunt::wire {

Parsed<EthernetView> EthernetView::check(std::span<uint8_t> bytes) noexcept {
    if (bytes.size() < kHeaderLen) return {{}, Error::truncated};
    return {EthernetView{bytes}};
}

Parsed<EthernetRepr> EthernetRepr::parse(const EthernetView& view) noexcept {
    if (view.bytes().size() < EthernetView::kHeaderLen) return {{}, Error::truncated};
    EthernetRepr r{view.src(), view.dst(), view.ethertype()};
    if (r.src.is_multicast()) return {{}, Error::bad_address};
    return {r};
}

void EthernetRepr::emit(EthernetView& view) const noexcept {
    view.set_dst(dst);
    view.set_src(src);
    view.set_ethertype(ethertype);
}

}  // namespace shunt::wire
