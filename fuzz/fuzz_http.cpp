// HTTP/1.1: the request parser and the server session (stack/app). The first input byte
// picks how the rest is cut into received pieces and how large the output buffers are; the
// session must produce exactly the same bytes, close the same way and answer as many
// requests as when the whole input arrives at once (a sans-IO session may not depend on
// segmentation). The raw parser must consume no more than it is given and hand out body
// views inside its input.
#include "fuzz_check.hpp"
#include "stack/app/http_parser.hpp"
#include "stack/app/http_server.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace shunt;
using namespace shunt::app;

namespace {

struct Outcome {
    std::string output;
    bool closed = false;
    uint64_t responses = 0;
};

// Small limits so the fuzzer reaches them; /bytes/N stays small so output stays bounded.
HttpServerConfig fuzz_config() {
    HttpServerConfig c;
    c.limits.max_request_line = 256;
    c.limits.max_header_bytes = 1024;
    c.limits.max_headers = 16;
    c.limits.max_chunk_line = 64;
    c.limits.max_body_bytes = 1 << 16;
    c.max_bytes_n = 4096;
    return c;
}

Outcome serve(std::span<const uint8_t> input, size_t piece, size_t out_piece) {
    HttpSession session{fuzz_config()};
    std::vector<uint8_t> pending;
    std::vector<uint8_t> buf(out_piece);
    Outcome o;
    auto pump = [&] {
        for (;;) {
            bool progress = false;
            const size_t n = session.on_receive(pending);
            fuzz::require(n <= pending.size());
            if (n > 0) {
                pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(n));
                progress = true;
            }
            while (size_t m = session.produce(buf)) {
                fuzz::require(m <= buf.size());
                o.output.append(reinterpret_cast<const char*>(buf.data()), m);
                progress = true;
            }
            if (!progress) return;
        }
    };
    for (size_t at = 0; at < input.size(); at += piece) {
        const auto part = input.subspan(at, std::min(piece, input.size() - at));
        pending.insert(pending.end(), part.begin(), part.end());
        pump();
    }
    if (pending.empty()) session.on_peer_closed();
    pump();
    o.closed = session.should_close();
    o.responses = session.responses();
    return o;
}

void check_parser(std::span<const uint8_t> in) {
    HttpRequestParser p{fuzz_config().limits};
    for (int guard = 0; guard < 100000; ++guard) {
        const HttpStep s = p.step(in);
        fuzz::require(s.consumed <= in.size());
        if (s.event == HttpEvent::body) {
            fuzz::require(s.body.data() == in.data() && s.body.size() == s.consumed &&
                          !s.body.empty());
        }
        if (s.event == HttpEvent::error) {
            fuzz::require(p.error().status >= 400 && p.error().status <= 505);
            fuzz::require(!p.error().reason.empty());
            return;
        }
        in = in.subspan(s.consumed);
        if (s.event == HttpEvent::end) p.reset();
        if (s.event == HttpEvent::need_more && in.empty()) return;
    }
    fuzz::require(false);  // no progress: the parser looped
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const size_t piece = 1 + data[0] % 64;
    const size_t out_piece = 1 + data[0] / 64 * 500;
    const std::span<const uint8_t> input{data + 1, size - 1};
    check_parser(input);
    const Outcome whole = serve(input, input.size() + 1, 1 << 16);
    const Outcome split = serve(input, piece, out_piece);
    fuzz::require(whole.output == split.output);
    fuzz::require(whole.closed == split.closed);
    fuzz::require(whole.responses == split.responses);
    return 0;
}
