#pragma once

#include "base/result.hpp"

namespace shunt::bench {

// Sanity checks of the in-memory wire (frames intact, buffers back home, ring limits, two
// threads, two processes). Fast; the benchmark runs them before measuring anything.
Status run_wire_selftest();

}  // namespace shunt::bench
