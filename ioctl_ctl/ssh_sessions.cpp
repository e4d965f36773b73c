#include "ioctl_ctl/ssh_sessions.hpp"

#include "ioctl_ctl/sysfs.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <sstream>

namespace shunt::ctl {
namespace {

std::optional<uint32_t> hex32(std::string_view s) {
    uint32_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// "0100007F:0016" (IPv4) or 32 hex digits ":" port (IPv6). The kernel prints each 32-bit
// word of the address as it lies in memory (%08X of a __be32), so copying the parsed words
// back into memory gives the address bytes on either byte order.
bool parse_endpoint(std::string_view text, int family, std::string& addr, uint16_t& port) {
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view hex = text.substr(0, colon);
    const auto p = hex32(text.substr(colon + 1));
    if (!p || *p > 0xffff) return false;
    port = static_cast<uint16_t>(*p);
    const size_t words = family == AF_INET ? 1 : 4;
    if (hex.size() != words * 8) return false;
    unsigned char bytes[16] = {};
    for (size_t i = 0; i < words; ++i) {
        const auto w = hex32(hex.substr(i * 8, 8));
        if (!w) return false;
        std::memcpy(bytes + i * 4, &*w, 4);
    }
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(reinterpret_cast<const in6_addr*>(bytes))) {
        // An IPv4 client on an IPv6 socket: the IPv4 address is what interfaces hold.
        if (::inet_ntop(AF_INET, bytes + 12, buf, sizeof buf) == nullptr) return false;
    } else if (::inet_ntop(family, bytes, buf, sizeof buf) == nullptr) {
        return false;
    }
    addr = buf;
    return true;
}

std::set<uint64_t> sshd_socket_inodes() {
    std::set<uint64_t> out;
    for (const auto& pid : list_dir("/proc")) {
        if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
        auto comm = read_text("/proc/" + pid + "/comm");
        if (!comm) continue;
        std::string c = comm.value();
        while (!c.empty() && (c.back() == '\n' || c.back() == ' ')) c.pop_back();
        if (c != "sshd" && c != "sshd-session") continue;
        const std::string fd_dir = "/proc/" + pid + "/fd";
        for (const auto& fd : list_dir(fd_dir)) {
            char target[64] = {};
            const std::string link = fd_dir + "/" + fd;
            const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
            if (n <= 0) continue;
            const std::string_view t(target, static_cast<size_t>(n));
            if (!t.starts_with("socket:[") || !t.ends_with("]")) continue;
            uint64_t inode = 0;
            const auto digits = t.substr(8, t.size() - 9);
            if (std::from_chars(digits.data(), digits.data() + digits.size(), inode).ec ==
                std::errc()) {
                out.insert(inode);
            }
        }
    }
    return out;
}

}  // namespace

Result<std::vector<TcpSocketEntry>> parse_proc_net_tcp(std::string_view text, int family) {
    std::vector<TcpSocketEntry> out;
    std::istringstream in{std::string(text)};
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (line_no == 1) continue;  // "  sl  local_address rem_address   st ..."
        std::istringstream fields(line);
        std::string sl, local, remote, st, queues, timer, retr, uid, timeout, inode;
        if (!(fields >> sl)) continue;  // blank line
        if (!(fields >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >>
              inode)) {
            return make_error("/proc/net/tcp{} line {}: too few fields",
                              family == AF_INET ? "" : "6", line_no);
        }
        TcpSocketEntry e;
        const auto state = hex32(st);
        uint64_t ino = 0;
        const bool ino_ok =
            std::from_chars(inode.data(), inode.data() + inode.size(), ino).ec == std::errc();
        if (!parse_endpoint(local, family, e.local, e.local_port) ||
            !parse_endpoint(remote, family, e.remote, e.remote_port) || !state || !ino_ok) {
            return make_error("/proc/net/tcp{} line {}: cannot read '{}'",
                              family == AF_INET ? "" : "6", line_no, line);
        }
        e.state = static_cast<int>(*state);
        e.inode = ino;
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<SshSession> ssh_sessions_in(const std::vector<TcpSocketEntry>& sockets,
                                        const std::set<uint16_t>& ssh_ports,
                                        const std::set<uint64_t>& sshd_inodes) {
    std::vector<SshSession> out;
    for (const auto& s : sockets) {
        if (s.state != TCP_ESTABLISHED) continue;
        if (!ssh_ports.contains(s.local_port) && !sshd_inodes.contains(s.inode)) continue;
        out.push_back(SshSession{s.local, s.local_port, s.remote});
    }
    return out;
}

Result<std::vector<SshSession>> find_ssh_sessions() {
    std::vector<TcpSocketEntry> sockets;
    for (const auto& [path, family] :
         {std::pair<const char*, int>{"/proc/net/tcp", AF_INET}, {"/proc/net/tcp6", AF_INET6}}) {
        if (!path_exists(path)) continue;  // no IPv6 in this kernel
        // Bounded: a host with very many sockets still reads in well under a second.
        auto text = read_text(path, size_t{256} << 20);
        if (!text) return text.error();
        auto parsed = parse_proc_net_tcp(text.value(), family);
        if (!parsed) return parsed.error();
        sockets.insert(sockets.end(), parsed->begin(), parsed->end());
    }
    const std::set<uint64_t> sshd = sshd_socket_inodes();
    std::set<uint16_t> ports = {22};
    for (const auto& s : sockets) {
        if (s.state == TCP_LISTEN && sshd.contains(s.inode)) ports.insert(s.local_port);
    }
    return ssh_sessions_in(sockets, ports, sshd);
}

}  // namespace shunt::ctl
