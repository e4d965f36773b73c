// Hugepage pools (/sys/kernel/mm/hugepages): shunt's DMA memory comes from 2 MiB hugepages
// (a hugetlb memfd, so no hugetlbfs mount is needed).
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <vector>

namespace shunt::ctl {

struct HugepagePool {
    uint64_t size_kb = 0;
    uint64_t total = 0;  // nr_hugepages
    uint64_t free = 0;
    uint64_t reserved = 0;  // promised to mappings, not yet faulted in
    uint64_t surplus = 0;
};

Result<std::vector<HugepagePool>> hugepage_pools();
// Sets the pool of SIZE_KB pages to COUNT and returns what the kernel managed: it may give
// fewer when memory is fragmented.
Result<uint64_t> reserve_hugepages(uint64_t size_kb, uint64_t count);

}  // namespace shunt::ctl
