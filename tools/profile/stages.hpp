// Where a shard's time goes, stage by stage (driver RX, IP, TCP, app, driver TX), from the
// sampled stacks: each sample is charged to the innermost frame that belongs to a stage, so
// a checksum called from TCP's output counts as TCP and the TAP's read(2) as driver RX.
#pragma once

#include "tools/profile/folded.hpp"

#include <array>
#include <string_view>

namespace shunt::profile {

enum class Stage : uint8_t { driver_rx, ip, tcp, app, driver_tx, other };
inline constexpr size_t kStages = 6;
std::string_view stage_name(Stage s);

// The stage of one frame (a short function name), or Stage::other.
Stage stage_of_frame(std::string_view frame);
// The stage of a folded stack ("root;...;leaf"): its innermost frame with a stage.
Stage stage_of_stack(std::string_view stack);

struct StageBreakdown {
    std::array<uint64_t, kStages> weight{};  // by Stage
    uint64_t total = 0;
};
StageBreakdown breakdown(const FoldedStacks& stacks);

}  // namespace shunt::profile
