// Ctrl-C and friends: a flag every bounded loop also checks, so namespaces, child processes
// and mappings are released by their destructors instead of being left behind.
#pragma once

#include <atomic>

namespace shunt::bench {

// Set once SIGINT, SIGTERM or SIGHUP arrived.
bool interrupted() noexcept;
// Installs the handlers (without SA_RESTART, so blocking calls return EINTR).
void install_interrupt_handlers();

}  // namespace shunt::bench
