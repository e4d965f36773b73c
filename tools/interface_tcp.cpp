#include "tools/interface_tcp.hpp"

#include "stack/wire/ipv4.hpp"

#include <sys/random.h>

namespace shunt::tools {

tcp::TcpConfig InterfaceTcp::with_random_secret(tcp::TcpConfig config) {
    size_t got = 0;
    while (got < config.secret.size()) {
        const ssize_t n = ::getrandom(config.secret.data() + got, config.secret.size() - got, 0);
        if (n <= 0) break;  // only EINTR is possible for 16 bytes
        got += static_cast<size_t>(n);
    }
    return config;
}

InterfaceTcp::InterfaceTcp(Interface& iface, tcp::TcpConfig config)
    : iface_(iface), stack_(iface, with_random_secret(config)) {
    iface_.set_protocol_handler(wire::ip_proto::tcp, &stack_);
}

InterfaceTcp::~InterfaceTcp() {
    iface_.set_protocol_handler(wire::ip_proto::tcp, nullptr);
}

}  // namespace shunt::tools
