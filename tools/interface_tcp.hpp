// A TcpStack on an Interface: registered for IPv4 protocol 6 at construction and unregistered
// before it is destroyed, keyed by 16 bytes from the kernel's CSPRNG (RFC 6528 wants the ISN
// key secret and random; the stack itself takes it as input so its tests stay deterministic).
#pragma once

#include "stack/iface/interface.hpp"
#include "stack/tcp/tcp_stack.hpp"

namespace shunt::tools {

class InterfaceTcp {
  public:
    InterfaceTcp(Interface& iface, tcp::TcpConfig config);
    ~InterfaceTcp();
    InterfaceTcp(const InterfaceTcp&) = delete;
    InterfaceTcp& operator=(const InterfaceTcp&) = delete;

    tcp::TcpStack& stack() { return stack_; }

  private:
    static tcp::TcpConfig with_random_secret(tcp::TcpConfig config);

    Interface& iface_;
    tcp::TcpStack stack_;
};

}  // namespace shunt::tools
