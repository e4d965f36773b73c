#pragma once

#include "bench/tcp/contender.hpp"

namespace shunt::bench {

// Creates the namespaces (root needed); they go away with the contender.
Result<std::unique_ptr<Contender>> make_linux_contender();
// The same with TSO/GSO/GRO off on the veth pair: every 1500-byte frame crosses the stack.
Result<std::unique_ptr<Contender>> make_linux_no_offload_contender();

}  // namespace shunt::bench
