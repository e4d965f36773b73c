// TCP: the first 8 bytes are the pseudo header's source and destination, the rest the
// segment. Check, parse (checksum not verified, so every option reaches the option parser),
// then emit into a fresh buffer holding the same payload with the checksum filled, and parse
// again verifying it. The reprs must be equal, except for SACK blocks that emit's
// Linux-style layout has no room for (a peer may pack options tighter); the emitted header
// is 4-aligned and at most 60 bytes; emitting the re-parsed repr gives the same bytes.
#include "fuzz_check.hpp"
#include "stack/wire/tcp.hpp"

#include <algorithm>

using namespace shunt;
using namespace shunt::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::AddressedInput in;
    if (!fuzz::split_addresses(data, size, in)) return 0;
    auto view = TcpView::check(in.bytes);
    if (!view.ok()) return 0;
    const TcpView& v = view.value;
    fuzz::require(v.header_len() == TcpView::kMinHeaderLen + v.options().size());
    fuzz::require(v.header_len() + v.payload().size() == in.bytes.size());
    auto repr = TcpRepr::parse(v, in.src, in.dst, /*verify_checksum=*/false);
    if (!repr.ok()) {
        fuzz::require(repr.error == Error::bad_option);
        return 0;
    }
    auto verified = TcpRepr::parse(v, in.src, in.dst, /*verify_checksum=*/true);
    fuzz::require(verified.ok() ? verified.value == repr.value
                                : verified.error == Error::bad_checksum);
    const TcpRepr& r = repr.value;
    fuzz::require(r.sack_count <= r.sack.size());
    fuzz::require(!r.window_scale || *r.window_scale <= tcp_option::kMaxWindowScale);

    const size_t hlen = r.header_len();
    fuzz::require(hlen % 4 == 0 && hlen >= TcpView::kMinHeaderLen &&
                  hlen <= TcpView::kMaxHeaderLen);
    std::vector<uint8_t> out(hlen + r.payload_len);
    const auto payload = v.payload();
    std::copy(payload.begin(), payload.end(), out.begin() + static_cast<ptrdiff_t>(hlen));
    TcpView out_view{out};
    r.emit(out_view, in.src, in.dst);
    auto back = TcpRepr::parse(out_view, in.src, in.dst, /*verify_checksum=*/true);
    fuzz::require(back.ok());
    TcpRepr want = r;
    want.sack_count = static_cast<uint8_t>(r.emitted_sack_count());
    fuzz::require(back.value == want);
    fuzz::require(back.value.header_len() == hlen);

    std::vector<uint8_t> again(out.size());
    std::copy(payload.begin(), payload.end(), again.begin() + static_cast<ptrdiff_t>(hlen));
    TcpView again_view{again};
    back.value.emit(again_view, in.src, in.dst);
    fuzz::require(again == out);
    return 0;
}
