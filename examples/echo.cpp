// shunt-echo: a TCP and UDP echo server on libshunt, in-process (the program owns the NIC and
// runs shunt's stack on its own thread) or attached to a running shuntd (--attach). What it
// receives it sends back; a connection's bytes are read only as fast as they can be sent back
// (back-pressure: the peer's window closes).
//
//   shunt-echo --nic tap:shunt0 --ip 10.77.0.2/24 [--port 7] [--udp-port 7] [--own-epoll]
//   shunt-echo --attach [/run/shunt/shunt0.apps] [--port 7] [--udp-port 7] [--own-epoll]
//
// --own-epoll shows shunt inside an application's own epoll loop: the loop sleeps in
// epoll_wait on shunt's event_fd() (beside whatever fds the app has) and, when it is readable,
// collects events with wait(events, 0).
// It prints one line when it is listening and runs until SIGINT/SIGTERM.
#include <shunt/shunt.hpp>

#include <sys/epoll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
    g_stop = 1;
}

struct Conn {
    std::vector<char> out;  // received, not yet sent back
    size_t off = 0;
    bool eof = false;  // the peer sent FIN: echo what is left, then FIN
    bool fin_sent = false;
};

int usage(const char* why) {
    std::fprintf(stderr,
                 "shunt-echo: %s\nusage: shunt-echo --nic tap:NAME|pci:ADDR --ip A.B.C.D/LEN "
                 "[--gateway A.B.C.D] [--mac M] [--port N] [--udp-port N] [--own-epoll] "
                 "[--attach [SOCKET]]\n",
                 why);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    shunt::RuntimeConfig cfg;
    int port = 7, udp_port = 7;
    bool own_epoll = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--attach") {
            // --attach [SOCKET]: a running shuntd serves this app (no NIC of its own).
            if (i + 1 < argc && argv[i + 1][0] != '-') {
                cfg.attach = argv[++i];
            } else {
                std::string why;
                cfg.attach = shunt::default_app_socket(why);
                if (cfg.attach.empty()) return usage(why.c_str());
            }
        } else if (a == "--help" || a == "-h") {
            return usage("a TCP and UDP echo server on shunt");
        } else if (a == "--own-epoll") {
            own_epoll = true;
        } else if (!has_value) {
            return usage(("missing value after " + a).c_str());
        } else if (a == "--nic") {
            cfg.nic = argv[++i];
        } else if (a == "--ip") {
            cfg.ip = argv[++i];
        } else if (a == "--gateway") {
            cfg.gateway = argv[++i];
        } else if (a == "--mac") {
            cfg.mac = argv[++i];
        } else if (a == "--port") {
            port = std::atoi(argv[++i]);
        } else if (a == "--udp-port") {
            udp_port = std::atoi(argv[++i]);
        } else {
            return usage(("unknown argument " + a).c_str());
        }
    }
    if (cfg.attach.empty() && (cfg.nic.empty() || cfg.ip.empty())) {
        return usage("--nic and --ip (or --attach) are required");
    }
    if (port < 1 || port > 65535 || udp_port < 1 || udp_port > 65535) return usage("bad port");

    std::string error;
    auto rt = shunt::Runtime::open(cfg, error);
    if (!rt) {
        std::fprintf(stderr, "shunt-echo: %s\n", error.c_str());
        return 1;
    }
    // A backlog for bursts of connections (hundreds at once in netns.attach_apps): a full
    // accept queue drops handshakes, which the peers must then retry.
    const int listener = rt->listen(static_cast<uint16_t>(port), 1024);
    const int udp = rt->udp_bind(static_cast<uint16_t>(udp_port));
    if (listener < 0 || udp < 0) {
        std::fprintf(stderr, "shunt-echo: port %d: %s\n", port,
                     std::strerror(-(listener < 0 ? listener : udp)));
        return 1;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("shunt-echo: listening on %s port %d (tcp) and %d (udp)\n",
                cfg.attach.empty() ? cfg.ip.c_str() : cfg.attach.c_str(), port, udp_port);
    std::fflush(stdout);

    int epfd = -1;
    if (own_epoll) {
        epfd = ::epoll_create1(EPOLL_CLOEXEC);
        epoll_event want{};
        want.events = EPOLLIN;
        if (epfd < 0 || ::epoll_ctl(epfd, EPOLL_CTL_ADD, rt->event_fd(), &want) < 0) {
            std::perror("shunt-echo: epoll");
            return 1;
        }
    }
    std::unordered_map<int, Conn> conns;
    std::vector<char> buf(64 * 1024);
    shunt::Event events[64];
    while (g_stop == 0) {
        int n = 0;
        if (epfd >= 0) {  // the app's own loop: sleep on shunt's fd, then collect
            epoll_event ready{};
            // No timeout: shunt's fd wakes it for frames and timers, a signal for the stop
            // flag (epoll_wait is never restarted after a handler, signal(7)).
            ::epoll_wait(epfd, &ready, 1, -1);
            n = rt->wait(events, 0);
        } else {
            n = rt->wait(events, 100);  // 100 ms: the stop flag is seen promptly
        }
        if (n < 0) {  // attached: the daemon went away (-EPIPE)
            std::fprintf(stderr, "shunt-echo: %s\n", std::strerror(-n));
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            const int s = events[i].sock;
            const uint32_t ev = events[i].events;
            if (s == listener) {
                shunt::Addr peer{};
                for (int c; (c = rt->accept(listener, &peer)) > 0;) conns[c];
                continue;
            }
            if (s == udp) {
                shunt::Addr from{};
                for (ssize_t got; (got = rt->recvfrom(udp, buf.data(), buf.size(), &from)) >= 0;) {
                    rt->sendto(udp, buf.data(), static_cast<size_t>(got), from);
                }
                continue;
            }
            Conn& c = conns[s];
            if ((ev & SHUNT_EV_ERROR) != 0) {
                rt->close(s);
                conns.erase(s);
                continue;
            }
            auto flush = [&] {
                while (c.off < c.out.size()) {
                    const ssize_t sent = rt->send(s, c.out.data() + c.off, c.out.size() - c.off);
                    if (sent < 0) return;  // -EAGAIN: the rest waits for WRITABLE
                    c.off += static_cast<size_t>(sent);
                }
            };
            flush();
            // Read only once everything read so far has been sent back.
            while (c.off == c.out.size() && !c.eof) {
                const ssize_t got = rt->recv(s, buf.data(), buf.size());
                if (got == 0) c.eof = true;
                if (got <= 0) break;
                c.out.assign(buf.data(), buf.data() + got);
                c.off = 0;
                flush();
            }
            if (c.eof && c.off == c.out.size() && !c.fin_sent) {
                rt->shutdown(s, SHUNT_SHUT_WR);
                c.fin_sent = true;
            }
            // Waiting to send: wake on WRITABLE only (not READABLE, which would spin).
            rt->interest(s, c.off < c.out.size() ? SHUNT_EV_WRITABLE : SHUNT_EV_READABLE);
            if ((ev & SHUNT_EV_CLOSED) != 0) {
                rt->close(s);
                conns.erase(s);
            }
        }
    }
    if (epfd >= 0) ::close(epfd);
    return 0;  // ~Runtime resets what is still open and releases the NIC
}
