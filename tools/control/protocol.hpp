// shuntd's control protocol (docs/control.md), without a socket: JSON lines, one request per
// line and one reply per request, versioned ({"v":1,...}) and matched by the client's "id".
//
//   request  {"v":1,"id":7,"cmd":"stats","args":{...}}          (id and args optional)
//   reply    {"v":1,"id":7,"ok":true,"result":{...}}
//            {"v":1,"id":7,"ok":false,"error":{"code":"bad_request","message":"..."}}
//
// Nothing a client sends is trusted: a line is bounded (LineBuffer), parsed without
// exceptions escaping, and every field is type-checked before use.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace shunt::control {

using Json = nlohmann::ordered_json;

inline constexpr int kProtocolVersion = 1;
// Additions that old clients can ignore (new fields in a result) bump the minor version, sent
// in hello's "protocol_minor"; requests still carry "v": kProtocolVersion. 1: stats has
// tcp.states, nic.queues[], pool.size and pool.in_use (docs/control.md).
inline constexpr int kProtocolMinor = 1;
// A request line's bound (the newline excluded). Requests are small; a longer line is an
// error, replied to once before the client is dropped.
inline constexpr size_t kMaxRequestLine = 64 * 1024;

// The error codes a reply can carry (docs/control.md lists when each is sent).
enum class ErrorCode {
    malformed,            // not JSON
    bad_request,          // JSON, but not a request object (field missing or of a wrong type)
    unsupported_version,  // "v" is not kProtocolVersion
    line_too_long,        // longer than kMaxRequestLine: the client is dropped after the reply
    unknown_command,
    bad_args,         // an argument missing, of a wrong type or out of range
    busy,             // e.g. a capture already runs for another client
    not_running,      // e.g. capture-read without a capture of this client
    not_implemented,  // a reserved command (apps, connections, shutdown)
    failed,           // the command ran and failed; the message says why
};
std::string_view error_code_name(ErrorCode c) noexcept;

struct Request {
    Json id;  // null, an integer or a string: echoed in the reply
    std::string cmd;
    Json args = Json::object();
};

struct ProtocolError {
    ErrorCode code;
    std::string message;
    Json id;  // the request's id when it could be read, else null
};

// Parses one line (without its newline).
std::variant<Request, ProtocolError> parse_request(std::string_view line);

// Reply lines, newline included.
std::string reply_ok(const Json& id, Json result);
std::string reply_error(const Json& id, ErrorCode code, std::string_view message);

// Typed access to a request's arguments: nullopt when absent; an error message when present
// with the wrong type or out of [min, max].
struct ArgError {
    std::string message;
};
std::variant<std::optional<int64_t>, ArgError> int_arg(const Json& args, const char* name,
                                                       int64_t min, int64_t max);
std::variant<std::optional<std::string>, ArgError> string_arg(const Json& args, const char* name,
                                                              size_t max_len);

// Splits a byte stream into lines, each bounded by `max_line`. Feed what read() returned,
// then take lines until none is left. A line over the bound makes next() return
// Overflow once; the buffer is unusable after that (the peer is to be dropped).
class LineBuffer {
  public:
    explicit LineBuffer(size_t max_line = kMaxRequestLine) : max_line_(max_line) {}
    void feed(std::string_view bytes);
    struct Overflow {};
    // A complete line (newline and a trailing \r removed), Overflow, or nullopt: need more.
    std::variant<std::nullopt_t, std::string, Overflow> next();
    size_t buffered() const noexcept { return buf_.size() - start_; }

  private:
    size_t max_line_;
    std::string buf_;
    size_t start_ = 0;    // first byte not yet returned
    size_t scanned_ = 0;  // bytes from start_ known to hold no newline
    bool overflow_ = false;
};

// Hex for frame bytes in capture-read replies (JSON has no binary type).
std::string to_hex(const uint8_t* data, size_t len);
// False on odd length or a non-hex digit.
bool from_hex(std::string_view hex, std::string& out);

}  // namespace shunt::control
