// ICMPv4: check, parse (checksum not verified), then emit the header into a fresh buffer
// holding the same payload, fill the checksum, and parse again verifying it: the reprs must
// be equal.
#include "fuzz_check.hpp"
#include "stack/wire/icmpv4.hpp"

#include <algorithm>

using namespace shunt;
using namespace shunt::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = fuzz::mutable_copy({data, size});
    auto view = Icmpv4View::check(in);
    if (!view.ok()) return 0;
    auto repr = Icmpv4Repr::parse(view.value, /*verify_checksum=*/false);
    if (!repr.ok()) return 0;
    auto verified = Icmpv4Repr::parse(view.value, /*verify_checksum=*/true);
    fuzz::require(verified.ok() ? verified.value == repr.value
                                : verified.error == Error::bad_checksum);

    std::vector<uint8_t> out(size);
    const auto payload = view.value.payload();
    std::copy(payload.begin(), payload.end(), out.begin() + Icmpv4Repr::header_len());
    Icmpv4View out_view{out};
    repr.value.emit_header(out_view);
    out_view.fill_checksum();
    auto back = Icmpv4Repr::parse(out_view, /*verify_checksum=*/true);
    fuzz::require(back.ok() && back.value == repr.value);
    return 0;
}
