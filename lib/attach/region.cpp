#include "lib/attach/region.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace shunt::attach {

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMaxRegion = 256ull << 20;
constexpr uint32_t kMaxCapacity = 65536;

uint64_t align_up(uint64_t v, uint64_t a) {
    return (v + a - 1) / a * a;
}

uint64_t ring_bytes(uint32_t capacity, size_t entry) {
    return sizeof(RingControl) + uint64_t{capacity} * entry;
}

}  // namespace

Status Layout::compute() {
    if (!is_power_of_two(command_capacity) || command_capacity > kMaxCapacity ||
        !is_power_of_two(completion_capacity) || completion_capacity > kMaxCapacity) {
        return make_error("ring capacities {} and {}: expected powers of two up to {}",
                          command_capacity, completion_capacity, kMaxCapacity);
    }
    if (room_count == 0) return make_error("room count 0");
    uint64_t at = align_up(sizeof(RegionHeader), kCacheLine);
    const uint64_t cmd = at;
    at = align_up(at + ring_bytes(command_capacity, sizeof(Command)), kCacheLine);
    const uint64_t cpl = at;
    at = align_up(at + ring_bytes(completion_capacity, sizeof(Completion)), kPage);
    const uint64_t rooms = at;
    at = align_up(at + uint64_t{room_count} * kRoomSize, kPage);
    if (at > kMaxRegion) return make_error("region of {} bytes is above {}", at, kMaxRegion);
    command_offset = static_cast<uint32_t>(cmd);
    completion_offset = static_cast<uint32_t>(cpl);
    rooms_offset = static_cast<uint32_t>(rooms);
    region_bytes = static_cast<uint32_t>(at);
    return {};
}

Result<std::unique_ptr<Region>> Region::create(Layout layout) {
    if (auto ok = layout.compute(); !ok) return ok.error();
    UniqueFd fd(::memfd_create("shunt-attach", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd.valid()) return make_error("memfd_create: {}", std::strerror(errno));
    if (::ftruncate(fd.get(), layout.region_bytes) < 0) {
        return make_error("sizing the region to {} bytes: {}", layout.region_bytes,
                          std::strerror(errno));
    }
    // The app gets the same fd: without these seals it could shrink the file under the
    // daemon's mapping (SIGBUS in the daemon) or grow it to use memory on the daemon's bill.
    if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        return make_error("sealing the region: {}", std::strerror(errno));
    }
    void* p = ::mmap(nullptr, layout.region_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED) return make_error("mapping the region: {}", std::strerror(errno));
    auto* base = static_cast<uint8_t*>(p);
    // A fresh memfd reads as zeros: ring indices 0, nobody sleeping. The control blocks are
    // constructed in place (atomics are objects).
    new (base + layout.command_offset) RingControl{};
    new (base + layout.completion_offset) RingControl{};
    RegionHeader h{};
    h.magic = kMagic;
    h.version = kVersion;
    h.region_bytes = layout.region_bytes;
    h.command_offset = layout.command_offset;
    h.command_capacity = layout.command_capacity;
    h.completion_offset = layout.completion_offset;
    h.completion_capacity = layout.completion_capacity;
    h.rooms_offset = layout.rooms_offset;
    h.room_count = layout.room_count;
    h.room_size = kRoomSize;
    std::memcpy(base, &h, sizeof h);
    return std::unique_ptr<Region>(new Region(std::move(fd), base, layout));
}

Result<std::unique_ptr<Region>> Region::map(int raw_fd) {
    UniqueFd fd(raw_fd);
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0)
        return make_error("fstat of the region: {}", std::strerror(errno));
    if (st.st_size < static_cast<off_t>(sizeof(RegionHeader)) ||
        static_cast<uint64_t>(st.st_size) > kMaxRegion) {
        return make_error("region of {} bytes: not a shunt region", st.st_size);
    }
    const size_t size = static_cast<size_t>(st.st_size);
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED) return make_error("mapping the region: {}", std::strerror(errno));
    auto* base = static_cast<uint8_t*>(p);
    RegionHeader h{};
    std::memcpy(&h, base, sizeof h);
    // The app recomputes the layout from the capacities and accepts the header only if every
    // offset matches and the whole layout lies inside what it mapped.
    Layout l;
    l.command_capacity = h.command_capacity;
    l.completion_capacity = h.completion_capacity;
    l.room_count = h.room_count;
    Status ok = h.magic != kMagic || h.version != kVersion
                    ? Status(make_error("region header: magic/version {:#x}/{} (expected {:#x}/{})",
                                        h.magic, h.version, kMagic, kVersion))
                    : l.compute();
    if (ok && (h.room_size != kRoomSize || h.command_offset != l.command_offset ||
               h.completion_offset != l.completion_offset || h.rooms_offset != l.rooms_offset ||
               h.region_bytes != l.region_bytes || l.region_bytes > size)) {
        ok = make_error("region header: layout does not match its {} bytes", size);
    }
    if (!ok) {
        ::munmap(p, size);
        return ok.error();
    }
    l.region_bytes = static_cast<uint32_t>(size);
    return std::unique_ptr<Region>(new Region(std::move(fd), base, l));
}

Region::~Region() {
    if (base_ != nullptr) ::munmap(base_, layout_.region_bytes);
}

uint8_t* Region::rooms(uint32_t room, uint32_t len) const noexcept {
    if (room >= layout_.room_count || len > kMaxIo) return nullptr;
    if (uint64_t{len} > uint64_t{layout_.room_count - room} * kRoomSize) return nullptr;
    return base_ + layout_.rooms_offset + uint64_t{room} * kRoomSize;
}

}  // namespace shunt::attach
