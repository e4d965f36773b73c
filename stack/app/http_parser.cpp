#include "stack/app/http_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace shunt::app {

namespace {

constexpr char kCr = '\r';
constexpr char kLf = '\n';

// RFC 9110 §5.6.2 tchar.
bool is_tchar(char c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

// RFC 9110 §5.5: field values are VCHAR, obs-text, SP and HTAB; CR, LF and NUL never.
bool valid_field_value(std::string_view v) noexcept {
    return std::none_of(v.begin(), v.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

// The request-target is visible ASCII only (RFC 9112 §3.2: no whitespace inside).
bool valid_target(std::string_view t) noexcept {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
    });
}

HttpMethod method_from(std::string_view m) noexcept {
    // Methods are case-sensitive (RFC 9110 §9.1).
    if (m == "GET") return HttpMethod::get;
    if (m == "HEAD") return HttpMethod::head;
    if (m == "POST") return HttpMethod::post;
    if (m == "PUT") return HttpMethod::put;
    if (m == "DELETE") return HttpMethod::delete_;
    if (m == "OPTIONS") return HttpMethod::options;
    return HttpMethod::other;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Calls f(element) for each element of a comma-separated list (RFC 9110 §5.6.1), trimmed;
// empty elements are skipped as the RFC asks.
template <typename F>
void for_each_list_element(std::string_view list, F&& f) {
    while (!list.empty()) {
        const size_t comma = list.find(',');
        const std::string_view element = trim_ows(list.substr(0, comma));
        if (!element.empty()) f(element);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
}

}  // namespace

bool equals_ignore_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

const HttpHeaderField* HttpRequestHead::find(std::string_view name) const noexcept {
    for (const HttpHeaderField& f : fields) {
        if (equals_ignore_case(f.name, name)) return &f;
    }
    return nullptr;
}

HttpRequestParser::HttpRequestParser(HttpLimits limits)
    : limits_(limits), head_buf_(limits.max_header_bytes) {
    fields_.reserve(limits_.max_headers);
}

void HttpRequestParser::reset() noexcept {
    if (state_ == State::failed) return;
    state_ = State::head;
    head_len_ = 0;
    line_start_ = 0;
    have_request_line_ = false;
    field_lines_ = 0;
    fields_.clear();
    head_ = HttpRequestHead{};
    body_remaining_ = 0;
    body_total_ = 0;
    chunk_size_ = 0;
    chunk_line_len_ = 0;
    chunk_digits_ = 0;
    trailer_bytes_ = 0;
    trailer_line_len_ = 0;
}

HttpStep HttpRequestParser::fail(uint16_t status, std::string_view reason,
                                 size_t consumed) noexcept {
    state_ = State::failed;
    error_ = HttpError{status, reason};
    return HttpStep{HttpEvent::error, consumed, {}};
}

HttpStep HttpRequestParser::step(std::span<const uint8_t> in) noexcept {
    switch (state_) {
        case State::head:
            return step_head(in);
        case State::body_length: {
            if (body_remaining_ == 0) {
                state_ = State::done;
                return HttpStep{HttpEvent::end, 0, {}};
            }
            const size_t n = static_cast<size_t>(std::min<uint64_t>(in.size(), body_remaining_));
            if (n == 0) return HttpStep{HttpEvent::need_more, 0, {}};
            body_remaining_ -= n;
            return HttpStep{HttpEvent::body, n, in.first(n)};
        }
        case State::chunk_data: {
            const size_t n = static_cast<size_t>(std::min<uint64_t>(in.size(), body_remaining_));
            if (n == 0) return HttpStep{HttpEvent::need_more, 0, {}};
            body_remaining_ -= n;
            if (body_remaining_ == 0) state_ = State::chunk_data_cr;
            return HttpStep{HttpEvent::body, n, in.first(n)};
        }
        case State::chunk_size:
        case State::chunk_ext:
        case State::chunk_size_lf:
        case State::chunk_data_cr:
        case State::chunk_data_lf:
            return step_chunk_framing(in);
        case State::trailer:
            return step_trailer(in);
        case State::done:
            return HttpStep{HttpEvent::end, 0, {}};
        case State::failed:
            break;
    }
    return HttpStep{HttpEvent::error, 0, {}};
}

HttpStep HttpRequestParser::step_head(std::span<const uint8_t> in) noexcept {
    size_t used = 0;
    while (used < in.size()) {
        const auto* begin = in.data() + used;
        const auto* lf = static_cast<const uint8_t*>(std::memchr(begin, kLf, in.size() - used));
        const size_t take = lf != nullptr ? static_cast<size_t>(lf - begin) + 1 : in.size() - used;
        // Limits first, so that an endless line is refused as soon as it is too long.
        const size_t line_len = head_len_ - line_start_ + take;
        if (!have_request_line_ && line_len > limits_.max_request_line + 2) {
            return fail(414, "request line longer than the limit", used);
        }
        if (head_len_ + take > limits_.max_header_bytes) {
            return fail(431, "request header section larger than the limit", used);
        }
        std::memcpy(head_buf_.data() + head_len_, begin, take);
        head_len_ += take;
        used += take;
        if (lf == nullptr) break;

        // A complete line: CRLF, or a bare LF (RFC 9112 §2.2 lets a recipient accept it).
        size_t end = head_len_ - 1;
        if (end > line_start_ && head_buf_[end - 1] == kCr) --end;
        const bool empty = end == line_start_;
        if (empty && !have_request_line_) {
            // RFC 9112 §2.2: empty lines before the request line are ignored.
            head_len_ = line_start_;
            continue;
        }
        if (empty) {
            if (!parse_head()) return HttpStep{HttpEvent::error, used, {}};
            return after_head(used);
        }
        if (have_request_line_ && ++field_lines_ > limits_.max_headers) {
            return fail(431, "more header fields than the limit", used);
        }
        have_request_line_ = true;
        line_start_ = head_len_;
    }
    return HttpStep{HttpEvent::need_more, used, {}};
}

HttpStep HttpRequestParser::after_head(size_t consumed) noexcept {
    switch (head_.framing) {
        case BodyFraming::none:
            state_ = State::done;
            break;
        case BodyFraming::content_length:
            state_ = State::body_length;
            body_remaining_ = head_.content_length;
            break;
        case BodyFraming::chunked:
            state_ = State::chunk_size;
            break;
    }
    return HttpStep{HttpEvent::head, consumed, {}};
}

bool HttpRequestParser::parse_head() noexcept {
    std::string_view rest{head_buf_.data(), head_len_};
    bool first = true;
    while (!rest.empty()) {
        const size_t lf = rest.find(kLf);
        std::string_view line = rest.substr(0, lf);
        rest.remove_prefix(lf + 1);
        if (!line.empty() && line.back() == kCr) line.remove_suffix(1);
        if (line.empty()) break;  // the end of the head
        // RFC 9112 §2.2: a bare CR is invalid.
        if (line.find(kCr) != std::string_view::npos) {
            fail(400, "bare CR in the request head", 0);
            return false;
        }
        if (first) {
            if (!parse_request_line(line)) return false;
            first = false;
        } else if (!parse_field(line)) {
            return false;
        }
    }
    head_.fields = std::span<const HttpHeaderField>(fields_.data(), fields_.size());
    return apply_framing_fields();
}

bool HttpRequestParser::parse_request_line(std::string_view line) noexcept {
    // RFC 9112 §3: method SP request-target SP HTTP-version, single spaces.
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        fail(400, "malformed request line", 0);
        return false;
    }
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method)) {
        fail(400, "malformed method", 0);
        return false;
    }
    if (!valid_target(target)) {
        fail(400, "malformed request target", 0);
        return false;
    }
    // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive.
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
        fail(400, "malformed HTTP version", 0);
        return false;
    }
    if (version[5] != '1') {
        fail(505, "only HTTP/1.x is supported", 0);
        return false;
    }
    head_.method_text = method;
    head_.method = method_from(method);
    head_.target = target;
    head_.version_minor = static_cast<uint8_t>(version[7] - '0');
    head_.keep_alive = head_.version_minor >= 1;

    // RFC 9112 §3.2: origin-form "/path?query", absolute-form "http://host/path?query"
    // (a server MUST accept it), asterisk-form "*" (OPTIONS).
    std::string_view path = target;
    if (path.front() != '/' && path != "*") {
        const size_t scheme_end = path.find("://");
        if (scheme_end == std::string_view::npos) {
            fail(400, "request target is neither a path nor an absolute URI", 0);
            return false;
        }
        const size_t slash = path.find('/', scheme_end + 3);
        path = slash == std::string_view::npos ? std::string_view{"/"} : path.substr(slash);
    }
    head_.path = path.substr(0, path.find('?'));
    return true;
}

