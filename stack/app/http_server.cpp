#include "stack/app/http_server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

namespace shunt::app {

namespace {

// RFC 9110 §15 reason phrases for the statuses this server sends.
std::string_view reason_phrase(uint16_t status) noexcept {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 417:
            return "Expectation Failed";
        case 431:
            return "Request Header Fields Too Large";
        case 501:
            return "Not Implemented";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Internal Server Error";
    }
}

constexpr std::string_view kBytesPrefix = "/bytes/";

// N of /bytes/N: decimal digits only, at most `max`.
std::optional<uint64_t> parse_count(std::string_view s, uint64_t max) noexcept {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || n > max) {
        return std::nullopt;
    }
    return n;
}

}  // namespace

HttpSession::HttpSession(HttpServerConfig config) : config_(config), parser_(config.limits) {}

size_t HttpSession::on_receive(std::span<const uint8_t> in) noexcept {
    if (state_ == State::closing) return in.size();  // nothing more will be read
    // The first byte of the next request ends the idle wait and starts its header timer.
    if (!in.empty() && between_requests_) {
        between_requests_ = false;
        wait_since_ = clock_.now;
    }
    size_t used = 0;
    while (state_ == State::reading) {
        const HttpStep s = parser_.step(in.subspan(used));
        used += s.consumed;
        switch (s.event) {
            case HttpEvent::need_more:
                if (used == in.size()) return used;
                break;
            case HttpEvent::head:
                on_head();
                break;
            case HttpEvent::body:
                on_body(s.body);
                break;
            case HttpEvent::end:
                on_end();
                break;
            case HttpEvent::error:
                on_error(parser_.error());
                return in.size();  // the connection closes after the error response
        }
    }
    return used;
}

void HttpSession::on_peer_closed() noexcept {
    peer_closed_ = true;
    // Idle, or in the middle of a request that can now never complete: close. A response
    // in progress is finished first (finish_response()).
    if (state_ == State::reading) state_ = State::closing;
}

void HttpSession::on_head() noexcept {
    head_seen_ = true;
    const HttpRequestHead& h = parser_.head();
    head_only_ = h.method == HttpMethod::head;
    body_bytes_ = 0;
    if (h.path == "/sink") {
        route_ = h.method == HttpMethod::post ? Route::sink : Route::method_not_allowed;
        sha_.reset();
    } else if (h.path.substr(0, kBytesPrefix.size()) == kBytesPrefix) {
        const auto n = parse_count(h.path.substr(kBytesPrefix.size()), config_.max_bytes_n);
        if (h.method != HttpMethod::get && h.method != HttpMethod::head) {
            route_ = Route::method_not_allowed;
        } else if (!n) {
            route_ = Route::bad_count;
        } else {
            route_ = Route::bytes;
            bytes_n_ = *n;
        }
    } else {
        route_ = Route::not_found;
    }
    // RFC 9110 §10.1.1: answer "Expect: 100-continue" with 100 before the body is read (an
    // HTTP/1.0 client gets no 1xx, §15.2). Rejected requests get it too and their body is
    // read and dropped, which keeps the connection usable.
    if (h.expect_continue && h.framing != BodyFraming::none && h.version_minor >= 1) {
        append("HTTP/1.1 100 Continue\r\n\r\n");
    }
}

void HttpSession::on_body(std::span<const uint8_t> body) noexcept {
    body_bytes_ += body.size();
    if (route_ == Route::sink) sha_.update(body);
}

void HttpSession::on_end() noexcept {
    state_ = State::responding;
    close_after_ = !parser_.head().keep_alive;
    switch (route_) {
        case Route::bytes:
            respond_bytes();
            break;
        case Route::sink:
            respond_sink();
            break;
        case Route::not_found:
            respond_text(404, "no such resource; try GET /bytes/N or POST /sink", {}, close_after_);
            break;
        case Route::method_not_allowed:
            respond_text(
                405, "method not allowed for this resource",
                parser_.head().path == "/sink" ? "Allow: POST\r\n" : "Allow: GET, HEAD\r\n",
                close_after_);
            break;
        case Route::bad_count:
            respond_text(400, "N in /bytes/N must be a decimal byte count within the limit", {},
                         close_after_);
            break;
    }
}

void HttpSession::on_error(const HttpError& e) noexcept {
    state_ = State::responding;
    close_after_ = true;
    head_only_ = false;  // the method may not even have been read
    respond_text(e.status, e.reason, {}, true);
}

void HttpSession::append_connection_header(bool close) noexcept {
    if (close) {
        append("Connection: close\r\n");
    } else if (parser_.head().version_minor == 0) {
        append("Connection: keep-alive\r\n");  // RFC 9112 §9.3: HTTP/1.0 persistence
    }
}

