#pragma once

#include "bench/tcp/contender.hpp"

namespace shunt::bench {

Result<std::unique_ptr<Contender>> make_lwip_contender();

}  // namespace shunt::bench
