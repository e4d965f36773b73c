// The side-by-side table (and its JSON twin): one row per workload, one column per
// contender, then the ratios the targets are stated in.
#pragma once

#include "bench/tcp/contender.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace shunt::bench {

inline constexpr std::array<Workload, 3> kWorkloads = {Workload::transactions, Workload::bulk,
                                                       Workload::connections};

struct WorkloadOutcome {
    std::optional<Measurement> measurement;
    std::string error;  // when measurement is empty and the contender was built
};

struct ContenderOutcome {
    std::string name;
    std::string setup;
    std::string not_built;  // non-empty: pending contender, no numbers
    std::array<WorkloadOutcome, 3> workloads;
    std::optional<IdleMemory> memory;
    std::string memory_error;
};

struct ReportFacts {
    std::string machine;  // CPU, cores, kernel, load
    RunOptions options;
    uint32_t repeat = 1;
};

std::string format_table(const std::vector<ContenderOutcome>& outcomes, const ReportFacts& f);
std::string format_json(const std::vector<ContenderOutcome>& outcomes, const ReportFacts& f);

}  // namespace shunt::bench
