// DMA memory: 2 MiB hugepages from a hugetlb memfd (shareable with app processes later),
// mapped into the container at IOVAs we choose. Without free hugepages, type1 falls back to
// 4 KiB pages (the IOMMU makes them contiguous in IOVA space); no-IOMMU mode cannot, since
// its DMA addresses are physical and a buffer must not cross a physical page.
#include "base/log.hpp"
#include "vfio/vfio.hpp"

#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shunt::vfio {

namespace {

constexpr size_t kHugePage = 2u << 20;
constexpr size_t kSmallPage = 4096;

struct Mapping {
    void* addr = nullptr;
    size_t size = 0;
    size_t page = 0;
    UniqueFd fd;
};

Result<Mapping> map_memfd(const std::string& name, size_t bytes, bool huge) {
    Mapping m;
    m.page = huge ? kHugePage : kSmallPage;
    m.size = (bytes + m.page - 1) / m.page * m.page;
    const unsigned flags = MFD_CLOEXEC | (huge ? MFD_HUGETLB | MFD_HUGE_2MB : 0u);
    m.fd.reset(::memfd_create(name.c_str(), flags));
    if (!m.fd.valid()) return make_error("memfd_create({}): {}", name, std::strerror(errno));
    if (::ftruncate(m.fd.get(), static_cast<off_t>(m.size)) != 0) {
        return make_error("ftruncate {} to {} bytes: {}", name, m.size, std::strerror(errno));
    }
    // MAP_POPULATE faults every page in now; with hugetlb that fails (SIGBUS-free) as ENOMEM
    // when the pool has too few pages.
    m.addr =
        ::mmap(nullptr, m.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, m.fd.get(), 0);
    if (m.addr == MAP_FAILED) {
        m.addr = nullptr;
        return make_error("mmap {} ({} bytes{}): {}", name, m.size, huge ? ", hugepages" : "",
                          std::strerror(errno));
    }
    if (::mlock(m.addr, m.size) != 0) {
        ::munmap(m.addr, m.size);
        return make_error("mlock {} bytes: {} (raise the locked-memory limit: ulimit -l)", m.size,
                          std::strerror(errno));
    }
    return m;
}

// Physical address of a mapped, locked page, from /proc/self/pagemap (root only: others
// read PFN 0). Each entry is 64 bits: bit 63 present, bits 0-54 the page frame number.
Result<uint64_t> physical_address(const void* vaddr) {
    UniqueFd fd(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return make_error("open /proc/self/pagemap: {}", std::strerror(errno));
    const auto v = reinterpret_cast<uintptr_t>(vaddr);
    uint64_t entry = 0;
    const off_t off = static_cast<off_t>(v / kSmallPage * sizeof(entry));
    if (::pread(fd.get(), &entry, sizeof(entry), off) != sizeof(entry)) {
        return make_error("read /proc/self/pagemap: {}", std::strerror(errno));
    }
    const uint64_t pfn = entry & ((1ull << 55) - 1);
    if ((entry >> 63) == 0 || pfn == 0) {
        return make_error("no physical address for {:#x} (not present, or not root)", v);
    }
    return pfn * kSmallPage + v % kSmallPage;
}

// A region mapped into an IOMMU container: unmapped from it before the memory goes.
class DmaRegion final : public MemoryRegion {
  public:
    DmaRegion(Mapping m, std::vector<uint64_t> iova, std::shared_ptr<Container> container,
              uint64_t iova_base)
        : MemoryRegion(m.addr, m.size, m.page, std::move(iova), std::move(m.fd)),
          container_(std::move(container)),
          iova_base_(iova_base) {}
    ~DmaRegion() override {
        if (container_ && container_->mode() == IommuMode::type1) {
            if (auto s = container_->unmap_dma(iova_base_, size()); !s) {
                log::warn("{}", s.error().message);
            }
        }
    }

  private:
    std::shared_ptr<Container> container_;
    uint64_t iova_base_;
};

class DmaProvider final : public MemoryProvider {
  public:
    explicit DmaProvider(std::shared_ptr<Container> c) : container_(std::move(c)) {}

    Result<std::unique_ptr<MemoryRegion>> allocate(size_t bytes, const std::string& name) override {
        const bool noiommu = container_->mode() == IommuMode::noiommu;
        auto m = map_memfd(name, bytes, true);
        if (!m) {
            if (noiommu) {
                return make_error(
                    "no-IOMMU DMA memory needs free 2 MiB hugepages ({}); "
                    "reserve some: echo 64 > /proc/sys/vm/nr_hugepages",
                    m.error().message);
            }
            log::warn(
                "no free 2 MiB hugepages for {} ({}); using 4 KiB pages. Reserve "
                "hugepages for speed: echo 64 > /proc/sys/vm/nr_hugepages",
                name, m.error().message);
            m = map_memfd(name, bytes, false);
            if (!m) return m.error();
        }
        Mapping map = std::move(m).value();
        std::vector<uint64_t> iova(map.size / map.page);
        uint64_t base = 0;
        if (noiommu) {
            for (size_t i = 0; i < iova.size(); ++i) {
                auto pa = physical_address(static_cast<uint8_t*>(map.addr) + i * map.page);
                if (!pa) {
                    ::munmap(map.addr, map.size);
                    return pa.error();
                }
                iova[i] = *pa;
            }
        } else {
            auto mapped = container_->map_dma(map.addr, map.size);
            if (!mapped) {
                ::munmap(map.addr, map.size);
                return mapped.error();
            }
            base = *mapped;
            for (size_t i = 0; i < iova.size(); ++i) iova[i] = base + i * map.page;
        }
        return std::unique_ptr<MemoryRegion>(
            std::make_unique<DmaRegion>(std::move(map), std::move(iova), container_, base));
    }

  private:
    std::shared_ptr<Container> container_;
};

}  // namespace

std::unique_ptr<MemoryProvider> Device::dma_memory() {
    return std::make_unique<DmaProvider>(container_);
}

}  // namespace shunt::vfio
