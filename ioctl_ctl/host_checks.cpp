#include "ioctl_ctl/host_checks.hpp"

#include "ioctl_ctl/hugepages.hpp"
#include "ioctl_ctl/pci.hpp"
#include "ioctl_ctl/sysfs.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

namespace shunt::ctl {
namespace {

bool cpu_is_amd() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("vendor_id")) return line.find("AuthenticAMD") != std::string::npos;
    }
    return false;
}

bool has_word(const std::string& text, const std::string& word) {
    size_t pos = 0;
    while ((pos = text.find(word, pos)) != std::string::npos) {
        const bool start = pos == 0 || text[pos - 1] == ' ';
        const size_t end = pos + word.size();
        if (start && (end == text.size() || text[end] == ' ')) return true;
        pos = end;
    }
    return false;
}

HostCheck check_iommu() {
    HostCheck c{"iommu", false, "", ""};
    const size_t groups = list_dir("/sys/kernel/iommu_groups").size();
    auto cmdline_text = read_text("/proc/cmdline");
    const std::string cmdline = cmdline_text ? cmdline_text.value() : "";
    const std::string param = cpu_is_amd() ? "amd_iommu=on" : "intel_iommu=on";
    const bool asked = has_word(cmdline, "intel_iommu=on") || has_word(cmdline, "amd_iommu=on");
    if (groups > 0) {
        c.ok = true;
        c.detail = fmt::format("{} IOMMU groups in /sys/kernel/iommu_groups", groups);
        return c;
    }
    if (!asked) {
        c.detail = fmt::format(
            "/sys/kernel/iommu_groups is empty and the kernel command line "
            "has no {}",
            param);
        c.fix = fmt::format(
            "add '{} iommu=pt' to GRUB_CMDLINE_LINUX in /etc/default/grub, then "
            "run 'update-grub' and reboot",
            param);
    } else {
        c.detail =
            "the kernel command line asks for the IOMMU but /sys/kernel/iommu_groups is "
            "empty";
        c.fix =
            "turn on VT-d (Intel) or AMD-Vi/IOMMU in the firmware (BIOS/UEFI) setup, then "
            "reboot";
    }
    return c;
}

HostCheck check_vfio_modules() {
    HostCheck c{"vfio-modules", false, "", ""};
    std::vector<std::string> missing;
    if (!path_exists("/sys/module/vfio")) missing.push_back("vfio");
    if (!pci::PciSysfs().driver_loaded("vfio-pci")) missing.push_back("vfio-pci");
    if (!path_exists("/sys/module/vfio_iommu_type1")) missing.push_back("vfio_iommu_type1");
    if (missing.empty()) {
        c.ok = true;
        c.detail = "vfio, vfio-pci and vfio_iommu_type1 are loaded";
        return c;
    }
    c.detail = fmt::format("not loaded: {}", fmt::join(missing, ", "));
    c.fix =
        "modprobe vfio-pci  (and to load it at boot: echo vfio-pci > "
        "/etc/modules-load.d/vfio-pci.conf)";
    return c;
}

HostCheck check_dev_vfio() {
    HostCheck c{"dev-vfio", false, "", ""};
    const std::string container = "/dev/vfio/vfio";
    if (!path_exists(container)) {
        c.detail = container + " does not exist";
        c.fix = "modprobe vfio-pci";
        return c;
    }
    std::vector<std::string> denied;
    for (const auto& name : list_dir("/dev/vfio")) {
        const std::string path = "/dev/vfio/" + name;
        if (::access(path.c_str(), R_OK | W_OK) != 0) denied.push_back(path);
    }
    if (denied.empty()) {
        c.ok = true;
        c.detail = "/dev/vfio/* are readable and writable";
        return c;
    }
    c.detail = fmt::format("no read/write access to {}", fmt::join(denied, ", "));
    c.fix = fmt::format(
        "run as root, or: chown {} {}  (lasting: a udev rule SUBSYSTEM==\"vfio\", "
        "OWNER=\"{}\")",
        ::getuid(), fmt::join(denied, " "), ::getuid());
    return c;
}

HostCheck check_hugepages() {
    HostCheck c{"hugepages", false, "", ""};
    auto pools = hugepage_pools();
    uint64_t free_2m = 0;
    if (pools) {
        for (const auto& p : pools.value()) {
            if (p.size_kb == 2048) free_2m = p.free;
        }
    }
    if (free_2m > 0) {
        c.ok = true;
        c.detail = fmt::format("{} free 2 MiB hugepages", free_2m);
        return c;
    }
    c.detail =
        "no free 2 MiB hugepages (DMA memory falls back to 4 KiB pages; no-IOMMU mode "
        "cannot run)";
    c.fix =
        "shuntctl hugepages --reserve 512  (= echo 512 > "
        "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages; lasting: vm.nr_hugepages=512 "
        "in /etc/sysctl.d/)";
    return c;
}

bool has_cap_ipc_lock() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (!line.starts_with("CapEff:")) continue;
        const unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
        return (caps >> 14) & 1;  // CAP_IPC_LOCK
    }
    return false;
}

HostCheck check_memlock() {
    HostCheck c{"memlock", false, "", ""};
    rlimit rl{};
    ::getrlimit(RLIMIT_MEMLOCK, &rl);
    constexpr rlim_t kNeed = 1ull << 30;
    // VFIO charges DMA mappings to RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK.
    if (has_cap_ipc_lock()) {
        c.ok = true;
        c.detail = "CAP_IPC_LOCK: DMA mappings are not limited by RLIMIT_MEMLOCK";
    } else if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= kNeed) {
        c.ok = true;
        c.detail = rl.rlim_cur == RLIM_INFINITY
                       ? std::string("memlock limit: unlimited")
                       : fmt::format("memlock limit: {} MiB", rl.rlim_cur >> 20);
    } else {
        c.detail =
            fmt::format("memlock limit is {} KiB: DMA mappings need more", rl.rlim_cur >> 10);
        c.fix =
            "ulimit -l unlimited  (services: LimitMEMLOCK=infinity; users: '<user> - memlock "
            "unlimited' in /etc/security/limits.conf)";
    }
    return c;
}

}  // namespace

std::vector<HostCheck> host_checks() {
    return {check_iommu(), check_vfio_modules(), check_dev_vfio(), check_hugepages(),
            check_memlock()};
}

}  // namespace shunt::ctl