void HttpSession::respond_bytes() noexcept {
    std::array<char, 128> line{};
    const auto r = fmt::format_to_n(line.data(), line.size(),
                                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                    "Content-Length: {}\r\n",
                                    bytes_n_);
    append({line.data(), r.size});
    append_connection_header(close_after_);
    append("\r\n");
    // HEAD: the same header fields, no content (RFC 9110 §9.3.2).
    body_ = BytePatternProducer{head_only_ ? 0 : bytes_n_};
}

void HttpSession::respond_sink() noexcept {
    const auto digest = sha_.finish();
    if (!digest) {
        respond_text(500, "SHA-256 computation failed in OpenSSL", {}, true);
        close_after_ = true;
        return;
    }
    const Sha256::Hex hex = Sha256::to_hex(*digest);
    std::array<char, 128> json{};
    const auto body =
        fmt::format_to_n(json.data(), json.size(), "{{\"bytes\":{},\"sha256\":\"{}\"}}",
                         body_bytes_, Sha256::view(hex));
    std::array<char, 128> head{};
    const auto h = fmt::format_to_n(head.data(), head.size(),
                                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                    "Content-Length: {}\r\n",
                                    body.size);
    append({head.data(), h.size});
    append_connection_header(close_after_);
    append("\r\n");
    append({json.data(), body.size});
    body_ = BytePatternProducer{0};
}

void HttpSession::respond_text(uint16_t status, std::string_view text,
                               std::string_view extra_header, bool close) noexcept {
    std::array<char, 160> head{};
    const auto h = fmt::format_to_n(head.data(), head.size(),
                                    "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\n"
                                    "Content-Length: {}\r\n",
                                    status, reason_phrase(status), text.size() + 1);
    append({head.data(), h.size});
    append(extra_header);
    append_connection_header(close);
    append("\r\n");
    if (!head_only_) {
        append(text);
        append("\n");
    }
    body_ = BytePatternProducer{0};
}

bool HttpSession::append(std::string_view s) noexcept {
    if (s.size() > out_.size() - out_end_) return false;
    if (s.empty()) return true;
    std::memcpy(out_.data() + out_end_, s.data(), s.size());
    out_end_ += s.size();
    return true;
}

bool HttpSession::has_output() const noexcept {
    return out_end_ > out_begin_ || state_ == State::responding;
}

bool HttpSession::should_close() const noexcept {
    return state_ == State::closing && out_end_ == out_begin_;
}

size_t HttpSession::produce(std::span<uint8_t> out) noexcept {
    const size_t pending = out_end_ - out_begin_;
    size_t n = std::min(out.size(), pending);
    if (n > 0) std::memcpy(out.data(), out_.data() + out_begin_, n);
    out_begin_ += n;
    if (out_begin_ == out_end_) out_begin_ = out_end_ = 0;
    if (state_ == State::responding && out_end_ == 0) {
        n += body_.produce(out.subspan(n));
        if (body_.done()) finish_response();
    }
    return n;
}

void HttpSession::finish_response() noexcept {
    ++responses_;
    if (close_after_ || peer_closed_) {
        state_ = State::closing;
        return;
    }
    state_ = State::reading;
    parser_.reset();
    route_ = Route::not_found;
    head_only_ = false;
    head_seen_ = false;
    between_requests_ = true;
    wait_since_ = clock_.now;
}

SessionTimeout HttpSession::waiting() const noexcept {
    if (state_ != State::reading || head_seen_) return SessionTimeout::none;
    return between_requests_ ? SessionTimeout::idle : SessionTimeout::header;
}

void HttpSession::tick(Instant now, bool transport_busy) noexcept {
    const bool first = !clock_.started;
    clock_.tick(now);
    if (first) wait_since_ = clock_.now;  // the first request's header timer starts here
    const SessionTimeout w = waiting();
    if (w == SessionTimeout::none) return;
    // The last response is still on its way: the idle time between requests starts after.
    if (w == SessionTimeout::idle && transport_busy) wait_since_ = clock_.now;
    const Duration limit =
        w == SessionTimeout::idle ? config_.idle_timeout : config_.header_timeout;
    if (!SessionClock::expired(wait_since_, limit, clock_.now)) return;
    // Closed without a response: RFC 9110 §15.5.9 allows a 408, but a slowloris peer does
    // not read it and an idle one asked for nothing (nginx closes silently too).
    timeout_ = w;
    state_ = State::closing;
}

std::optional<Instant> HttpSession::deadline() const noexcept {
    const SessionTimeout w = waiting();
    if (w == SessionTimeout::none || !clock_.started) return std::nullopt;
    return SessionClock::deadline(
        wait_since_, w == SessionTimeout::idle ? config_.idle_timeout : config_.header_timeout);
}

}  // namespace shunt::app
