#include "ioctl_ctl/hugepages.hpp"

#include "ioctl_ctl/sysfs.hpp"

#include <charconv>

namespace shunt::ctl {
namespace {

const std::string kDir = "/sys/kernel/mm/hugepages/";

std::string pool_dir(uint64_t size_kb) {
    return fmt::format("{}hugepages-{}kB", kDir, size_kb);
}

}  // namespace

Result<std::vector<HugepagePool>> hugepage_pools() {
    std::vector<HugepagePool> out;
    for (const auto& name : list_dir(kDir)) {
        // "hugepages-2048kB"
        if (!name.starts_with("hugepages-") || !name.ends_with("kB")) continue;
        HugepagePool p;
        const std::string_view num(name.data() + 10, name.size() - 12);
        auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), p.size_kb);
        if (ec != std::errc{} || end != num.data() + num.size()) continue;
        const std::string dir = kDir + name + "/";
        auto get = [&](const char* file, uint64_t& v) -> Status {
            auto n = read_int(dir + file);
            if (!n) return n.error();
            v = static_cast<uint64_t>(n.value());
            return {};
        };
        for (auto [file, field] :
             {std::pair{"nr_hugepages", &p.total}, std::pair{"free_hugepages", &p.free},
              std::pair{"resv_hugepages", &p.reserved},
              std::pair{"surplus_hugepages", &p.surplus}}) {
            if (auto s = get(file, *field); !s) return s.error();
        }
        out.push_back(p);
    }
    return out;
}

Result<uint64_t> reserve_hugepages(uint64_t size_kb, uint64_t count) {
    const std::string dir = pool_dir(size_kb);
    if (!path_exists(dir)) {
        return make_error("this kernel has no {} kB hugepages ({} is missing)", size_kb, dir);
    }
    if (auto s = write_text(dir + "/nr_hugepages", std::to_string(count)); !s) return s.error();
    auto now = read_int(dir + "/nr_hugepages");
    if (!now) return now.error();
    return static_cast<uint64_t>(now.value());
}

}  // namespace shunt::ctl
