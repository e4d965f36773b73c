// The daemon's side of `shuntctl capture`: a FrameTap (stack/iface/frame_tap.hpp) that copies
// the frames a libpcap filter accepts, both directions, into a bounded ring of fixed slots,
// drained by capture-read over the control socket. The filter is libpcap's own compiler
// (pcap_compile on a dead DLT_EN10MB handle) to classic BPF, run here with
// pcap_offline_filter: no filter language of our own.
//
// A frame that finds the ring full is counted (dropped) and not copied: the stack never
// waits for a slow reader. Nothing here allocates per frame; the ring is allocated at start.
// Every shard's Interface may hold the one Capture (each on its own thread) while the control
// thread reads it: one mutex, taken once per batch.
#pragma once

#include "base/result.hpp"
#include "stack/iface/frame_tap.hpp"

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace shunt::control {

struct CaptureOptions {
    std::string filter;       // pcap-filter(7) expression; empty: every frame
    uint64_t max_frames = 0;  // stop copying after this many (0: no limit)
    uint32_t snaplen = 2048;  // bytes kept per frame (the rest is cut; len keeps the total)
    uint32_t ring_frames = 4096;
};

struct CapturedFrame {
    int64_t wall_us;  // microseconds since the Unix epoch (the pcap record's timestamp)
    uint32_t len;     // the frame's length on the wire
    TapDirection dir;
    std::string bytes;  // the first min(len, snaplen) bytes
};

struct CaptureCounters {
    uint64_t seen = 0;      // frames offered to the filter
    uint64_t matched = 0;   // accepted by the filter (copied or dropped)
    uint64_t captured = 0;  // copied into the ring
    uint64_t dropped = 0;   // matched but the ring was full
    uint64_t read = 0;      // taken out by read()
};

class Capture final : public FrameTap {
  public:
    // Compiles the filter (error: pcap's message) and allocates the ring.
    static Result<std::unique_ptr<Capture>> start(const CaptureOptions& options);
    ~Capture() override;
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;

    void on_frames(TapDirection dir, std::span<PacketBuf* const> frames,
                   Instant now) noexcept override;
    // Tests and the benchmark: one frame's bytes as if the NIC had it.
    void offer(TapDirection dir, const uint8_t* data, uint32_t len, Instant now) noexcept;

    // Takes up to `max_frames` frames and at most about `max_bytes` of frame data, oldest first.
    std::vector<CapturedFrame> read(size_t max_frames, size_t max_bytes);
    CaptureCounters counters() const {
        std::lock_guard lock(mu_);
        return counters_;
    }
    size_t queued() const {
        std::lock_guard lock(mu_);
        return count_;
    }
    // The frame limit is reached: nothing more will be copied.
    bool complete() const {
        std::lock_guard lock(mu_);
        return complete_locked();
    }
    const CaptureOptions& options() const noexcept { return options_; }

  private:
    struct Slot {
        int64_t wall_us;
        uint32_t len;
        uint32_t caplen;
        TapDirection dir;
    };
    explicit Capture(const CaptureOptions& options);
    void offer_locked(TapDirection dir, const uint8_t* data, uint32_t len, Instant now) noexcept;
    bool complete_locked() const noexcept {
        return options_.max_frames != 0 && counters_.matched >= options_.max_frames;
    }

    CaptureOptions options_;
    bpf_program program_{};
    bool has_program_ = false;
    // Instant (monotonic) to wall clock, read once at start: the hot path reads no clock.
    int64_t wall_offset_us_ = 0;
    mutable std::mutex mu_;  // guards the ring and the counters
    std::vector<Slot> slots_;
    std::vector<uint8_t> data_;  // ring_frames * snaplen
    size_t head_ = 0;            // oldest
    size_t count_ = 0;
    CaptureCounters counters_;
};

}  // namespace shunt::control
