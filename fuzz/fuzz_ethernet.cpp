// Ethernet: check, parse, then emit into a fresh buffer and parse again. The reprs must be
// equal, and the emitted header must be the input's 14 bytes (every field is kept).
#include "fuzz_check.hpp"
#include "stack/wire/ethernet.hpp"

#include <algorithm>

using namespace shunt;
using namespace shunt::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = fuzz::mutable_copy({data, size});
    auto view = EthernetView::check(in);
    if (!view.ok()) return 0;
    fuzz::require(view.value.payload().size() == size - EthernetView::kHeaderLen);
    auto repr = EthernetRepr::parse(view.value);
    if (!repr.ok()) return 0;

    std::vector<uint8_t> out(EthernetRepr::header_len());
    EthernetView out_view{out};
    repr.value.emit(out_view);
    auto back = EthernetRepr::parse(out_view);
    fuzz::require(back.ok() && back.value == repr.value);
    fuzz::require(std::equal(out.begin(), out.end(), in.begin()));
    return 0;
}
