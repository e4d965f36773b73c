// Memory providers: where packet buffers (and later descriptor rings) live.
// A region is a mapping plus the device-visible address (IOVA) of each page. The memfd
// provider needs no device (IOVA = virtual address) and can be shared with other processes
// through its fd; the VFIO provider (vfio/) maps hugepages into the IOMMU.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shunt {

class MemoryRegion {
  public:
    MemoryRegion(void* addr, size_t size, size_t page_size, std::vector<uint64_t> page_iova,
                 UniqueFd fd);
    MemoryRegion(MemoryRegion&&) = delete;
    MemoryRegion& operator=(MemoryRegion&&) = delete;
    virtual ~MemoryRegion();  // unmaps

    uint8_t* base() const { return static_cast<uint8_t*>(addr_); }
    size_t size() const { return size_; }
    // Buffers must not cross a page unless IOVAs are contiguous across pages.
    size_t page_size() const { return page_size_; }
    bool iova_contiguous() const { return iova_contiguous_; }
    uint64_t iova_at(size_t offset) const {
        return page_iova_[offset / page_size_] + offset % page_size_;
    }
    // Shareable handle (memfd) or -1.
    int fd() const { return fd_.get(); }

  private:
    void* addr_;
    size_t size_;
    size_t page_size_;
    std::vector<uint64_t> page_iova_;
    bool iova_contiguous_;
    UniqueFd fd_;
};

class MemoryProvider {
  public:
    virtual ~MemoryProvider() = default;
    virtual Result<std::unique_ptr<MemoryRegion>> allocate(size_t bytes,
                                                           const std::string& name) = 0;
};

// memfd-backed shared memory, 4 KiB pages, IOVA = virtual address (no device DMA).
class MemfdProvider final : public MemoryProvider {
  public:
    Result<std::unique_ptr<MemoryRegion>> allocate(size_t bytes, const std::string& name) override;
};

}  // namespace shunt
