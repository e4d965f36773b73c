// An incremental HTTP/1.1 request parser (RFC 9112), sans-IO: it is handed whatever bytes
// arrived, in any split, and reports one event per step.
//
// The request head (request line and header fields) is copied into a buffer of
// HttpLimits::max_header_bytes allocated once at construction, because a head may arrive
// split across segments. Body bytes are never copied: a body event's span points into the
// caller's input. Framing follows RFC 9112 §6.3: Transfer-Encoding with chunked last, else
// Content-Length, else no body (a request never reads to close).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace shunt::app {

struct HttpLimits {
    size_t max_request_line = 8192;               // longer: 414 URI Too Long
    size_t max_header_bytes = 16384;              // the whole head, and the trailers: 431
    size_t max_headers = 64;                      // header field lines: 431
    size_t max_chunk_line = 1024;                 // chunk size plus extensions: 400
    uint64_t max_body_bytes = uint64_t{1} << 40;  // declared or received: 413
};

// A request that cannot be served as sent: the status and a sentence saying why.
struct HttpError {
    uint16_t status = 0;
    std::string_view reason;
};

enum class HttpMethod : uint8_t { get, head, post, put, delete_, options, other };

enum class BodyFraming : uint8_t { none, content_length, chunked };

struct HttpHeaderField {
    std::string_view name;
    std::string_view value;  // without leading and trailing whitespace
};

// The parsed head; its views point into the parser's head buffer and stay valid until the
// parser starts the next request (reset()).
struct HttpRequestHead {
    HttpMethod method = HttpMethod::other;
    std::string_view method_text;
    std::string_view target;       // as sent
    std::string_view path;         // origin-form path without the query; from absolute-form too
    uint8_t version_minor = 1;     // HTTP/1.x
    bool keep_alive = true;        // RFC 9112 §9.3
    bool expect_continue = false;  // Expect: 100-continue
    BodyFraming framing = BodyFraming::none;
    uint64_t content_length = 0;
    std::span<const HttpHeaderField> fields;

    // The first field with this name (case-insensitive), if any.
    const HttpHeaderField* find(std::string_view name) const noexcept;
};

enum class HttpEvent : uint8_t {
    // Nothing to report yet: step on with the input after `consumed`, or, when all of it
    // was consumed, with the next bytes to arrive.
    need_more,
    head,   // head() is complete
    body,   // step.body holds the next body bytes (a view into the input)
    end,    // the request (body and trailers included) is complete
    error,  // error() says why; the connection cannot be parsed further
};

struct HttpStep {
    HttpEvent event = HttpEvent::need_more;
    size_t consumed = 0;  // input bytes used by this step
    std::span<const uint8_t> body{};
};

class HttpRequestParser {
  public:
    explicit HttpRequestParser(HttpLimits limits = {});

    // Parses from the start of `in`. After `end`, the following bytes (pipelined requests)
    // belong to the next request: call reset() before stepping on. After `error`, every
    // step returns `error` again.
    HttpStep step(std::span<const uint8_t> in) noexcept;
    // Ready for the next request on the same connection.
    void reset() noexcept;

    const HttpRequestHead& head() const noexcept { return head_; }
    const HttpError& error() const noexcept { return error_; }
    // True between the first byte of a request and its end: a connection closing now
    // closes mid-request.
    bool in_message() const noexcept {
        if (state_ == State::head) return head_len_ > 0;
        return state_ != State::done && state_ != State::failed;
    }
    const HttpLimits& limits() const noexcept { return limits_; }

  private:
    enum class State : uint8_t {
        head,
        body_length,
        chunk_size,
        chunk_ext,
        chunk_size_lf,
        chunk_data,
        chunk_data_cr,
        chunk_data_lf,
        trailer,
        done,
        failed,
    };

    HttpStep step_head(std::span<const uint8_t> in) noexcept;
    HttpStep step_chunk_framing(std::span<const uint8_t> in) noexcept;
    HttpStep end_chunk_size_line(size_t consumed) noexcept;
    HttpStep step_trailer(std::span<const uint8_t> in) noexcept;
    HttpStep fail(uint16_t status, std::string_view reason, size_t consumed) noexcept;
    // Parses the complete head in head_buf_[0, head_len_): false after fail().
    bool parse_head() noexcept;
    bool parse_request_line(std::string_view line) noexcept;
    bool parse_field(std::string_view line) noexcept;
    bool apply_framing_fields() noexcept;
    HttpStep after_head(size_t consumed) noexcept;

    HttpLimits limits_;
    State state_ = State::head;
    std::vector<char> head_buf_;
    size_t head_len_ = 0;
    size_t line_start_ = 0;
    bool have_request_line_ = false;
    size_t field_lines_ = 0;
    std::vector<HttpHeaderField> fields_;  // capacity max_headers, reserved once
    HttpRequestHead head_;
    HttpError error_;

    uint64_t body_remaining_ = 0;  // Content-Length left, or the current chunk's
    uint64_t body_total_ = 0;
    uint64_t chunk_size_ = 0;
    size_t chunk_line_len_ = 0;
    size_t chunk_digits_ = 0;
    size_t trailer_bytes_ = 0;
    size_t trailer_line_len_ = 0;
};

// ASCII case-insensitive equality, for field names and tokens.
bool equals_ignore_case(std::string_view a, std::string_view b) noexcept;

}  // namespace shunt::app
