#pragma once

#include "bench/tcp/contender.hpp"

namespace shunt::bench {

// shunt's TCP: two threads, each an Interface + TcpStack on one MemWire endpoint.
Result<std::unique_ptr<Contender>> make_shunt_contender();

}  // namespace shunt::bench
