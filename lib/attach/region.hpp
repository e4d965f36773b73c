// The shared-memory region of one attached app: a memfd the daemon creates and sizes, seals
// against shrinking and growing (an app that truncated it would make the daemon's next access
// a SIGBUS), maps, and passes to the app over SCM_RIGHTS. Layout, all offsets from its start:
//
//   RegionHeader | command ring (control, slots) | completion ring (control, slots) | rooms
//
// The header is written by the daemon; the app reads it once to find the rest and checks
// every offset and size against the mapping before using it. The daemon never reads the
// header back: it keeps the layout it computed.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "lib/attach/protocol.hpp"
#include "lib/attach/ring.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace shunt::attach {

struct RegionHeader {
    uint32_t magic;
    uint32_t version;
    uint32_t region_bytes;
    uint32_t command_offset;  // RingControl, then command_capacity Command slots
    uint32_t command_capacity;
    uint32_t completion_offset;  // RingControl, then completion_capacity Completion slots
    uint32_t completion_capacity;
    uint32_t rooms_offset;
    uint32_t room_count;
    uint32_t room_size;
};

struct Layout {
    uint32_t command_capacity = 256;
    uint32_t completion_capacity = 512;
    uint32_t room_count = 544;  // 1.06 MiB of rooms
    // Filled by compute():
    uint32_t command_offset = 0;
    uint32_t completion_offset = 0;
    uint32_t rooms_offset = 0;
    uint32_t region_bytes = 0;

    // Offsets for the capacities above; an error for capacities that are not powers of two,
    // above 65536, or a region above 256 MiB.
    Status compute();
};

// RAII: the mapping (and, on the daemon's side, the memfd).
class Region {
  public:
    // The daemon's side: a new sealed memfd of the layout's size, mapped, header written.
    static Result<std::unique_ptr<Region>> create(Layout layout);
    // The app's side: maps the fd it received and checks the header against the mapping.
    static Result<std::unique_ptr<Region>> map(int fd);
    ~Region();
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;

    int fd() const noexcept { return fd_.get(); }
    const Layout& layout() const noexcept { return layout_; }
    uint8_t* base() const noexcept { return base_; }

    RingControl* command_control() const noexcept {
        return reinterpret_cast<RingControl*>(base_ + layout_.command_offset);
    }
    Command* command_slots() const noexcept {
        return reinterpret_cast<Command*>(base_ + layout_.command_offset + sizeof(RingControl));
    }
    RingControl* completion_control() const noexcept {
        return reinterpret_cast<RingControl*>(base_ + layout_.completion_offset);
    }
    Completion* completion_slots() const noexcept {
        return reinterpret_cast<Completion*>(base_ + layout_.completion_offset +
                                             sizeof(RingControl));
    }
    // Rooms [room, room + len/kRoomSize) when they lie inside the region and len <= kMaxIo;
    // null otherwise (the daemon's check of every (room, len) an app names).
    uint8_t* rooms(uint32_t room, uint32_t len) const noexcept;

  private:
    Region(UniqueFd fd, uint8_t* base, Layout layout) noexcept
        : fd_(std::move(fd)), base_(base), layout_(layout) {}
    UniqueFd fd_;
    uint8_t* base_ = nullptr;
    Layout layout_;
};

}  // namespace shunt::attach
