// The control socket's daemon side (tools/control/): bytes a client sends are cut into lines
// (LineBuffer), parsed (parse_request) and answered (ControlCommands, with a capture it may
// start on fuzzed filters and arguments). Properties: the lines do not depend on how the
// bytes arrive (the first input byte picks the piece size); every line gets exactly one
// reply, a single line of JSON with "v":1 and "ok", and an error reply names its code; an
// oversize line ends the stream.
#include "fuzz_check.hpp"
#include "tools/control/commands.hpp"
#include "tools/control/protocol.hpp"

#include <string>
#include <vector>

using namespace shunt;
using namespace shunt::control;

namespace {

constexpr size_t kMaxLine = 512;  // small, so the fuzzer reaches the bound

std::vector<std::string> split(std::string_view bytes, size_t piece, bool& overflow) {
    LineBuffer b(kMaxLine);
    std::vector<std::string> lines;
    overflow = false;
    for (size_t off = 0; off < bytes.size() && !overflow; off += piece) {
        b.feed(bytes.substr(off, piece));
        for (;;) {
            auto n = b.next();
            if (std::holds_alternative<LineBuffer::Overflow>(n)) {
                overflow = true;
                break;
            }
            if (std::holds_alternative<std::nullopt_t>(n)) break;
            lines.push_back(std::get<std::string>(n));
        }
    }
    return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t piece = 1 + data[0] % 64;
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    bool overflow_whole = false;
    bool overflow_pieces = false;
    const auto whole = split(bytes, bytes.size() + 1, overflow_whole);
    const auto pieces = split(bytes, piece, overflow_pieces);
    // Cut differently, the same lines, up to where an overflow stopped either.
    const size_t common = std::min(whole.size(), pieces.size());
    for (size_t i = 0; i < common; ++i) fuzz::require(whole[i] == pieces[i]);
    if (!overflow_whole && !overflow_pieces) fuzz::require(whole.size() == pieces.size());
    for (const auto& l : whole) fuzz::require(l.size() <= kMaxLine);

    ControlCommands commands(DaemonHooks{"shuntd", "fuzz", [] { return Json::object(); }, {}});
    for (const auto& line : whole) {
        auto parsed = parse_request(line);
        std::string reply;
        if (auto* e = std::get_if<ProtocolError>(&parsed)) {
            reply = reply_error(e->id, e->code, e->message);
        } else {
            reply = commands.handle(std::get<Request>(parsed), 1);
        }
        fuzz::require(!reply.empty() && reply.back() == '\n');
        fuzz::require(reply.find('\n') == reply.size() - 1);
        const Json j = Json::parse(reply, nullptr, false);
        fuzz::require(j.is_object() && j.value("v", 0) == kProtocolVersion);
        fuzz::require(j.contains("ok") && j["ok"].is_boolean());
        if (!j["ok"].get<bool>()) fuzz::require(j["error"]["code"].is_string());
    }
    commands.client_gone(1);
    fuzz::require(!commands.capturing());
    return 0;
}
