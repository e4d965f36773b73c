// The contenders this build knows, in table order. lwIP's column says "not built" when its
// source tree was missing at configure time.
#include "bench/tcp/contender.hpp"
#include "bench/tcp/linux_contender.hpp"
#if SHUNT_BENCH_HAVE_LWIP
#include "bench/tcp/lwip_contender.hpp"
#endif
#include "bench/tcp/shunt_contender.hpp"

namespace shunt::bench {

std::vector<ContenderEntry> all_contenders() {
    std::vector<ContenderEntry> all;
    all.push_back({"shunt", make_shunt_contender, ""});
    all.push_back({"Linux", make_linux_contender, ""});
    all.push_back({"Linux-noTSO", make_linux_no_offload_contender, ""});
#if SHUNT_BENCH_HAVE_LWIP
    all.push_back({"lwIP", make_lwip_contender, ""});
#else
    all.push_back({"lwIP", nullptr,
                   "no lwIP 2.1.3 source tree at configure time (run "
                   "bench/tcp/fetch-lwip-source.sh, or bench/tcp/run.sh which does)"});
#endif
    return all;
}

}  // namespace shunt::bench
