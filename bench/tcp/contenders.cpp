// The contenders this build knows, in table order. shunt's column says "not built" when its
// TCP library (shunt_tcp) is missing; tcp.cmake then leaves shunt_contender.cpp out.
#include "bench/tcp/contender.hpp"
#include "bench/tcp/linux_contender.hpp"
#if SHUNT_BENCH_HAVE_LWIP
#include "bench/tcp/lwip_contender.hpp"
#endif
#if SHUNT_BENCH_HAVE_SHUNT_TCP
#include "bench/tcp/shunt_contender.hpp"
#endif

namespace shunt::bench {

std::vector<ContenderEntry> all_contenders() {
    std::vector<ContenderEntry> all;
#if SHUNT_BENCH_HAVE_SHUNT_TCP
    all.push_back({"shunt", make_shunt_contender, ""});
#else
    all.push_back({"shunt", nullptr,
                   "this build has no shunt_tcp library (stack/tcp connection machinery); "
                   "bench/tcp/shunt_contender.cpp runs it once it exists"});
#endif
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
