// shunt-run: runs an unmodified program with its IPv4 TCP and UDP sockets on shunt's stack
// (docs/posix.md). It checks the options, puts the POSIX layer (libshunt_preload.so) in
// LD_PRELOAD and the NIC/address in SHUNT_* variables, and execs the program; the layer opens
// the NIC in-process at the program's first socket.
//
//   shunt-run --nic tap:shunt0 --ip 10.77.0.2/24 [--gateway G] [--log FILE] CMD [ARGS...]
#include "base/mac_addr.hpp"
#include "stack/wire/ipv4.hpp"
#include "tools/nic_spec.hpp"
#include "tools/tool_main.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifndef SHUNT_PRELOAD_BUILD_PATH
#define SHUNT_PRELOAD_BUILD_PATH ""
#endif
#ifndef SHUNT_PRELOAD_INSTALL_REL
#define SHUNT_PRELOAD_INSTALL_REL "../lib/libshunt_preload.so"
#endif

namespace {

constexpr const char* kProgram = "shunt-run";

int fail(int code, const std::string& message) {
    return shunt::tools::fail(kProgram, code, message);
}

bool is_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Where the layer is: $SHUNT_PRELOAD, else next to an installed shunt-run (PREFIX/lib), else
// the build tree's copy.
std::string find_preload() {
    if (const char* p = std::getenv("SHUNT_PRELOAD"); p != nullptr && *p != '\0') return p;
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        std::string dir(self, static_cast<size_t>(n));
        dir.resize(dir.rfind('/') + 1);
        const std::string installed = dir + SHUNT_PRELOAD_INSTALL_REL;
        if (is_file(installed)) {
            char real[4096];
            if (::realpath(installed.c_str(), real) != nullptr) return real;
        }
    }
    return SHUNT_PRELOAD_BUILD_PATH;
}

// The program's path as execvp would find it ("" when it is not found).
std::string resolve(const std::string& cmd) {
    if (cmd.find('/') != std::string::npos) return is_file(cmd) ? cmd : "";
    const char* path = std::getenv("PATH");
    std::string p = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= p.size()) {
        size_t end = p.find(':', start);
        if (end == std::string::npos) end = p.size();
        std::string dir = p.substr(start, end - start);
        if (dir.empty()) dir = ".";
        const std::string full = dir + "/" + cmd;
        if (is_file(full) && ::access(full.c_str(), X_OK) == 0) return full;
        start = end + 1;
    }
    return "";
}

}  // namespace