bool HttpRequestParser::parse_field(std::string_view line) noexcept {
    // RFC 9112 §5.2: obs-fold (a line starting with whitespace) is rejected with 400.
    if (is_ows(line.front())) {
        fail(400, "obsolete line folding in a header field", 0);
        return false;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        fail(400, "header field without a colon", 0);
        return false;
    }
    // RFC 9112 §5.1: no whitespace between the name and the colon; the name is a token.
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) {
        fail(400, "malformed header field name", 0);
        return false;
    }
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!valid_field_value(value)) {
        fail(400, "control character in a header field value", 0);
        return false;
    }
    fields_.push_back(HttpHeaderField{name, value});
    return true;
}

namespace {

// What the head's fields say about framing, persistence and expectations.
struct FieldSummary {
    bool have_length = false;
    uint64_t length = 0;
    bool have_te = false;
    bool chunked_last = false;
    size_t codings = 0;
    bool have_host = false;
    bool close = false;
    bool keep_alive_token = false;
    bool expect_continue = false;
};

// RFC 9112 §6.3 (5): a Content-Length list of identical values may be taken as one value;
// anything else is an unrecoverable framing error.
bool merge_content_length(std::string_view value, FieldSummary& s) noexcept {
    bool ok = true, any = false;
    for_each_list_element(value, [&](std::string_view v) {
        uint64_t n = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc{} || p != v.data() + v.size() || (s.have_length && n != s.length)) {
            ok = false;
            return;
        }
        any = s.have_length = true;
        s.length = n;
    });
    return ok && any;
}

