// USDT probes (user statically defined tracing) at the points of the data path worth timing or
// counting from outside: provider `shunt`, so perf names them sdt_shunt:NAME after
// `perf buildid-cache --add BIN` (docs/profiling.md lists each with its arguments).
//
// A probe site is one `nop` plus an ELF note (.note.stapsdt) describing where its arguments
// live; nothing runs until a tracer (perf probe, bpftrace, SystemTap) puts a uprobe on the nop,
// so the call sites stay on the data path. See /usr/include/x86_64-linux-gnu/sys/sdt.h
// (systemtap-sdt-dev) and https://sourceware.org/systemtap/wiki/UserSpaceProbeImplementation.
// Without the header the probes compile to nothing (kEnabled says which).
#pragma once

#include <cstddef>
#include <cstdint>

#if __has_include(<sys/sdt.h>)
#include <sys/sdt.h>
#define SHUNT_HAS_SDT 1
#else
#define SHUNT_HAS_SDT 0
#endif

namespace shunt::probe {

inline constexpr bool kEnabled = SHUNT_HAS_SDT != 0;

// Where a dropped packet was counted: the drop reason's numbering is per layer
// (stack/iface/drop_reason.hpp, stack/tcp/tcp_drop_reason.hpp).
enum class DropLayer : uint8_t { iface = 1, tcp = 2 };

#if SHUNT_HAS_SDT
// sdt.h's argument operands ("nor" constraints) want integers or pointers of at most 8 bytes;
// the wrappers below pass plain integers so every probe's argument list is fixed here.
inline void poll_begin(uint16_t queue) noexcept {
    STAP_PROBE1(shunt, poll_begin, queue);
}
inline void poll_end(uint16_t queue, uint64_t work) noexcept {
    STAP_PROBE2(shunt, poll_end, queue, work);
}
inline void rx_batch(uint16_t queue, uint64_t count) noexcept {
    STAP_PROBE2(shunt, rx_batch, queue, count);
}
inline void tx_batch(uint16_t queue, uint64_t offered, uint64_t taken) noexcept {
    STAP_PROBE3(shunt, tx_batch, queue, offered, taken);
}
inline void tcp_state(uintptr_t conn, uint8_t old_state, uint8_t new_state) noexcept {
    STAP_PROBE3(shunt, tcp_state, conn, old_state, new_state);
}
inline void tcp_retransmit(uintptr_t conn, uint32_t seq, uint32_t len) noexcept {
    STAP_PROBE3(shunt, tcp_retransmit, conn, seq, len);
}
inline void drop(DropLayer layer, uint32_t reason) noexcept {
    STAP_PROBE2(shunt, drop, static_cast<uint8_t>(layer), reason);
}
inline void app_event(uintptr_t app, uint64_t work) noexcept {
    STAP_PROBE2(shunt, app_event, app, work);
}
#else
inline void poll_begin(uint16_t) noexcept {}
inline void poll_end(uint16_t, uint64_t) noexcept {}
inline void rx_batch(uint16_t, uint64_t) noexcept {}
inline void tx_batch(uint16_t, uint64_t, uint64_t) noexcept {}
inline void tcp_state(uintptr_t, uint8_t, uint8_t) noexcept {}
inline void tcp_retransmit(uintptr_t, uint32_t, uint32_t) noexcept {}
inline void drop(DropLayer, uint32_t) noexcept {}
inline void app_event(uintptr_t, uint64_t) noexcept {}
#endif

// A state variable whose every assignment fires tcp_state(conn, old, new), so the probe covers
// each transition without a call at each of them. conn is the variable's address: stable for
// the connection's life and unique among live ones (Linux's sock:inet_sock_set_state
// tracepoint names a socket by its address the same way).
template <typename State>
class ProbedState {
  public:
    constexpr ProbedState(State s) noexcept : value_(s) {}  // NOLINT: implicit by design
    ProbedState& operator=(State next) noexcept {
        tcp_state(id(), static_cast<uint8_t>(value_), static_cast<uint8_t>(next));
        value_ = next;
        return *this;
    }
    constexpr operator State() const noexcept { return value_; }  // NOLINT: implicit by design
    // The conn argument of this connection's probes (tcp_retransmit uses it too).
    uintptr_t id() const noexcept { return reinterpret_cast<uintptr_t>(this); }

  private:
    State value_;
};

}  // namespace shunt::probe
