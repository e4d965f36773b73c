// The daemon's HTTP/1.1 service as a sans-IO session: bytes in (on_receive), bytes out
// (produce), no sockets. One session per connection; keep-alive and pipelining per RFC 9112
// §9.3: requests are answered in order, one at a time.
//
//   GET|HEAD /bytes/N   200, N bytes where byte i is i mod 251 (never held in memory)
//   POST /sink          reads the whole body, 200 {"bytes":N,"sha256":"<hex>"}
//   other paths 404; other methods on these paths 405 with Allow
//
// Malformed or oversized requests get the parser's status (400, 413, 414, 417, 431, 501,
// 505) with the reason as a text/plain body, and the connection closes after it.
#pragma once

#include "stack/app/byte_pattern.hpp"
#include "stack/app/http_parser.hpp"
#include "stack/app/session_time.hpp"
#include "stack/app/sha256.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace shunt::app {

struct HttpServerConfig {
    HttpLimits limits{};
    uint64_t max_bytes_n = uint64_t{1} << 40;  // largest N for /bytes/N
    // A request header must be complete this long after the connection opened or after
    // the first byte of a later request (slowloris: a header byte every few seconds holds a
    // connection for ever otherwise). nginx's client_header_timeout is 60 s, Apache's
    // mod_reqtimeout 20-40 s; requests to these built-in resources are one short line.
    Duration header_timeout = std::chrono::seconds(10);
    // A keep-alive connection with no request under way is closed after this long
    // (nginx keepalive_timeout 75 s, Apache KeepAliveTimeout 5 s).
    Duration idle_timeout = std::chrono::seconds(60);
};

class HttpSession {
  public:
    explicit HttpSession(HttpServerConfig config = {});

    // Offers received bytes; returns how many the session took. It stops taking input while
    // a final response is being produced (responses stay in order, and the TCP receive
    // window closes meanwhile): offer the rest again after produce() has drained it.
    size_t on_receive(std::span<const uint8_t> in) noexcept;
    // The peer sent FIN: finish the response in progress, then close.
    void on_peer_closed() noexcept;
    // Writes the next response bytes into out; returns how many.
    size_t produce(std::span<uint8_t> out) noexcept;

    bool has_output() const noexcept;
    // Everything is sent and the connection should close now (send FIN).
    bool should_close() const noexcept;
    // Requests answered so far (for stats and tests).
    uint64_t responses() const noexcept { return responses_; }

    // The poll's clock (sans-IO: the driver calls this before offering bytes). A header
    // not complete within header_timeout, or no request for idle_timeout, ends the
    // session: timeout() says which, and should_close() holds from then on. No timer runs
    // while a request body is read or a response is produced.
    void tick(Instant now, bool transport_busy = false) noexcept;
    SessionTimeout timeout() const noexcept { return timeout_; }
    // When the running timeout expires (nullopt: none runs).
    std::optional<Instant> deadline() const noexcept;

  private:
    enum class Route : uint8_t { bytes, sink, not_found, method_not_allowed, bad_count };
    enum class State : uint8_t { reading, responding, closing };

    void on_head() noexcept;
    void on_body(std::span<const uint8_t> body) noexcept;
    void on_end() noexcept;
    void on_error(const HttpError& e) noexcept;
    void respond_bytes() noexcept;
    void respond_sink() noexcept;
    // A short text/plain response: the status, `text` as the body (omitted for HEAD).
    void respond_text(uint16_t status, std::string_view text, std::string_view extra_header,
                      bool close) noexcept;
    // Appends to the pending output; false if it does not fit (never with these responses).
    bool append(std::string_view s) noexcept;
    void append_connection_header(bool close) noexcept;
    void finish_response() noexcept;
    // Which timer runs now: header while a head is awaited or under way, idle between
    // requests, none otherwise.
    SessionTimeout waiting() const noexcept;

    HttpServerConfig config_;
    HttpRequestParser parser_;
    Sha256 sha_;
    State state_ = State::reading;
    bool peer_closed_ = false;
    bool close_after_ = false;

    // The request being read.
    Route route_ = Route::not_found;
    bool head_only_ = false;
    uint64_t bytes_n_ = 0;
    uint64_t body_bytes_ = 0;

    // Pending output: status line, headers and small bodies; then the pattern body.
    std::array<char, 1024> out_{};
    size_t out_begin_ = 0;
    size_t out_end_ = 0;
    BytePatternProducer body_;
    uint64_t responses_ = 0;

    // Timeouts: the clock, whether the current request's head was seen, whether the
    // connection is between requests (no byte of the next one yet), and since when.
    SessionClock clock_;
    bool head_seen_ = false;
    bool between_requests_ = false;
    Instant wait_since_{};
    SessionTimeout timeout_ = SessionTimeout::none;
};

}  // namespace shunt::app
