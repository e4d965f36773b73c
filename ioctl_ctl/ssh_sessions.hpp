// The SSH guard of `kernel-stack off`: which SSH sessions this host serves, found in the
// socket table (/proc/net/tcp and /proc/net/tcp6 of the caller's network namespace), not
// in $SSH_CONNECTION, which sudo strips and which describes only the caller's own session.
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::ctl {

struct TcpSocketEntry {
    std::string local;  // canonical text ("192.0.2.2", "2001:db8::2"); IPv4-mapped unmapped
    uint16_t local_port = 0;
    std::string remote;
    uint16_t remote_port = 0;
    int state = 0;  // TCP_* of <netinet/tcp.h> (1 = ESTABLISHED, 10 = LISTEN)
    uint64_t inode = 0;
};

// Parses the text of /proc/net/tcp (FAMILY AF_INET) or /proc/net/tcp6 (AF_INET6): a header
// line, then one socket per line, "sl local_address rem_address st ... inode ...", the
// addresses as the kernel's in-memory words in hex (net/ipv4/tcp_ipv4.c get_tcp4_sock,
// net/ipv6/tcp_ipv6.c get_tcp6_sock). A malformed line is an error.
Result<std::vector<TcpSocketEntry>> parse_proc_net_tcp(std::string_view text, int family);

struct SshSession {
    std::string local;  // the address the session reached this host on
    uint16_t local_port = 0;
    std::string remote;  // the client
};

// The established sessions among SOCKETS: local port in SSH_PORTS, or the socket belongs to
// an sshd process (its inode in SSHD_INODES: sessions on a port sshd listens on that is
// not in SSH_PORTS are found either way).
std::vector<SshSession> ssh_sessions_in(const std::vector<TcpSocketEntry>& sockets,
                                        const std::set<uint16_t>& ssh_ports,
                                        const std::set<uint64_t>& sshd_inodes);

// The host's: port 22 and every port an sshd (or OpenSSH 9.8's sshd-session) process
// listens on, and the sockets those processes hold, in the caller's network namespace.
Result<std::vector<SshSession>> find_ssh_sessions();

}  // namespace shunt::ctl
