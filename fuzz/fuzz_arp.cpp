// ARP: check, parse, then emit into a fresh buffer and parse again. The reprs must be equal,
// and the 28 emitted bytes must be the input's (parse accepts only what emit writes).
#include "fuzz_check.hpp"
#include "stack/wire/arp.hpp"

#include <algorithm>

using namespace shunt;
using namespace shunt::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = fuzz::mutable_copy({data, size});
    auto view = ArpView::check(in);
    if (!view.ok()) return 0;
    auto repr = ArpRepr::parse(view.value);
    if (!repr.ok()) return 0;

    std::vector<uint8_t> out(ArpRepr::len());
    ArpView out_view{out};
    repr.value.emit(out_view);
    auto back = ArpRepr::parse(out_view);
    fuzz::require(back.ok() && back.value == repr.value);
    fuzz::require(std::equal(out.begin(), out.end(), in.begin()));
    return 0;
}