// Summarizes the fields; an error's status is 0 when there is none.
HttpError summarize_fields(std::span<const HttpHeaderField> fields, FieldSummary& s) noexcept {
    for (const HttpHeaderField& f : fields) {
        if (equals_ignore_case(f.name, "content-length")) {
            if (!merge_content_length(f.value, s)) {
                return {400, "invalid or conflicting Content-Length"};
            }
        } else if (equals_ignore_case(f.name, "transfer-encoding")) {
            s.have_te = true;
            for_each_list_element(f.value, [&](std::string_view coding) {
                s.chunked_last = equals_ignore_case(coding, "chunked");
                ++s.codings;
            });
        } else if (equals_ignore_case(f.name, "host")) {
            // RFC 9112 §3.2: more than one Host field line is a 400.
            if (s.have_host) return {400, "more than one Host header field"};
            s.have_host = true;
        } else if (equals_ignore_case(f.name, "connection")) {
            for_each_list_element(f.value, [&](std::string_view option) {
                if (equals_ignore_case(option, "close")) s.close = true;
                if (equals_ignore_case(option, "keep-alive")) s.keep_alive_token = true;
            });
        } else if (equals_ignore_case(f.name, "expect")) {
            // RFC 9110 §10.1.1: an expectation we cannot meet is a 417.
            if (!equals_ignore_case(f.value, "100-continue")) {
                return {417, "the only expectation supported is 100-continue"};
            }
            s.expect_continue = true;
        }
    }
    return {};
}

}  // namespace

bool HttpRequestParser::apply_framing_fields() noexcept {
    FieldSummary s;
    const HttpError e = summarize_fields(fields_, s);
    if (e.status != 0) {
        fail(e.status, e.reason, 0);
        return false;
    }
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400.
    if (!s.have_host && head_.version_minor >= 1) {
        fail(400, "HTTP/1.1 request without a Host header field", 0);
        return false;
    }
    // RFC 9112 §9.3: close if asked; HTTP/1.1 persists by default, HTTP/1.0 only with
    // keep-alive.
    head_.keep_alive = !s.close && (head_.version_minor >= 1 || s.keep_alive_token);
    head_.expect_continue = s.expect_continue;

    if (s.have_te) {
        // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing. With
        // Content-Length as well it smells of request smuggling (§6.3 (3) allows refusing).
        // §6.3 (4): chunked must be the final coding, else 400; other codings are a 501.
        HttpError te{};
        if (head_.version_minor == 0) {
            te = {400, "Transfer-Encoding in an HTTP/1.0 request"};
        } else if (s.have_length) {
            te = {400, "both Transfer-Encoding and Content-Length"};
        } else if (!s.chunked_last) {
            te = {400, "Transfer-Encoding without chunked as the final coding"};
        } else if (s.codings != 1) {
            te = {501, "transfer codings other than chunked are not implemented"};
        }
        if (te.status != 0) {
            fail(te.status, te.reason, 0);
            return false;
        }
        head_.framing = BodyFraming::chunked;
        return true;
    }
    if (s.have_length) {
        if (s.length > limits_.max_body_bytes) {
            fail(413, "Content-Length larger than the body limit", 0);
            return false;
        }
        head_.framing = s.length > 0 ? BodyFraming::content_length : BodyFraming::none;
        head_.content_length = s.length;
    }
    return true;
}

