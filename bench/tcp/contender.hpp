// What every TCP implementation under test provides: the three workloads and the memory an
// idle established connection costs. Adding a contender is one file with a factory plus one
// line in contenders.cpp.
#pragma once

#include "base/result.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace shunt::bench {

enum class Workload {
    transactions,  // N connections, each one request of R bytes -> one response of R bytes
    bulk,          // one connection, one direction, as fast as it goes
    connections,   // connect, one small request/response, close; N of these in flight
};

inline const char* workload_name(Workload w) {
    switch (w) {
        case Workload::transactions:
            return "transactions";
        case Workload::bulk:
            return "bulk";
        case Workload::connections:
            return "connections";
    }
    return "?";
}

struct RunOptions {
    std::chrono::milliseconds duration{5000};  // measured window per workload
    std::chrono::milliseconds warmup{500};     // run but not counted
    uint32_t connections = 32;                 // transactions and connections in flight
    uint32_t message_bytes = 64;               // request and response size
    uint32_t idle_connections = 10000;         // wanted for the memory measurement
    int server_cpu = 0;
    int client_cpu = 1;
};

struct Measurement {
    uint64_t operations = 0;  // transactions, or connections opened and closed
    uint64_t bytes = 0;       // payload bytes delivered (bulk)
    double seconds = 0;
    double per_second() const {
        return seconds > 0 ? static_cast<double>(operations) / seconds : 0;
    }
    double bits_per_second() const {
        return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds : 0;
    }
};

struct IdleMemory {
    uint64_t connections = 0;         // idle established connections measured
    double bytes_per_connection = 0;  // one endpoint (one socket / pcb)
    std::string method;               // how it was measured, for the table's footnote
};

class Contender {
  public:
    virtual ~Contender() = default;
    virtual std::string name() const = 0;   // column header: "Linux", "lwIP", "shunt"
    virtual std::string setup() const = 0;  // one line: link, processes, tuning
    virtual Result<Measurement> run(Workload w, const RunOptions& options) = 0;
    virtual Result<IdleMemory> idle_memory(const RunOptions& options) = 0;
};

// A contender known to the harness: either built (make != nullptr) or pending with a reason
// the table prints instead of numbers.
struct ContenderEntry {
    std::string name;
    std::function<Result<std::unique_ptr<Contender>>()> make;
    std::string not_built_reason;
};

std::vector<ContenderEntry> all_contenders();

}  // namespace shunt::bench
