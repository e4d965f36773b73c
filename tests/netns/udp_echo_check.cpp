// udp_echo_check: drives a UDP echo server through the kernel's own UDP socket and checks
// every reply byte for byte. A netns-tier test tool (not shipped).
//
//   udp_echo_check --dst 10.77.0.2 [--port 7] [--sizes 0-1472,8000,65507] [--seed 1]
//                  [--timeout-ms 1000] [--tries 3] [--deadline-s 150]
//   udp_echo_check --dst 10.77.0.2 --expect-refused 9999 [--timeout-ms 1000] [--tries 3]
//
// Echo mode sends, for each size, a payload of seeded pseudo-random bytes and waits (poll,
// bounded) for the same bytes to come back; up to --tries sends per size. It prints
// "udp echo: N sizes ok, M failed" and exits 1 on any failure.
// Refused mode sends to a port with no server and expects the kernel to report the ICMP port
// unreachable as ECONNREFUSED on the connected socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxUdpPayload = 65507;

struct Options {
    std::string dst;
    uint16_t port = 7;
    std::vector<size_t> sizes;
    uint64_t seed = 1;
    int timeout_ms = 1000;
    int tries = 3;
    int deadline_s = 150;
    std::optional<uint16_t> refused_port;
};

[[noreturn]] void usage_error(const std::string& msg) {
    std::fprintf(stderr, "udp_echo_check: %s\n", msg.c_str());
    std::exit(2);
}

template <typename T>
T parse_num(std::string_view text, std::string_view what) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        usage_error("bad " + std::string(what) + ": '" + std::string(text) + "'");
    }
    return value;
}

// "0-1472,8000,65507" -> every size listed, ranges inclusive.
std::vector<size_t> parse_sizes(std::string_view text) {
    std::vector<size_t> sizes;
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        size_t dash = item.find('-');
        size_t lo = parse_num<size_t>(item.substr(0, dash), "size");
        size_t hi =
            dash == std::string_view::npos ? lo : parse_num<size_t>(item.substr(dash + 1), "size");
        if (hi < lo || hi > kMaxUdpPayload)
            usage_error("bad size range '" + std::string(item) + "'");
        for (size_t s = lo; s <= hi; ++s) sizes.push_back(s);
    }
    return sizes;
}

Options parse_args(int argc, char** argv) {
    Options o;
    std::string sizes = "0-1472,8000,65507";
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) usage_error("missing value for " + std::string(arg));
            return argv[++i];
        };
        if (arg == "--dst")
            o.dst = value();
        else if (arg == "--port")
            o.port = parse_num<uint16_t>(value(), "port");
        else if (arg == "--sizes")
            sizes = value();
        else if (arg == "--seed")
            o.seed = parse_num<uint64_t>(value(), "seed");
        else if (arg == "--timeout-ms")
            o.timeout_ms = parse_num<int>(value(), "timeout");
        else if (arg == "--tries")
            o.tries = parse_num<int>(value(), "tries");
        else if (arg == "--deadline-s")
            o.deadline_s = parse_num<int>(value(), "deadline");
        else if (arg == "--expect-refused")
            o.refused_port = parse_num<uint16_t>(value(), "port");
        else
            usage_error("unknown argument '" + std::string(arg) + "'");
    }
    if (o.dst.empty()) usage_error("--dst is required");
    if (o.tries < 1 || o.timeout_ms < 1 || o.deadline_s < 1) usage_error("bounds must be >= 1");
    o.sizes = parse_sizes(sizes);
    return o;
}

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Distinct content per (seed, size, attempt), so a late echo of an earlier send never passes.
std::vector<uint8_t> make_payload(uint64_t seed, size_t size, int attempt) {
    uint64_t state = seed ^ (static_cast<uint64_t>(size) << 20) ^ static_cast<uint64_t>(attempt);
    std::vector<uint8_t> p(size);
    for (size_t i = 0; i < size; i += 8) {
        uint64_t r = splitmix64(state);
        for (size_t j = 0; j < 8 && i + j < size; ++j)
            p[i + j] = static_cast<uint8_t>(r >> (8 * j));
    }
    return p;
}

shunt::UniqueFd connect_udp(const Options& o, uint16_t port) {
    shunt::UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        std::perror("udp_echo_check: socket");
        std::exit(1);
    }
    int buf = 4 << 20;
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (::inet_pton(AF_INET, o.dst.c_str(), &sa.sin_addr) != 1) usage_error("bad --dst " + o.dst);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
        std::fprintf(stderr, "udp_echo_check: connect %s:%u: %s\n", o.dst.c_str(), port,
                     std::strerror(errno));
        std::exit(1);
    }
    return fd;
}

int ms_until(Clock::time_point t) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

enum class Wait { ok, timeout, error };

// Waits until `until` for readability; on POLLERR the caller's recv picks up the error.
Wait wait_readable(int fd, Clock::time_point until) {
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int n = ::poll(&p, 1, ms_until(until));
        if (n > 0) return Wait::ok;
        if (n == 0) return Wait::timeout;
        if (errno != EINTR) return Wait::error;
    }
}

