// An anonymous MAP_SHARED mapping: the same bytes at the same address in a parent and in
// every child it forks afterwards, so rings and counters placed here work across fork().
#pragma once

#include "base/result.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <new>
#include <utility>

namespace shunt::bench {

class SharedMapping {
  public:
    static Result<SharedMapping> create(size_t bytes) {
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED) {
            return make_error("mmap of {} shared bytes: {}", bytes, std::strerror(errno));
        }
        return SharedMapping(p, bytes);
    }
    SharedMapping(SharedMapping&& o) noexcept
        : addr_(std::exchange(o.addr_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    SharedMapping& operator=(SharedMapping&& o) noexcept {
        if (this != &o) {
            reset();
            addr_ = std::exchange(o.addr_, nullptr);
            size_ = std::exchange(o.size_, 0);
        }
        return *this;
    }
    SharedMapping(const SharedMapping&) = delete;
    SharedMapping& operator=(const SharedMapping&) = delete;
    ~SharedMapping() { reset(); }

    void* get() const { return addr_; }
    size_t size() const { return size_; }

  private:
    SharedMapping(void* addr, size_t size) : addr_(addr), size_(size) {}
    void reset() {
        if (addr_ != nullptr) ::munmap(addr_, size_);
        addr_ = nullptr;
    }

    void* addr_ = nullptr;
    size_t size_ = 0;
};

// One object of type T constructed in its own shared mapping (destroyed with it).
template <typename T>
class SharedObject {
  public:
    static Result<SharedObject> create() {
        auto m = SharedMapping::create(sizeof(T));
        if (!m) return m.error();
        T* obj = new (m->get()) T();
        return SharedObject(std::move(m).value(), obj);
    }
    SharedObject(SharedObject&&) noexcept = default;
    SharedObject& operator=(SharedObject&&) = delete;
    ~SharedObject() {
        if (obj_ != nullptr && map_.get() != nullptr) obj_->~T();
    }

    T* operator->() const { return obj_; }
    T& operator*() const { return *obj_; }

  private:
    SharedObject(SharedMapping m, T* obj) : map_(std::move(m)), obj_(obj) {}
    SharedMapping map_;
    T* obj_ = nullptr;
};

}  // namespace shunt::bench
