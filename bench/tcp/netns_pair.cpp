#include "bench/tcp/netns_pair.hpp"

#include "bench/tcp/command.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace shunt::bench {

namespace {
constexpr const char* kPrefix = "sbench-";

Status ip_in(const std::string& ns, std::vector<std::string> args) {
    args.insert(args.begin(), {"ip", "-n", ns});
    return run_command(args);
}

Status sysctl_in(const std::string& ns, const std::string& assignment) {
    return run_command({"ip", "netns", "exec", ns, "sysctl", "-q", "-w", assignment});
}
}  // namespace

Result<std::unique_ptr<NetnsPair>> NetnsPair::create(const NetnsPairConfig& config) {
    remove_stale_namespaces();
    std::unique_ptr<NetnsPair> pair(new NetnsPair());
    pair->config_ = config;
    static int pairs = 0;  // several pairs may exist at once (Linux and Linux-noTSO)
    const std::string base = kPrefix + std::to_string(::getpid()) + "-" + std::to_string(pairs++);
    pair->names_[0] = base + "-srv";
    pair->names_[1] = base + "-cli";
    if (auto s = pair->setup(); !s) return s.error();  // the destructor undoes what was done
    return pair;
}

Status NetnsPair::setup() {
    for (int i = 0; i < 2; ++i) {
        if (auto s = run_command({"ip", "netns", "add", names_[i]}); !s) return s;
        created_[i] = true;
    }
    const std::string mtu = std::to_string(config_.mtu);
    // Both ends are created inside the namespaces: nothing appears in the host's namespace.
    if (auto s = ip_in(names_[0], {"link", "add", "sb0", "mtu", mtu, "type", "veth", "peer", "name",
                                   "sb1", "mtu", mtu, "netns", names_[1]});
        !s) {
        return s;
    }
    const std::string addrs[2] = {config_.server_addr, config_.client_addr};
    const std::string devs[2] = {"sb0", "sb1"};
    for (int i = 0; i < 2; ++i) {
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"addr", "add", addrs[i] + "/24", "dev", devs[i]},
                 {"link", "set", "lo", "up"},
                 {"link", "set", devs[i], "up"}}) {
            if (auto s = ip_in(names_[i], args); !s) return s;
        }
    }
    if (!config_.segmentation_offload) {
        for (int i = 0; i < 2; ++i) {
            if (auto s = run_command({"ip", "netns", "exec", names_[i], "ethtool", "-K", devs[i],
                                      "tso", "off", "gso", "off", "gro", "off"});
                !s) {
                return s;
            }
        }
    }
    // The client closes first and so holds TIME_WAIT: let it reuse those ports (RFC 6191
    // style, with timestamps) and use the whole port range, or the connection test would
    // measure port exhaustion. The server takes a long accept backlog.
    for (const auto& a : {std::string("net.ipv4.tcp_tw_reuse=1"),
                          std::string("net.ipv4.ip_local_port_range=1024 65535")}) {
        if (auto s = sysctl_in(names_[1], a); !s) return s;
    }
    for (const auto& a : {std::string("net.core.somaxconn=8192"),
                          std::string("net.ipv4.tcp_max_syn_backlog=8192")}) {
        if (auto s = sysctl_in(names_[0], a); !s) return s;
    }
    return {};
}

NetnsPair::~NetnsPair() {
    for (int i = 0; i < 2; ++i) {
        if (created_[i]) (void)run_command({"ip", "netns", "del", names_[i]});
    }
}

Status enter_netns(const std::string& name) {
    const std::string path = "/run/netns/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return make_error("open {}: {}", path, std::strerror(errno));
    if (::setns(fd.get(), CLONE_NEWNET) != 0) {
        return make_error("setns {}: {}", name, std::strerror(errno));
    }
    return {};
}

Status pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) {
        return make_error("pin to CPU {}: {}", cpu, std::strerror(errno));
    }
    return {};
}

void remove_stale_namespaces() {
    DIR* dir = ::opendir("/run/netns");
    if (dir == nullptr) return;
    std::vector<std::string> stale;
    while (dirent* e = ::readdir(dir)) {
        std::string n = e->d_name;
        if (n.rfind(kPrefix, 0) != 0) continue;
        const long pid = std::strtol(n.c_str() + std::strlen(kPrefix), nullptr, 10);
        if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
            stale.push_back(n);
        }
    }
    ::closedir(dir);
    for (const auto& n : stale) (void)run_command({"ip", "netns", "del", n});
}

}  // namespace shunt::bench
