// The three workloads (and the idle-connection hold) on lwIP's raw API, one function per end.
// Each runs in its own forked process with its own lwIP; they meet through LwipControl,
// which lives in shared memory.
#pragma once

#include "bench/tcp/contender.hpp"
#include "bench/tcp/lwip_port.hpp"
#include "bench/tcp/mem_wire.hpp"

#include <atomic>
#include <cstdint>

namespace shunt::bench {

enum class LwipTask { transactions, bulk, connections, idle };

struct LwipControl {
    std::atomic<bool> server_ready{false};
    std::atomic<bool> stop{false};                // the client's window is over (or main gave up)
    std::atomic<uint64_t> server_rx_bytes{0};     // payload bytes the server has received
    std::atomic<uint64_t> server_open{0};         // connections the server holds
    std::atomic<uint64_t> client_open{0};         // idle: connections the client holds
    std::atomic<bool> measure{false};             // idle: take the footprint now
    std::atomic<int> measured{0};                 // idle: ends that wrote their footprint
    LwipFootprint idle_before[2], idle_after[2];  // [0] server, [1] client
    std::atomic<uint64_t> link_drops{0};          // both ends' LwipHost::link_drops()
    uint64_t operations = 0, bytes = 0;           // client's result, valid once it exited 0
    double seconds = 0;
    char error[256] = {};  // why a child exited non-zero
};

inline constexpr uint32_t kLwipServerIp = 0x0a4e0001;  // 10.78.0.1
inline constexpr uint32_t kLwipClientIp = 0x0a4e0002;  // 10.78.0.2
inline constexpr uint16_t kLwipPort = 5001;

// Process entry points: return the exit code (0 = ok, else ctl.error says why).
int lwip_server_main(MemWireNic& nic, LwipControl& ctl, LwipTask task, const RunOptions& o);
int lwip_client_main(MemWireNic& nic, LwipControl& ctl, LwipTask task, const RunOptions& o);

}  // namespace shunt::bench