HttpStep HttpRequestParser::end_chunk_size_line(size_t consumed) noexcept {
    chunk_line_len_ = 0;
    chunk_digits_ = 0;
    if (chunk_size_ == 0) {
        state_ = State::trailer;  // the last chunk
        return HttpStep{HttpEvent::need_more, consumed, {}};
    }
    if (chunk_size_ > limits_.max_body_bytes - body_total_) {
        return fail(413, "chunked body larger than the body limit", consumed);
    }
    body_total_ += chunk_size_;
    body_remaining_ = chunk_size_;
    chunk_size_ = 0;
    state_ = State::chunk_data;
    return HttpStep{HttpEvent::need_more, consumed, {}};
}

HttpStep HttpRequestParser::step_chunk_framing(std::span<const uint8_t> in) noexcept {
    // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF;
    // last-chunk = 1*"0" [ chunk-ext ] CRLF, then the trailer section. As for the head, a
    // bare LF is accepted as a line end; a bare CR is not.
    size_t used = 0;
    while (used < in.size()) {
        const char c = static_cast<char>(in[used++]);
        switch (state_) {
            case State::chunk_size: {
                if (++chunk_line_len_ > limits_.max_chunk_line) {
                    return fail(400, "chunk size line longer than the limit", used);
                }
                const int digit = hex_value(c);
                if (digit >= 0) {
                    // 15 hex digits: 2^60 bytes, beyond any body limit.
                    if (++chunk_digits_ > 15) return fail(413, "chunk size too large", used);
                    chunk_size_ = chunk_size_ * 16 + static_cast<uint64_t>(digit);
                } else if (chunk_digits_ == 0) {
                    return fail(400, "chunk size is not hexadecimal", used);
                } else if (c == ';' || is_ows(c)) {
                    state_ = State::chunk_ext;
                } else if (c == kCr) {
                    state_ = State::chunk_size_lf;
                } else if (c == kLf) {
                    return end_chunk_size_line(used);
                } else {
                    return fail(400, "malformed chunk size", used);
                }
                break;
            }
            case State::chunk_ext:
                // Extensions are ignored (RFC 9112 §7.1.1), but bounded and free of controls.
                if (++chunk_line_len_ > limits_.max_chunk_line) {
                    return fail(400, "chunk extensions longer than the limit", used);
                }
                if (c == kCr) {
                    state_ = State::chunk_size_lf;
                } else if (c == kLf) {
                    return end_chunk_size_line(used);
                } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
                    return fail(400, "control character in a chunk extension", used);
                }
                break;
            case State::chunk_size_lf:
                if (c != kLf) return fail(400, "bare CR after a chunk size", used);
                return end_chunk_size_line(used);
            case State::chunk_data_cr:
                if (c == kCr) {
                    state_ = State::chunk_data_lf;
                } else if (c == kLf) {
                    state_ = State::chunk_size;
                } else {
                    return fail(400, "chunk data longer than its chunk size", used);
                }
                break;
            case State::chunk_data_lf:
                if (c != kLf) return fail(400, "bare CR after chunk data", used);
                state_ = State::chunk_size;
                break;
            default:
                return fail(500, "chunk parser in an impossible state", used);
        }
    }
    return HttpStep{HttpEvent::need_more, used, {}};
}

HttpStep HttpRequestParser::step_trailer(std::span<const uint8_t> in) noexcept {
    // Trailer fields are read and dropped (RFC 9110 §6.5.1 lets a recipient discard them),
    // bounded like the head; an empty line ends the message.
    size_t used = 0;
    while (used < in.size()) {
        const char c = static_cast<char>(in[used++]);
        if (++trailer_bytes_ > limits_.max_header_bytes) {
            return fail(431, "trailer section larger than the limit", used);
        }
        if (c == kLf) {
            if (trailer_line_len_ == 0) {
                state_ = State::done;
                return HttpStep{HttpEvent::end, used, {}};
            }
            trailer_line_len_ = 0;
        } else if (c != kCr) {
            ++trailer_line_len_;
        }
    }
    return HttpStep{HttpEvent::need_more, used, {}};
}

}  // namespace shunt::app
