// A frame tap: sees every frame an Interface receives and hands to its NIC, one call per
// batch, before the stack consumes a received frame and before the NIC takes a sent one.
// A capture (tools/control/capture.hpp, `shuntctl capture`) is the one user: DPDK's pdump
// idea, in process. Off, it costs the Interface one pointer test per batch.
#pragma once

#include "base/time.hpp"
#include "packet/packet_buf.hpp"

#include <cstdint>
#include <span>

namespace shunt {

enum class TapDirection : uint8_t { rx = 0, tx = 1 };

class FrameTap {
  public:
    virtual ~FrameTap() = default;
    // The frames are lent for the call only: copy what you keep. `now` is the poll's time.
    virtual void on_frames(TapDirection dir, std::span<PacketBuf* const> frames,
                           Instant now) noexcept = 0;
};

}  // namespace shunt