int main(int argc, char** argv) {
    std::string nic, ip, gateway, mac, log_file;
    unsigned mtu = 1500;
    int spin_us = -1;
    unsigned pool = 0;
    shunt::tools::PciFlags pci;
    std::vector<std::string> command;
    CLI::App app{
        "shunt-run: run a program with its IPv4 TCP and UDP sockets on shunt's user-space "
        "stack.\n\nUsage: shunt-run --nic tap:NAME|pci:ADDR --ip A.B.C.D/LEN [OPTIONS] CMD "
        "[ARGS...]\n\n"
        "The POSIX layer (libshunt_preload.so) is preloaded into CMD; at its first AF_INET "
        "socket it opens the NIC in-process and serves socket, bind, listen, accept, connect, "
        "read/write, send/recv, poll, select and epoll from shunt's stack. Sockets shunt cannot "
        "serve (AF_UNIX, AF_INET6, raw, netlink, loopback or off-subnet addresses without a "
        "gateway, unsupported options) stay on the kernel, each listed with its reason in the "
        "--log file. A forked child's inherited shunt sockets fail with EBADF; exec keeps the "
        "layer (LD_PRELOAD stays set); setuid programs are refused. See docs/posix.md.\n\n"
        "Exit status: CMD's own; 2 for a usage error; 126 for a setuid program; 127 when CMD is "
        "not found.\n\nExample:\n  shunt-run --nic tap:shunt0 --ip 10.77.0.2/24 "
        "socat TCP-LISTEN:7,fork EXEC:cat"};
    app.add_option("--nic", nic,
                   "NIC to run on: tap:NAME (created if missing) or pci:DDDD:BB:DD.F (bound to "
                   "vfio-pci)")
        ->required();
    app.add_option("--ip", ip, "our address and prefix, A.B.C.D/LEN")->required();
    app.add_option("--gateway,--gw", gateway, "default gateway A.B.C.D");
    app.add_option("--mac", mac, "our MAC for tap: (default: derived from the name)");
    app.add_option("--mtu", mtu, "MTU (576-1500)")->check(CLI::Range(576u, 1500u));
    shunt::tools::add_pci_flags(app, pci);
    app.add_option("--log", log_file,
                   "append every kernel fallback (fd, call, reason) to FILE (SHUNT_RUN_LOG)");
    app.add_option("--spin-us", spin_us,
                   "microseconds a blocking call polls the stack before it sleeps (default 50)")
        ->check(CLI::Range(0, 1'000'000));
    app.add_option("--pool-buffers", pool, "packet buffers of the NIC's pool (default 8192)")
        ->check(CLI::Range(256u, 1u << 20));
    // Everything from the first argument that is not an option on (CMD ARGS...) belongs to
    // the program, untouched and in order.
    app.prefix_command();
    if (auto code = shunt::tools::parse_command_line(app, argc, argv, kProgram)) return *code;
    command = app.remaining();

    if (auto ok = shunt::tools::check_nic_spec(nic); !ok) return fail(2, ok.error().message);
    auto cidr = shunt::wire::Ipv4Cidr::parse(ip);
    if (!cidr || cidr->prefix_len == 0 || cidr->prefix_len > 30) {
        return fail(2, fmt::format("--ip '{}': expected A.B.C.D/LEN with LEN 1-30", ip));
    }
    if (!gateway.empty()) {
        auto gw = shunt::wire::Ipv4Addr::parse(gateway);
        if (!gw) return fail(2, fmt::format("--gateway '{}': expected A.B.C.D", gateway));
        if (!cidr->contains(*gw))
            return fail(2, fmt::format("--gateway {} is not inside {}", gateway, ip));
    }
    if (!mac.empty()) {
        auto m = shunt::MacAddr::parse(mac);
        if (!m || !m->is_unicast() || m->is_zero()) {
            return fail(2, fmt::format("--mac '{}': expected a unicast aa:bb:cc:dd:ee:ff", mac));
        }
    }
    if (command.empty()) return fail(2, "no program to run (shunt-run [OPTIONS] CMD [ARGS...])");
    const std::string path = resolve(command[0]);
    if (path.empty()) return fail(127, fmt::format("{}: command not found", command[0]));
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)) != 0) {
        return fail(126, fmt::format("{} is setuid/setgid: refused (the loader ignores "
                                     "LD_PRELOAD for it, and shunt must not run with its "
                                     "privileges)",
                                     path));
    }
    const std::string preload = find_preload();
    if (!is_file(preload)) {
        return fail(1, fmt::format("the POSIX layer '{}' is missing (set SHUNT_PRELOAD)", preload));
    }

    // After what is already preloaded: a sanitizer runtime must come first in the list.
    std::string ld = preload;
    if (const char* old = std::getenv("LD_PRELOAD"); old != nullptr && *old != '\0') {
        ld = std::string(old) + ":" + preload;
    }
    ::setenv("LD_PRELOAD", ld.c_str(), 1);
    ::setenv("SHUNT_NIC", nic.c_str(), 1);
    ::setenv("SHUNT_IP", ip.c_str(), 1);
    auto set_or_clear = [](const char* name, const std::string& v) {
        if (v.empty()) {
            ::unsetenv(name);
        } else {
            ::setenv(name, v.c_str(), 1);
        }
    };
    set_or_clear("SHUNT_GW", gateway);
    set_or_clear("SHUNT_MAC", mac);
    set_or_clear("SHUNT_MTU", std::to_string(mtu));
    set_or_clear("SHUNT_RUN_LOG", log_file);
    set_or_clear("SHUNT_SPIN_US", spin_us >= 0 ? std::to_string(spin_us) : "");
    set_or_clear("SHUNT_POOL_BUFFERS", pool > 0 ? std::to_string(pool) : "");
    set_or_clear("SHUNT_ALLOW_NOIOMMU", pci.allow_noiommu ? "1" : "");
    set_or_clear("SHUNT_INTERRUPTS", pci.interrupts ? "1" : "");

    std::vector<char*> args;
    for (std::string& a : command) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(path.c_str(), args.data());
    return fail(126, fmt::format("cannot run {}: {}", path, std::strerror(errno)));
}
