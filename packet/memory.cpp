#include "packet/memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shunt {

MemoryRegion::MemoryRegion(void* addr, size_t size, size_t page_size,
                           std::vector<uint64_t> page_iova, UniqueFd fd)
    : addr_(addr),
      size_(size),
      page_size_(page_size),
      page_iova_(std::move(page_iova)),
      iova_contiguous_(true),
      fd_(std::move(fd)) {
    for (size_t i = 1; i < page_iova_.size(); ++i) {
        if (page_iova_[i] != page_iova_[i - 1] + page_size_) iova_contiguous_ = false;
    }
}

MemoryRegion::~MemoryRegion() {
    if (addr_ != nullptr) ::munmap(addr_, size_);
}

Result<std::unique_ptr<MemoryRegion>> MemfdProvider::allocate(size_t bytes,
                                                              const std::string& name) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    bytes = (bytes + page - 1) / page * page;
    UniqueFd fd(::memfd_create(name.c_str(), MFD_CLOEXEC));
    if (!fd.valid()) return make_error("memfd_create({}): {}", name, std::strerror(errno));
    if (::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) {
        return make_error("ftruncate memfd {} to {} bytes: {}", name, bytes, std::strerror(errno));
    }
    void* addr =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd.get(), 0);
    if (addr == MAP_FAILED) {
        return make_error("mmap memfd {} ({} bytes): {}", name, bytes, std::strerror(errno));
    }
    std::vector<uint64_t> iova(bytes / page);
    for (size_t i = 0; i < iova.size(); ++i) {
        iova[i] = reinterpret_cast<uint64_t>(addr) + i * page;
    }
    return std::make_unique<MemoryRegion>(addr, bytes, page, std::move(iova), std::move(fd));
}

}  // namespace shunt
