// IPv4: check, parse (checksum not verified, so the fuzzer reaches every later rule), then
// emit into a fresh buffer with the checksum filled and parse again, verifying it: the reprs
// must be equal. Options are dropped by emit and are not part of the repr.
#include "fuzz_check.hpp"
#include "stack/wire/ipv4.hpp"

using namespace shunt;
using namespace shunt::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = fuzz::mutable_copy({data, size});
    auto view = Ipv4View::check(in);
    if (!view.ok()) return 0;
    const Ipv4View& v = view.value;
    fuzz::require(Ipv4View::kMinHeaderLen + v.options().size() + v.payload().size() ==
                  v.total_len());
    auto repr = Ipv4Repr::parse(v, /*verify_checksum=*/false);
    if (!repr.ok()) return 0;
    // With the checksum verified the result is either bad_checksum or the same repr.
    auto verified = Ipv4Repr::parse(v, /*verify_checksum=*/true);
    fuzz::require(verified.ok() ? verified.value == repr.value
                                : verified.error == Error::bad_checksum);

    std::vector<uint8_t> out(Ipv4Repr::header_len() + repr.value.payload_len);
    Ipv4View out_view{out};
    repr.value.emit(out_view);
    auto back = Ipv4Repr::parse(out_view, /*verify_checksum=*/true);
    fuzz::require(back.ok() && back.value == repr.value);
    return 0;
}