// The first `len` bytes of `rx` are exactly `want` (no memcmp: an empty vector's data() may be
// null).
bool same(const std::vector<uint8_t>& rx, size_t len, const std::vector<uint8_t>& want) {
    return len == want.size() && std::equal(want.begin(), want.end(), rx.begin());
}

struct TryResult {
    bool ok = false;
    std::string detail;  // why not, for the last try
};

TryResult echo_once(int fd, const std::vector<uint8_t>& payload,
                    const std::vector<uint8_t>& previous, int timeout_ms,
                    std::vector<uint8_t>& rx) {
    ssize_t sent = ::send(fd, payload.data(), payload.size(), 0);
    if (sent < 0) return {false, std::string("send failed: ") + std::strerror(errno)};
    if (static_cast<size_t>(sent) != payload.size()) return {false, "short send"};
    auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string detail = "no reply within " + std::to_string(timeout_ms) + " ms";
    for (;;) {
        Wait w = wait_readable(fd, until);
        if (w == Wait::timeout) return {false, detail};
        if (w == Wait::error) return {false, std::string("poll failed: ") + std::strerror(errno)};
        ssize_t n = ::recv(fd, rx.data(), rx.size(), MSG_TRUNC | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            if (errno == ECONNREFUSED) return {false, "ICMP port unreachable (ECONNREFUSED)"};
            return {false, std::string("recv failed: ") + std::strerror(errno)};
        }
        auto len = static_cast<size_t>(n);
        if (same(rx, len, payload)) return {true, {}};
        if (same(rx, len, previous)) {
            continue;  // a late echo of the previous send: ignore, keep waiting
        }
        if (len != payload.size()) {
            detail = "reply of " + std::to_string(len) + " bytes, expected " +
                     std::to_string(payload.size());
        } else {
            size_t at = 0;
            while (at < len && rx[at] == payload[at]) ++at;
            detail = "reply differs from what was sent, first at byte " + std::to_string(at);
        }
    }
}

int run_echo(const Options& o) {
    shunt::UniqueFd fd = connect_udp(o, o.port);
    std::vector<uint8_t> rx(kMaxUdpPayload + 1);
    auto start = Clock::now();
    auto deadline = start + std::chrono::seconds(o.deadline_s);
    size_t ok = 0, failed = 0, retried = 0;
    std::vector<uint8_t> previous;
    for (size_t size : o.sizes) {
        if (Clock::now() >= deadline) {
            std::printf("size %zu: not tried, the %d s deadline passed\n", size, o.deadline_s);
            ++failed;
            continue;
        }
        TryResult r;
        for (int attempt = 1; attempt <= o.tries && !r.ok; ++attempt) {
            std::vector<uint8_t> payload = make_payload(o.seed, size, attempt);
            r = echo_once(fd.get(), payload, previous, o.timeout_ms, rx);
            if (!r.ok && attempt < o.tries) ++retried;
            previous = std::move(payload);
        }
        if (r.ok) {
            ++ok;
        } else {
            ++failed;
            std::printf("size %zu: FAILED after %d tries: %s\n", size, o.tries, r.detail.c_str());
        }
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    std::printf("udp echo: %zu sizes ok, %zu failed (%zu retries, %lld ms)\n", ok, failed, retried,
                static_cast<long long>(ms));
    return failed == 0 ? 0 : 1;
}

int run_refused(const Options& o) {
    uint16_t port = *o.refused_port;
    shunt::UniqueFd fd = connect_udp(o, port);
    std::vector<uint8_t> rx(kMaxUdpPayload + 1);
    const char probe[] = "is anyone there?";
    for (int attempt = 1; attempt <= o.tries; ++attempt) {
        if (::send(fd.get(), probe, sizeof probe - 1, 0) < 0 && errno != ECONNREFUSED) {
            std::printf("udp closed port %u: send failed: %s\n", port, std::strerror(errno));
            return 1;
        }
        auto until = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
        if (wait_readable(fd.get(), until) != Wait::ok) continue;
        ssize_t n = ::recv(fd.get(), rx.data(), rx.size(), MSG_DONTWAIT);
        if (n < 0 && errno == ECONNREFUSED) {
            std::printf("udp closed port %u: ECONNREFUSED (ICMP port unreachable came back)\n",
                        port);
            return 0;
        }
        if (n >= 0) {
            std::printf(
                "udp closed port %u: expected ICMP port unreachable, got a %zd-byte reply\n", port,
                n);
        } else {
            std::printf("udp closed port %u: expected ECONNREFUSED, recv said: %s\n", port,
                        std::strerror(errno));
        }
        return 1;
    }
    std::printf(
        "udp closed port %u: expected ECONNREFUSED, nothing came back in %d tries of %d ms\n", port,
        o.tries, o.timeout_ms);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_args(argc, argv);
    return o.refused_port ? run_refused(o) : run_echo(o);
}
