// shunt-nc: netcat over shunt's TCP. Runs the stack on one NIC, opens a connection to
// HOST:PORT (an active open), sends what it reads on stdin, writes what it receives to stdout,
// half-closes when stdin ends and exits when the peer has closed too.
//
//   shunt-nc --nic tap:shunt0 --ip 10.77.0.2/24 [--gateway A.B.C.D] [--mac M] HOST PORT
//   shunt-nc --nic pci:0000:03:00.0 --interrupts --ip 10.0.2.1/24 HOST PORT
//
// Exit status: 0 after a clean close, 1 when the connection failed (refused, reset, timed
// out: one line says which), 2 for bad arguments.
#include "base/log.hpp"
#include "base/time.hpp"
#include "stack/stack.hpp"
#include "stack/tcp/tcp_stack.hpp"
#include "tools/nic_spec.hpp"
#include "tools/stack_loop.hpp"
#include "tools/tool_main.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <string>

namespace {

using shunt::tcp::TcpError;

struct Options {
    std::string nic, ip, gateway, mac, host;
    uint16_t port = 0;
    double connect_timeout_s = 10;
    shunt::tools::PciFlags pci;
};

int fail(int code, const std::string& message) {
    return shunt::tools::fail("shunt-nc", code, message);
}

const char* describe(TcpError e) {
    switch (e) {
        case TcpError::refused:
            return "connection refused";
        case TcpError::reset:
            return "connection reset by peer";
        case TcpError::timed_out:
            return "connection timed out (retransmissions exhausted)";
        case TcpError::connect_timeout:
            return "connect timed out";
        case TcpError::keepalive:
            return "peer stopped answering keep-alives";
        case TcpError::aborted:
            return "connection aborted";
        case TcpError::none:
            break;
    }
    return "connection closed";
}

// Bytes read from stdin that the socket has not taken yet (copy_send takes less than offered
// when the packet pool runs dry): they go first, so nothing read is ever dropped.
struct Pending {
    std::array<uint8_t, 16384> buf{};
    size_t off = 0, len = 0;
};

// Moves stdin into the socket while it has room; FIN once stdin has ended and all of it is
// queued.
void pump_stdin(shunt::tcp::TcpSocket& s, Pending& p, bool& stdin_open) noexcept {
    for (;;) {
        if (p.len > 0) {
            const size_t n = s.copy_send({p.buf.data() + p.off, p.len});
            p.off += n;
            p.len -= n;
            if (p.len > 0) return;  // the socket is full: retry on the next turn
        }
        if (!stdin_open || s.send_space() == 0) break;
        const ssize_t n = ::read(STDIN_FILENO, p.buf.data(), p.buf.size());
        if (n <= 0) {
            if (n == 0) stdin_open = false;  // else EAGAIN: nothing now
            break;
        }
        p.off = 0;
        p.len = static_cast<size_t>(n);
    }
    if (!stdin_open && p.len == 0) s.shutdown_write();  // idempotent
}

// Writes what arrived to stdout (blocking: the output is the point).
bool pump_stdout(shunt::tcp::TcpSocket& s) noexcept {
    shunt::PacketChain got = s.recv();
    for (shunt::PacketBuf* b = got.front(); b != nullptr; b = b->next()) {
        const uint8_t* p = b->data();
        size_t left = b->length();
        while (left > 0) {
            const ssize_t n = ::write(STDOUT_FILENO, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            p += n;
            left -= static_cast<size_t>(n);
        }
    }
    return true;
}

// The connection's application, run by every Stack::poll between timers and egress: what it
// queues leaves in the same poll.
struct NcApp final : shunt::StackApp {
    shunt::tcp::TcpSocket* s = nullptr;
    Pending pending;
    bool stdin_open = true;
    bool synced = false;
    bool done = false;
    bool stdout_failed = false;
    std::optional<TcpError> error;

    size_t run(shunt::Instant) noexcept override {
        if (done) return 0;
        if ((s->events() & shunt::tcp::tcp_event::error) != 0) {
            error = s->error();
            done = true;
            return 1;
        }
        synced = s->state() != shunt::tcp::TcpState::syn_sent &&
                 s->state() != shunt::tcp::TcpState::syn_received;
        if (synced) pump_stdin(*s, pending, stdin_open);
        if (s->readable_bytes() > 0 && !pump_stdout(*s)) {
            s->abort();
            stdout_failed = done = true;
            return 1;
        }
        // Done when nothing more can happen (CLOSED or TIME-WAIT) and all data is written out.
        if ((s->events() & shunt::tcp::tcp_event::closed) != 0 && s->readable_bytes() == 0) {
            done = true;
        }
        return 0;
    }
};

int run(const Options& o) {
    auto cidr = shunt::wire::Ipv4Cidr::parse(o.ip);
    if (!cidr || cidr->prefix_len == 0 || cidr->prefix_len > 30) {
        return fail(2, fmt::format("--ip '{}': expected A.B.C.D/LEN with LEN 1-30", o.ip));
    }
    auto host = shunt::wire::Ipv4Addr::parse(o.host);
    if (!host) return fail(2, fmt::format("HOST '{}': expected A.B.C.D", o.host));
    shunt::tools::NicOptions nic_opts;
    if (!o.mac.empty()) {
        auto mac = shunt::MacAddr::parse(o.mac);
        if (!mac) return fail(2, fmt::format("--mac '{}': expected aa:bb:cc:dd:ee:ff", o.mac));
        nic_opts.mac = *mac;
    }
    shunt::tools::apply_pci_flags(o.pci, nic_opts.pci);
    shunt::InterfaceConfig cfg;
    cfg.address = *cidr;
    if (!o.gateway.empty()) {
        auto gw = shunt::wire::Ipv4Addr::parse(o.gateway);
        if (!gw) return fail(2, fmt::format("--gateway '{}': expected A.B.C.D", o.gateway));
        cfg.gateway = *gw;
    }
    auto nic = shunt::tools::open_nic(o.nic, nic_opts);
    if (!nic) return fail(1, nic.error().message);
    cfg.mac = (*nic)->mac();
    shunt::tcp::TcpConfig tcp_cfg;
    tcp_cfg.connect_timeout =
        shunt::Duration(static_cast<int64_t>(o.connect_timeout_s * 1'000'000));
    auto keyed = shunt::Stack::random_secret(tcp_cfg);
    if (!keyed) return fail(1, keyed.error().message);
    shunt::Stack stack(**nic, 0, cfg, keyed.value());

    NcApp app;
    app.s = stack.connect({*host, o.port}, shunt::Instant::now());
    if (app.s == nullptr) return fail(1, "no local port free for the connection");
    ::fcntl(STDIN_FILENO, F_SETFL, ::fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
    stack.add_app(app);
    const int nic_fd = (*nic)->wait_fd(0);
    while (!shunt::tools::stop_requested() && !app.done) {
        const auto now = shunt::Instant::now();
        if (stack.poll(now) > 0) continue;
        // Idle: sleep on the NIC and stdin until a frame, input or the next timer.
        const bool want_stdin = app.stdin_open && app.synced && app.pending.len == 0;
        std::array<pollfd, 2> fds{pollfd{nic_fd, POLLIN, 0},
                                  pollfd{want_stdin ? STDIN_FILENO : -1, POLLIN, 0}};
        // At most 10 ms (stdin may become readable while it is not polled); microseconds, as
        // a TX retry is due in tens of them.
        auto wake = now + std::chrono::milliseconds(10);
        if (auto d = stack.next_deadline(); d && *d < wake) wake = *d;
        const timespec timeout = shunt::tools::timespec_until(now, nic_fd >= 0 ? wake : now);
        ::ppoll(fds.data(), fds.size(), &timeout, nullptr);
    }
    stack.remove_app(app);
    // Interrupted (or stdout failed: already aborted): the peer gets an RST before we exit.
    if (!shunt::tools::shutdown_stack(stack)) {
        shunt::log::warn("stopping: the connection's RST could not be sent");
    }
    if (app.error) {
        app.s->close();
        return fail(1, fmt::format("{}:{}: {}", o.host, o.port, describe(*app.error)));
    }
    if (app.stdout_failed) {
        app.s->close();
        return fail(1, "writing stdout failed");
    }
    app.s->close();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"shunt-nc: netcat over shunt's TCP (an active open from the stack)"};
    app.add_option("--nic", o.nic, "tap:NAME or pci:DDDD:BB:DD.F")->required();
    app.add_option("--ip", o.ip, "our address and prefix, A.B.C.D/LEN")->required();
    app.add_option("--gateway", o.gateway, "default gateway A.B.C.D");
    app.add_option("--mac", o.mac, "our MAC for tap: (default: derived from the name)");
    app.add_option("--connect-timeout", o.connect_timeout_s, "seconds to wait for the handshake")
        ->check(CLI::PositiveNumber);
    shunt::tools::add_pci_flags(app, o.pci);
    app.add_option("HOST", o.host, "the server's IPv4 address")->required();
    app.add_option("PORT", o.port, "the server's TCP port")
        ->required()
        ->check(CLI::Range(1, 65535));
    app.footer("Example:\n  shunt-nc --nic tap:shunt0 --ip 10.77.0.2/24 10.77.0.1 5000 < file");
    if (auto rc = shunt::tools::parse_command_line(app, argc, argv, "shunt-nc")) return *rc;
    shunt::log::threshold() = shunt::log::Level::warn;
    shunt::tools::install_stop_handlers();
    return run(o);
}
