#include "bench/tcp/interrupt.hpp"

#include <csignal>

namespace shunt::bench {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
void on_signal(int) {
    g_interrupted = 1;
}
}  // namespace

bool interrupted() noexcept {
    return g_interrupted != 0;
}

void install_interrupt_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

}  // namespace shunt::bench
