#include "stack/tcp/congestion.hpp"

#include "stack/tcp/cubic.hpp"
#include "stack/tcp/newreno.hpp"

namespace shunt::tcp {

std::unique_ptr<CongestionControl> make_congestion_control(const CongestionConfig& c,
                                                           uint32_t smss) {
    switch (c.algorithm) {
        case CongestionAlgorithm::newreno:
            return std::make_unique<NewReno>(smss, c.initial_window_segments);
        case CongestionAlgorithm::cubic:
            break;
    }
    return std::make_unique<Cubic>(smss, c.initial_window_segments);
}

}  // namespace shunt::tcp
