// UDP: the first 8 bytes are the pseudo header's source and destination, the rest the
// datagram. Check, parse (checksum not verified), then emit into a fresh buffer holding the
// same payload with the checksum filled, and parse again verifying it: the reprs must be equal.
#include "fuzz_check.hpp"
#include "stack/wire/udp.hpp"

#include <algorithm>

using namespace shunt;
using namespace shunt::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::AddressedInput in;
    if (!fuzz::split_addresses(data, size, in)) return 0;
    auto view = UdpView::check(in.bytes);
    if (!view.ok()) return 0;
    auto repr = UdpRepr::parse(view.value, in.src, in.dst, /*verify_checksum=*/false);
    if (!repr.ok()) return 0;
    auto verified = UdpRepr::parse(view.value, in.src, in.dst, /*verify_checksum=*/true);
    fuzz::require(verified.ok() ? verified.value == repr.value
                                : verified.error == Error::bad_checksum);

    std::vector<uint8_t> out(UdpRepr::header_len() + repr.value.payload_len);
    const auto payload = view.value.payload();
    fuzz::require(payload.size() == repr.value.payload_len);
    std::copy(payload.begin(), payload.end(), out.begin() + UdpRepr::header_len());
    UdpView out_view{out};
    repr.value.emit(out_view, in.src, in.dst);
    fuzz::require(out_view.checksum() != 0);  // RFC 768: a computed 0 is sent as 0xffff
    auto back = UdpRepr::parse(out_view, in.src, in.dst, /*verify_checksum=*/true);
    fuzz::require(back.ok() && back.value == repr.value);
    return 0;
}
