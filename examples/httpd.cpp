// shunt-httpd: static files from a directory over HTTP/1.1 with keep-alive, on libshunt
// in-process or attached to a running shuntd (--attach [SOCKET]). GET and HEAD of regular files
// under the root; "/" is index.html. A response is a header and the file, sent as the connection
// takes it (back-pressure, not buffering).
//
//   shunt-httpd --nic tap:shunt0 --ip 10.77.0.2/24 --root DIR [--port 80]
//   shunt-httpd --attach [SOCKET] --root DIR [--port 80]
//
// It prints one line when it is listening and runs until SIGINT/SIGTERM.
#include <shunt/shunt.hpp>

#include <fcntl.h>
#include <sys/stat.h>
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

constexpr size_t kMaxRequest = 8192;  // request line and headers (RFC 9112 §2.3 allows a limit)

struct Conn {
    std::string in;   // request bytes not yet answered
    std::string out;  // response header (or a whole error response) not yet sent
    size_t out_off = 0;
    int file = -1;  // the body being sent, from file_off on
    off_t file_off = 0, file_len = 0;
    bool close_after = false;
};

int usage(const char* why) {
    std::fprintf(stderr,
                 "shunt-httpd: %s\nusage: shunt-httpd --nic tap:NAME|pci:ADDR --ip A.B.C.D/LEN "
                 "--root DIR [--gateway A.B.C.D] [--mac M] [--port N] [--attach [SOCKET]]\n",
                 why);
    return 2;
}

// Parses one request from c.in if complete; queues the response. False: nothing to answer yet.
bool answer(Conn& c, const std::string& root) {
    const size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (c.in.size() > kMaxRequest) {
            c.out =
                "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n";
            c.close_after = true;
            c.in.clear();
            return true;
        }
        return false;
    }
    const std::string head = c.in.substr(0, end);
    c.in.erase(0, end + 4);  // no request bodies: GET and HEAD only
    const size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
    const std::string method = head.substr(0, sp1);
    std::string path = sp1 == std::string::npos ? "" : head.substr(sp1 + 1, sp2 - sp1 - 1);
    const bool http10 = head.compare(sp2 + 1, 8, "HTTP/1.0") == 0;
    c.close_after = http10 || head.find("\r\nConnection: close") != std::string::npos;
    const char* conn = c.close_after ? "close" : "keep-alive";
    if (path == "/") path = "/index.html";
    struct stat st {};
    int fd = -1;
    // No "..": a request cannot leave the root.
    if ((method == "GET" || method == "HEAD") && !path.empty() && path[0] == '/' &&
        path.find("..") == std::string::npos) {
        fd = ::open((root + path).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
            ::close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        c.out = std::string("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: ") + conn +
                "\r\n\r\n";
        return true;
    }
    c.out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(st.st_size) +
            "\r\nContent-Type: application/octet-stream\r\nConnection: " + conn + "\r\n\r\n";
    if (method == "GET") {
        c.file = fd;
        c.file_off = 0;
        c.file_len = st.st_size;
    } else {
        ::close(fd);
    }
    return true;
}

// Sends what the connection takes; true when the response is all sent.
bool pump(shunt::Runtime& rt, int s, Conn& c, std::vector<char>& buf) {
    while (c.out_off < c.out.size()) {
        const ssize_t n = rt.send(s, c.out.data() + c.out_off, c.out.size() - c.out_off);
        if (n < 0) return false;
        c.out_off += static_cast<size_t>(n);
    }
    while (c.file >= 0 && c.file_off < c.file_len) {
        const ssize_t got = ::pread(c.file, buf.data(), buf.size(), c.file_off);
        if (got <= 0) break;  // the file shrank: the client sees a short body
        const ssize_t n = rt.send(s, buf.data(), static_cast<size_t>(got));
        if (n < 0) return false;
        c.file_off += n;
    }
    if (c.file >= 0) ::close(c.file);
    c.file = -1;
    c.out.clear();
    c.out_off = 0;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    shunt::RuntimeConfig cfg;
    std::string root;
    int port = 80;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
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
            return usage("static files over HTTP/1.1 on shunt");
        } else if (i + 1 >= argc) {
            return usage(("missing value after " + a).c_str());
        } else if (a == "--nic") {
            cfg.nic = argv[++i];
        } else if (a == "--ip") {
            cfg.ip = argv[++i];
        } else if (a == "--gateway") {
            cfg.gateway = argv[++i];
        } else if (a == "--mac") {
            cfg.mac = argv[++i];
        } else if (a == "--root") {
            root = argv[++i];
        } else if (a == "--port") {
            port = std::atoi(argv[++i]);
        } else {
            return usage(("unknown argument " + a).c_str());
        }
    }
    if (root.empty() || (cfg.attach.empty() && (cfg.nic.empty() || cfg.ip.empty()))) {
        return usage("--root and --nic/--ip (or --attach) are required");
    }
    if (port < 1 || port > 65535) return usage("bad port");
    std::string error;
    auto rt = shunt::Runtime::open(cfg, error);
    if (!rt) {
        std::fprintf(stderr, "shunt-httpd: %s\n", error.c_str());
        return 1;
    }
    const int listener = rt->listen(static_cast<uint16_t>(port), 128);
    if (listener < 0) {
        std::fprintf(stderr, "shunt-httpd: port %d: %s\n", port, std::strerror(-listener));
        return 1;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("shunt-httpd: listening on %s port %d, serving %s\n",
                cfg.attach.empty() ? cfg.ip.c_str() : cfg.attach.c_str(), port, root.c_str());
    std::fflush(stdout);

    std::unordered_map<int, Conn> conns;
    std::vector<char> buf(64 * 1024);
    shunt::Event events[64];
    while (g_stop == 0) {
        const int n = rt->wait(events, 100);
        if (n < 0) {  // attached: the daemon went away (-EPIPE)
            std::fprintf(stderr, "shunt-httpd: %s\n", std::strerror(-n));
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            const int s = events[i].sock;
            if (s == listener) {
                for (int c; (c = rt->accept(listener, nullptr)) > 0;) conns[c];
                continue;
            }
            Conn& c = conns[s];
            bool done = (events[i].events & SHUNT_EV_ERROR) != 0;
            // Answer requests one at a time (pipelined ones wait in c.in), each in full
            // before the next is read.
            while (!done) {
                const bool busy = !c.out.empty() || c.file >= 0;
                if (busy && !pump(*rt, s, c, buf)) break;  // waits for WRITABLE
                if (c.close_after) {  // all sent: close() sends the FIN after it
                    done = true;
                    break;
                }
                if (answer(c, root)) continue;
                const ssize_t got = rt->recv(s, buf.data(), buf.size());
                if (got > 0) {
                    c.in.append(buf.data(), static_cast<size_t>(got));
                    continue;
                }
                if (got == 0) {  // the client is done: finish and close
                    c.close_after = true;
                    continue;
                }
                done = got != -EAGAIN;
                break;
            }
            if (done || (events[i].events & SHUNT_EV_CLOSED) != 0) {
                if (c.file >= 0) ::close(c.file);
                rt->close(s);
                conns.erase(s);
                continue;
            }
            rt->interest(s, !c.out.empty() || c.file >= 0 ? SHUNT_EV_WRITABLE : SHUNT_EV_READABLE);
        }
    }
    return 0;
}
